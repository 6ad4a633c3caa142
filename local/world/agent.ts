/**
 * What an SSM document does to the CloudWatch agent on one instance, so that a scenario can
 * assert the agent really got installed and configured, at which version, and not only that a
 * command said Success. Understands the service's document (parameters agentAction,
 * configurationLocation, installAgent: see lib/agent-document.ts) and the two AWS documents
 * it stands in for (AWS-ConfigureAWSPackage, AmazonCloudWatch-ManageAgent).
 */
import { REQUIRED_POLICY_ARNS } from '../../lib/config.js';
import type { Parameter } from '../../lib/ports.js';

export interface AgentState {
  installed: boolean;
  /** The installed package's version (what `amazon-cloudwatch-agent-ctl -a status` reports). */
  version?: string;
  running: boolean;
  /** The location last applied, as the command named it ("name" or "name:version"). */
  configLocation?: string;
  /** The parameter and version the agent actually fetched. */
  configParameter?: string;
  configVersion?: number;
  configValue?: string;
  configuredAt?: number;
  /** Starts and restarts (every configure restarts the agent). */
  restarts: number;
  /** Commands that reached the agent, whatever their outcome. */
  commandsRun: number;
  lastCommandId?: string;
  /**
   * Running but sending nothing (a broken credential chain, a full disk, a wedged process).
   * 'until-restart': the next restart fixes it; 'stuck': restarts do not.
   */
  silent?: 'until-restart' | 'stuck';
}

/** Whether CloudWatch hears from this agent: installed, running, configured and not silent. */
export function isReporting(agent: AgentState): boolean {
  return agent.installed && agent.running && agent.configVersion !== undefined && agent.silent === undefined;
}

export function newAgentState(): AgentState {
  return { installed: false, running: false, restarts: 0, commandsRun: 0 };
}

export interface DocumentRun {
  documentName: string;
  parameters: Record<string, string[]>;
  now: number;
  /** GetParameter as the instance role does it: "name" or "name:version". */
  readParameter(location: string): Parameter | undefined;
  /** Whether the instance role may read the parameter (CloudWatchAgentServerPolicy covers AmazonCloudWatch-*). */
  mayRead(parameterName: string): boolean;
  /** The version Distributor installs when none is named (its newest AmazonCloudWatchAgent). */
  latestAgentVersion: string;
}

/** `agentStatus`: the output of the service document's status step, when it ran. */
export type DocumentResult = ({ status: 'Success'; output?: string } | { status: 'Failed'; output: string }) & { agentStatus?: string };

/**
 * What `amazon-cloudwatch-agent-ctl -a status` prints (aws/amazon-cloudwatch-agent
 * packaging/dependencies/amazon-cloudwatch-agent-ctl, cwa_status); undefined without the agent.
 */
export function agentStatusOutput(agent: AgentState): string | undefined {
  if (!agent.installed) return undefined;
  return JSON.stringify(
    { status: agent.running ? 'running' : 'stopped', starttime: '', configstatus: agent.configVersion === undefined ? 'not configured' : 'configured', version: agent.version ?? '' },
    null,
    2,
  );
}

const CLOUDWATCH_AGENT_SERVER_POLICY = REQUIRED_POLICY_ARNS[0];
export { CLOUDWATCH_AGENT_SERVER_POLICY };

const first = (parameters: Record<string, string[]>, key: string): string | undefined => parameters[key]?.[0];

/** Runs the document against a copy of the agent's state; the copy replaces the state only on success. */
export function runDocument(state: AgentState, run: DocumentRun): { result: DocumentResult; next: AgentState } {
  const next: AgentState = { ...state };
  const result = apply(next, run);
  const after = result.status === 'Success' ? next : state;
  // The service's document ends with its status step, which runs whatever the steps before did.
  const serviceDocument = run.documentName !== 'AWS-ConfigureAWSPackage' && run.documentName !== 'AmazonCloudWatch-ManageAgent';
  const agentStatus = serviceDocument ? agentStatusOutput(after) : undefined;
  return { result: agentStatus === undefined ? result : { ...result, agentStatus }, next: after };
}

function apply(agent: AgentState, run: DocumentRun): DocumentResult {
  const { parameters } = run;
  switch (run.documentName) {
    case 'AWS-ConfigureAWSPackage': {
      const action = first(parameters, 'action') ?? 'Install';
      if (action === 'Install') install(agent, first(parameters, 'version'), run);
      else uninstall(agent);
      return { status: 'Success' };
    }
    case 'AmazonCloudWatch-ManageAgent': {
      const action = first(parameters, 'action') ?? 'configure';
      const location = first(parameters, 'optionalConfigurationLocation');
      if (action.startsWith('configure')) return configure(agent, location, run, first(parameters, 'optionalRestart') !== 'no');
      return control(agent, action);
    }
    default: {
      // The service's own document: optionally install (at agentVersion, or the latest), then
      // configure or stop, then (uninstallAgent) remove the package, in one command.
      if (first(parameters, 'installAgent') === 'yes') install(agent, first(parameters, 'agentVersion'), run);
      const action = first(parameters, 'agentAction') ?? 'configure';
      const result = action === 'configure' ? configure(agent, first(parameters, 'configurationLocation'), run, true) : control(agent, action);
      if (result.status === 'Success' && first(parameters, 'uninstallAgent') === 'yes') uninstall(agent);
      return result;
    }
  }
}

/** Distributor Install: the version named, or its newest; an installed agent is replaced by that version. */
function install(agent: AgentState, version: string | undefined, run: DocumentRun): void {
  agent.installed = true;
  agent.version = version || run.latestAgentVersion;
}

function uninstall(agent: AgentState): void {
  const { commandsRun, restarts } = agent;
  for (const key of Object.keys(agent)) delete (agent as unknown as Record<string, unknown>)[key];
  Object.assign(agent, newAgentState(), { commandsRun, restarts });
}

function configure(agent: AgentState, location: string | undefined, run: DocumentRun, restart: boolean): DocumentResult {
  // amazon-cloudwatch-agent-ctl is not there: ManageAgent fails on an instance without the agent.
  if (!agent.installed) return { status: 'Failed', output: 'Amazon CloudWatch Agent is not installed. Install it with AWS-ConfigureAWSPackage.' };
  if (!location) return { status: 'Failed', output: 'configure: no configuration location given' };
  const name = location.replace(/:\d+$/, '');
  if (!run.mayRead(name)) {
    return {
      status: 'Failed',
      output: `AccessDeniedException: the instance role is not authorized to perform ssm:GetParameter on parameter/${name}`,
    };
  }
  const parameter = run.readParameter(location);
  if (!parameter) return { status: 'Failed', output: `ParameterNotFound: ${location}` };
  try {
    JSON.parse(parameter.value);
  } catch {
    return { status: 'Failed', output: `Configuration validation first phase failed: ${location} is not valid JSON` };
  }
  Object.assign(agent, {
    configLocation: location,
    configParameter: parameter.name,
    configVersion: parameter.version,
    configValue: parameter.value,
    configuredAt: run.now,
  });
  if (restart) restartAgent(agent);
  return { status: 'Success', output: `configured from ssm:${parameter.name}:${parameter.version}` };
}

function control(agent: AgentState, action: string): DocumentResult {
  if (!agent.installed) return { status: 'Failed', output: 'Amazon CloudWatch Agent is not installed.' };
  switch (action) {
    case 'start':
    case 'restart':
      restartAgent(agent);
      return { status: 'Success' };
    case 'stop':
      agent.running = false;
      return { status: 'Success' };
    case 'status':
      return { status: 'Success', output: agent.running ? 'running' : 'stopped' };
    default:
      return { status: 'Failed', output: `unknown agent action ${action}` };
  }
}

function restartAgent(agent: AgentState): void {
  agent.running = true;
  agent.restarts++;
  if (agent.silent === 'until-restart') delete agent.silent;
}
