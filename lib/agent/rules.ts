/**
 * Layer two: fleetwatch's own rules, stricter than the agent's schema. Each is listed in README
 * "Validation" with its reason; a document reaches them only once the agent's schema accepts it.
 * The rules on log group and stream names are with the derivation (log-groups.ts).
 */
import { DEFAULT_MAX_LOG_GROUPS_PER_INSTANCE, type Settings } from '../config.js';
import { LOG_GROUP_CLASSES, type LogGroupSpec } from './log-groups.js';
import { isObject, jsonPath } from './paths.js';

/**
 * What a stage lets a configuration do. Without a stage (tools that only read a configuration)
 * every allowance is off and a setting that needs the stage to be judged is refused: a caller
 * that forgets the stage can only reject more, never let more through.
 */
export type AgentConfigPolicy = Pick<Settings, 'allowLogsEndpointOverride' | 'allowCrossAccountLogs' | 'maxLogGroupsPerInstance'> &
  Partial<Pick<Settings, 'region' | 'accountId'>>;

export const NO_STAGE_POLICY: AgentConfigPolicy = {
  allowLogsEndpointOverride: false,
  allowCrossAccountLogs: false,
  maxLogGroupsPerInstance: DEFAULT_MAX_LOG_GROUPS_PER_INSTANCE,
};

/** Top-level sections of the agent's schema (it allows any other key, and ignores it). */
const TOP_LEVEL_SECTIONS = ['agent', 'metrics', 'logs', 'traces', 'opentelemetry'];

export interface RuleVerdict {
  problems: string[];
  /** Set when the logs go to another account: fleetwatch cannot create their groups there. */
  logGroupsElsewhere?: string;
}

export function stricterRuleProblems(document: Record<string, unknown>, logGroups: LogGroupSpec[], policy: AgentConfigPolicy): RuleVerdict {
  const problems: string[] = [];
  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL_SECTIONS.includes(key)) {
      problems.push(`${jsonPath([key])}: unknown top-level section (known: ${TOP_LEVEL_SECTIONS.join(', ')}); the agent ignores it, so it is almost surely a typo`);
    }
  }
  const agent = isObject(document.agent) ? document.agent : {};
  const logs = isObject(document.logs) ? document.logs : {};

  // {aws_region} and the region logs go to are agent.region when set (placeholderUtil.go reads
  // agent.Global_Config.Region); fleetwatch creates log groups in its own region only.
  if (typeof agent.region === 'string' && agent.region !== policy.region) {
    problems.push(
      policy.region === undefined
        ? `agent.region: ${JSON.stringify(agent.region)} cannot be checked without the stage's region`
        : `agent.region: the agent would send logs to ${agent.region}, but this stage creates log groups in ${policy.region}; remove agent.region or deploy the stage to ${agent.region}`,
    );
  }
  if (typeof logs.endpoint_override === 'string' && !policy.allowLogsEndpointOverride) {
    problems.push(
      `logs.endpoint_override: sends logs to ${JSON.stringify(logs.endpoint_override)}, where fleetwatch cannot tell which log groups exist; allowed only with the stage setting allowLogsEndpointOverride`,
    );
  }

  const logGroupsElsewhere = crossAccountRole(agent, logs, policy, problems);
  problems.push(...logGroupClassProblems(logs));

  for (const path of openTelemetryLogSources(document)) {
    problems.push(`${path}: opentelemetry log collection names log groups fleetwatch does not derive; collect these logs under logs.logs_collected instead`);
  }

  if (logGroups.length > policy.maxLogGroupsPerInstance) {
    problems.push(
      `logs.logs_collected: names ${logGroups.length} log groups, more than the ${policy.maxLogGroupsPerInstance} per instance this stage allows (maxLogGroupsPerInstance)`,
    );
  }
  return { problems, ...(logGroupsElsewhere && { logGroupsElsewhere }) };
}

/**
 * log_group_class: the agent's schema takes any string; the agent upper-cases it and drops one
 * CreateLogGroup does not know (it logs an info line and the group is STANDARD). Refused here.
 */
function logGroupClassProblems(logs: Record<string, unknown>): string[] {
  const collected = isObject(logs.logs_collected) ? logs.logs_collected : {};
  const problems: string[] = [];
  for (const [source, section] of Object.entries(collected)) {
    const list = isObject(section) && Array.isArray(section.collect_list) ? section.collect_list : [];
    list.forEach((entry: unknown, index) => {
      const value = isObject(entry) ? entry.log_group_class : undefined;
      if (typeof value === 'string' && !(LOG_GROUP_CLASSES as readonly string[]).includes(value.toUpperCase())) {
        problems.push(
          `${jsonPath(['logs', 'logs_collected', source, 'collect_list', index, 'log_group_class'])}: must be ${LOG_GROUP_CLASSES.join(' or ')} (any case; got ${JSON.stringify(value)}); the agent would silently drop it`,
        );
      }
    });
  }
  return problems;
}

/**
 * logs.credentials.role_arn (else agent.credentials.role_arn) is the role the agent assumes to
 * write logs. A role of another account (or one named by an environment variable) sends the
 * logs there, out of fleetwatch's reach.
 */
function crossAccountRole(agent: Record<string, unknown>, logs: Record<string, unknown>, policy: AgentConfigPolicy, problems: string[]): string | undefined {
  const [path, credentials] = isObject(logs.credentials) ? ['logs.credentials.role_arn', logs.credentials] : ['agent.credentials.role_arn', agent.credentials];
  const roleArn = isObject(credentials) && typeof credentials.role_arn === 'string' ? credentials.role_arn : undefined;
  if (roleArn === undefined) return undefined;
  const account = /^arn:aws[a-z-]*:iam::([0-9]{12}):role\//.exec(roleArn)?.[1];
  if (account !== undefined && account === policy.accountId) return undefined;
  if (!policy.allowCrossAccountLogs) {
    problems.push(
      `${path}: ${JSON.stringify(roleArn)} ${account ? `is a role of account ${account}` : 'is not a role ARN of a known account'}, not of this stage's account${policy.accountId ? ` ${policy.accountId}` : ''}; logs would go where fleetwatch cannot create their groups; allowed only with the stage setting allowCrossAccountLogs`,
    );
    return undefined;
  }
  return `the agent writes these logs with ${roleArn}, outside this stage's account: their log groups are not created by fleetwatch`;
}

/** Paths of the opentelemetry sections that collect logs (schema: opentelemetryDefinition.collect). */
function openTelemetryLogSources(document: Record<string, unknown>): string[] {
  const collect = isObject(document.opentelemetry) && isObject(document.opentelemetry.collect) ? document.opentelemetry.collect : {};
  const paths: string[] = [];
  for (const source of ['files', 'windows_events']) if (collect[source] !== undefined) paths.push(jsonPath(['opentelemetry', 'collect', source]));
  const postgresql = isObject(collect.database_insights) && Array.isArray(collect.database_insights.postgresql) ? collect.database_insights.postgresql : [];
  postgresql.forEach((database: unknown, index) => {
    if (isObject(database) && database.logs !== undefined) paths.push(jsonPath(['opentelemetry', 'collect', 'database_insights', 'postgresql', index, 'logs']));
  });
  const containers = isObject(collect.container_insights) ? collect.container_insights : {};
  if (isObject(containers.logs) && containers.logs.enabled === true) paths.push('opentelemetry.collect.container_insights.logs.enabled');
  return paths;
}
