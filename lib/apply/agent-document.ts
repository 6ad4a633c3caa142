/**
 * The parameters of the service's SSM document (agent/document.yml) for one agent command.
 * Only values the planner built from validated names reach the document, and the document
 * checks each against its allowedValues/allowedPattern again.
 */
import type { AgentCommand } from '../planning/plan.js';

export function documentParameters(command: AgentCommand): Record<string, string[]> {
  // "name:version" makes the agent fetch exactly the version we record as applied, even when
  // the parameter changes while the command is on its way (GetParameter's version selector).
  const location = command.version === undefined ? `${command.parameterName}` : `${command.parameterName}:${command.version}`;
  return {
    agentAction: [command.kind === 'stop' ? 'stop' : 'configure'],
    configurationLocation: [location],
    installAgent: [command.kind === 'install-and-configure' ? 'yes' : 'no'],
  };
}
