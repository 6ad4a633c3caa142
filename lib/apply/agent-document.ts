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
  const stops = command.kind === 'stop' || command.kind === 'uninstall';
  return {
    agentAction: [stops ? 'stop' : 'configure'],
    configurationLocation: [location],
    installAgent: [command.kind === 'install-and-configure' ? 'yes' : 'no'],
    // Empty: Distributor's latest (the stage's agentVersion "latest"); the planner sets it only from
    // the validated setting or a rollout record written from it.
    agentVersion: [command.kind === 'install-and-configure' ? (command.agentVersion ?? '') : ''],
    uninstallAgent: [command.kind === 'uninstall' ? 'yes' : 'no'],
  };
}
