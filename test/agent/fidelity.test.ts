/**
 * Does fleetwatch's verdict agree with the agent's? One fixture per class of disagreement the
 * hand-written validator had (both directions), each with the agent's schema verdict and
 * fleetwatch's. The only fixtures where they differ are fleetwatch's stricter rules, and each of
 * those names its rule, which README "Validation" lists.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentSchemaProblems, validateAgentConfig } from '../../lib/agent/index.js';
import { testSettings } from '../../lib/config.js';

/** fleetwatch's stricter rules, as README "Validation" names them. */
const STRICTER = {
  section: 'Unknown top-level section',
  logGroupClass: 'Unknown log_group_class',
  knowable: 'Log group names fleetwatch can know ahead',
  groupName: 'Log group name characters and placeholders',
  streamName: 'Log stream name characters and placeholders',
  conflict: 'One retention and one class per log group across collect lists',
  region: 'agent.region',
  endpoint: 'logs.endpoint_override',
  role: 'Cross-account credentials.role_arn',
  openTelemetry: 'opentelemetry log collection',
  perInstance: 'Log groups per instance',
  size: 'Parameter Store size',
} as const;
type Rule = keyof typeof STRICTER;

const FILES = 'logs.logs_collected.files.collect_list';
const metrics = (collected: object, extra: object = {}) => ({ metrics: { metrics_collected: collected, ...extra } });
const files = (...collect_list: object[]) => ({ logs: { logs_collected: { files: { collect_list } } } });
const mem = { mem: { measurement: ['mem_used_percent'] } };

interface Fixture {
  what: string;
  document: Record<string, unknown>;
  agent: 'accepts' | 'rejects';
  fleetwatch: 'accepts' | 'rejects';
  /** The stricter rule that makes fleetwatch reject what the agent accepts. */
  rule?: Rule;
  /** A fragment of fleetwatch's problem: "<path>: ...". */
  problem?: string;
}

const fixtures: Fixture[] = [
  // The agent rejects; the old validator accepted.
  { what: 'a wrongly typed agent section', document: { agent: 'run_as_user=root' }, agent: 'rejects', fleetwatch: 'rejects', problem: 'agent: must be an object (got a string)' },
  { what: 'a wrongly typed agent setting', document: { agent: { metrics_collection_interval: '60' } }, agent: 'rejects', fleetwatch: 'rejects', problem: 'agent.metrics_collection_interval: must be an integer' },
  { what: 'a measurement item that is neither a name nor an object', document: metrics({ cpu: { measurement: [42] } }), agent: 'rejects', fleetwatch: 'rejects', problem: 'metrics.metrics_collected.cpu.measurement[0]: is none of the forms' },
  { what: 'malformed aggregation_dimensions', document: metrics(mem, { aggregation_dimensions: [['InstanceId', 1]] }), agent: 'rejects', fleetwatch: 'rejects', problem: 'metrics.aggregation_dimensions[0][1]: must be a string' },
  { what: 'append_dimensions as a list', document: metrics(mem, { append_dimensions: ['InstanceId'] }), agent: 'rejects', fleetwatch: 'rejects', problem: 'metrics.append_dimensions: must be an object (got an array)' },
  { what: 'an unknown metrics_collected entry (read as a Windows object) without measurement', document: metrics({ memory_stats: {} }), agent: 'rejects', fleetwatch: 'rejects', problem: 'metrics.metrics_collected.memory_stats.measurement: is required' },
  { what: 'a malformed metrics_collected entry', document: metrics({ mem: 'all' }), agent: 'rejects', fleetwatch: 'rejects', problem: 'metrics.metrics_collected.mem: must be an object (got a string)' },
  { what: 'metrics_destinations amp: {}', document: metrics(mem, { metrics_destinations: { amp: {} } }), agent: 'rejects', fleetwatch: 'rejects', problem: 'metrics.metrics_destinations.amp.workspace_id: is required' },
  { what: 'an empty traces_collected', document: { traces: { traces_collected: {} } }, agent: 'rejects', fleetwatch: 'rejects', problem: 'traces.traces_collected: must have at least 1 key(s)' },
  { what: 'an unknown key in an opentelemetry section', document: { opentelemetry: { collect: { host_metrics: { bogus: 1 } } } }, agent: 'rejects', fleetwatch: 'rejects', problem: 'opentelemetry.collect.host_metrics.bogus: unknown key' },
  { what: 'a non-string opentelemetry resource attribute', document: { opentelemetry: { resource_attributes: { team: 1 } } }, agent: 'rejects', fleetwatch: 'rejects', problem: 'opentelemetry.resource_attributes.team: must be a string' },
  { what: 'a duplicated collect_list entry (uniqueItems)', document: files({ file_path: '/var/log/a.log' }, { file_path: '/var/log/a.log' }), agent: 'rejects', fleetwatch: 'rejects', problem: `${FILES}: items [0] and [1] are identical` },

  // The agent accepts; the old validator rejected.
  { what: 'jmx as an array', document: metrics({ jmx: [{ jvm: { measurement: ['jvm.memory.heap.used'] } }] }), agent: 'accepts', fleetwatch: 'accepts' },
  { what: 'jmx as an object', document: metrics({ jmx: { jvm: { measurement: ['jvm.memory.heap.used'] } } }), agent: 'accepts', fleetwatch: 'accepts' },
  { what: 'otlp as an array', document: metrics({ otlp: [{ grpc_endpoint: '127.0.0.1:4317' }] }), agent: 'accepts', fleetwatch: 'accepts' },
  { what: 'otlp as an object', document: metrics({ otlp: { grpc_endpoint: '127.0.0.1:4317' } }), agent: 'accepts', fleetwatch: 'accepts' },
  {
    what: '${ENV_VAR} in log_stream_name',
    document: { logs: { log_stream_name: '${HOSTNAME}', logs_collected: { files: { collect_list: [{ file_path: '/var/log/a.log', log_stream_name: '${POD}-{instance_id}' }] } } } },
    agent: 'accepts',
    fleetwatch: 'accepts',
  },
  { what: 'a Windows performance object with an empty measurement list', document: metrics({ Memory: { measurement: [] } }), agent: 'accepts', fleetwatch: 'accepts' },
  { what: 'retention -1 beside a retention for one group', document: files({ file_path: '/a.log', log_group_name: '/app', retention_in_days: -1 }, { file_path: '/b.log', log_group_name: '/app', retention_in_days: 7 }), agent: 'accepts', fleetwatch: 'accepts' },
  { what: 'agent.region equal to the stage region', document: { agent: { region: 'eu-west-1' } }, agent: 'accepts', fleetwatch: 'accepts' },
  { what: "a logs role of the stage's own account", document: { logs: { credentials: { role_arn: 'arn:aws:iam::123456789012:role/logs' }, logs_collected: { files: { collect_list: [{ file_path: '/a.log' }] } } } }, agent: 'accepts', fleetwatch: 'accepts' },
  { what: 'metrics-only opentelemetry collection', document: { opentelemetry: { collect: { host_metrics: { collection_interval: 60 } } } }, agent: 'accepts', fleetwatch: 'accepts' },

  // fleetwatch's stricter rules: the agent accepts, fleetwatch refuses.
  { what: 'an unknown top-level section', document: { log: {} }, agent: 'accepts', fleetwatch: 'rejects', rule: 'section', problem: 'log: unknown top-level section' },
  { what: 'an unknown log_group_class', document: files({ file_path: '/a.log', log_group_class: 'COLD' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'logGroupClass', problem: `${FILES}[0].log_group_class: must be STANDARD or INFREQUENT_ACCESS` },
  { what: '{date} in a log group name', document: files({ file_path: '/a.log', log_group_name: '/app/{date}' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'knowable', problem: `${FILES}[0].log_group_name: {date}` },
  { what: '{local_hostname} in a log group name', document: files({ file_path: '/a.log', log_group_name: '/app/{local_hostname}' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'knowable', problem: `${FILES}[0].log_group_name: {local_hostname}` },
  { what: '${ENV_VAR} in a log group name', document: files({ file_path: '/a.log', log_group_name: '/app/${TEAM}' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'knowable', problem: `${FILES}[0].log_group_name: environment variable \${TEAM}` },
  { what: 'publish_multi_logs without log_group_name', document: files({ file_path: '/var/log/app/*.log', publish_multi_logs: true }), agent: 'accepts', fleetwatch: 'rejects', rule: 'knowable', problem: `${FILES}[0].log_group_name: is required with publish_multi_logs` },
  {
    what: 'a Windows event entry without log_group_name',
    document: { logs: { logs_collected: { windows_events: { collect_list: [{ event_name: 'System', event_levels: ['ERROR'] }] } } } },
    agent: 'accepts',
    fleetwatch: 'rejects',
    rule: 'knowable',
    problem: 'logs.logs_collected.windows_events.collect_list[0].log_group_name: is required',
  },
  { what: 'a log group name with a space', document: files({ file_path: '/a.log', log_group_name: '/my app' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'groupName', problem: `${FILES}[0].log_group_name: log group name "/my app" may only contain` },
  { what: 'an unknown placeholder in a log group name', document: files({ file_path: '/a.log', log_group_name: '/app/{instanceid}' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'groupName', problem: `${FILES}[0].log_group_name: unknown placeholder {instanceid}` },
  { what: 'a glob in the default log group name', document: files({ file_path: '/var/log/app/*.log' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'groupName', problem: `${FILES}[0].file_path: the default log group name "/var/log/app/*"` },
  { what: 'a colon in a log stream name', document: files({ file_path: '/a.log', log_stream_name: 'a:b' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'streamName', problem: `${FILES}[0].log_stream_name: log stream name may not contain` },
  { what: 'an unknown placeholder in a log stream name', document: files({ file_path: '/a.log', log_stream_name: '{instance}' }), agent: 'accepts', fleetwatch: 'rejects', rule: 'streamName', problem: `${FILES}[0].log_stream_name: unknown placeholder {instance}` },
  {
    what: 'two retentions for one group in two collect lists',
    document: {
      logs: {
        logs_collected: {
          files: { collect_list: [{ file_path: '/a.log', log_group_name: '/app', retention_in_days: 14 }] },
          journald: { collect_list: [{ log_group_name: '/app', retention_in_days: 30 }] },
        },
      },
    },
    agent: 'accepts',
    fleetwatch: 'rejects',
    rule: 'conflict',
    problem: 'logs.logs_collected.journald.collect_list[0].retention_in_days: log group "/app" gets retention 30 here but 14',
  },
  { what: 'agent.region other than the stage region', document: { agent: { region: 'us-east-1' } }, agent: 'accepts', fleetwatch: 'rejects', rule: 'region', problem: 'agent.region: the agent would send logs to us-east-1, but this stage creates log groups in eu-west-1' },
  {
    what: 'logs.endpoint_override',
    document: { logs: { endpoint_override: 'https://logs.example.internal', logs_collected: { files: { collect_list: [{ file_path: '/a.log' }] } } } },
    agent: 'accepts',
    fleetwatch: 'rejects',
    rule: 'endpoint',
    problem: 'logs.endpoint_override: sends logs to',
  },
  {
    what: 'a logs role of another account',
    document: { logs: { credentials: { role_arn: 'arn:aws:iam::210987654321:role/central-logs' }, logs_collected: { files: { collect_list: [{ file_path: '/a.log' }] } } } },
    agent: 'accepts',
    fleetwatch: 'rejects',
    rule: 'role',
    problem: 'logs.credentials.role_arn: "arn:aws:iam::210987654321:role/central-logs" is a role of account 210987654321',
  },
  { what: 'an agent-wide role named by an environment variable', document: { agent: { credentials: { role_arn: '${LOGS_ROLE}' } } }, agent: 'accepts', fleetwatch: 'rejects', rule: 'role', problem: 'agent.credentials.role_arn: "${LOGS_ROLE}" is not a role ARN of a known account' },
  { what: 'opentelemetry file collection', document: { opentelemetry: { collect: { files: { collect_list: [{ file_path: '/a.log' }] } } } }, agent: 'accepts', fleetwatch: 'rejects', rule: 'openTelemetry', problem: 'opentelemetry.collect.files: opentelemetry log collection' },
  {
    what: 'opentelemetry database logs',
    document: { opentelemetry: { collect: { database_insights: { postgresql: [{ endpoint: 'db:5432', instance_name: 'db', username: 'u', password_file: '/p', logs: { file_path: '/l' } }] } } } },
    agent: 'accepts',
    fleetwatch: 'rejects',
    rule: 'openTelemetry',
    problem: 'opentelemetry.collect.database_insights.postgresql[0].logs: opentelemetry log collection',
  },
  { what: 'opentelemetry container logs', document: { opentelemetry: { collect: { container_insights: { logs: { enabled: true } } } } }, agent: 'accepts', fleetwatch: 'rejects', rule: 'openTelemetry', problem: 'opentelemetry.collect.container_insights.logs.enabled: opentelemetry log collection' },
  {
    what: 'more log groups than one instance may have',
    document: files(...Array.from({ length: 51 }, (_, i) => ({ file_path: `/var/log/a${i}.log` }))),
    agent: 'accepts',
    fleetwatch: 'rejects',
    rule: 'perInstance',
    problem: 'logs.logs_collected: names 51 log groups, more than the 50 per instance',
  },
  {
    what: 'more than a Parameter Store value holds',
    document: { agent: { padding: 'x'.repeat(8200) } },
    agent: 'accepts',
    fleetwatch: 'rejects',
    rule: 'size',
    problem: '$: minified configuration is 8224 bytes',
  },
];

const settings = testSettings();
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const validation = readme.slice(readme.indexOf('## Validation'), readme.indexOf('\n## ', readme.indexOf('## Validation') + 1));

describe("fleetwatch's verdict against the agent's", () => {
  it.each(fixtures.map((fixture) => [fixture.what, fixture] as const))('%s', (_what, fixture) => {
    const schemaProblems = agentSchemaProblems(fixture.document);
    expect(schemaProblems.length === 0 ? 'accepts' : 'rejects', schemaProblems.join('\n')).toBe(fixture.agent);
    const result = validateAgentConfig(JSON.stringify(fixture.document), settings);
    const problems = result.ok ? [] : result.problems;
    expect(result.ok ? 'accepts' : 'rejects', problems.join('\n')).toBe(fixture.fleetwatch);
    if (fixture.problem) expect(problems.some((problem) => problem.startsWith(fixture.problem!)), problems.join('\n')).toBe(true);
    // They disagree only where a stricter rule says so, and only that way round.
    expect(fixture.rule !== undefined).toBe(fixture.agent !== fixture.fleetwatch);
    if (fixture.rule) expect(fixture.agent).toBe('accepts');
  });

  it('covers every stricter rule, and README "Validation" lists each one', () => {
    expect(new Set(fixtures.flatMap((fixture) => (fixture.rule ? [fixture.rule] : [])))).toEqual(new Set(Object.keys(STRICTER)));
    for (const title of Object.values(STRICTER)) expect(validation, title).toContain(`**${title}**`);
  });
});

describe('what a stage allows', () => {
  const endpoint = { logs: { endpoint_override: 'https://vpce-0abc.logs.eu-west-1.vpce.amazonaws.com', logs_collected: { files: { collect_list: [{ file_path: '/a.log' }] } } } };
  const crossAccount = { logs: { credentials: { role_arn: 'arn:aws:iam::210987654321:role/central-logs' }, logs_collected: { files: { collect_list: [{ file_path: '/a.log' }] } } } };

  it('logs.endpoint_override with allowLogsEndpointOverride: the groups are created as usual', () => {
    const result = validateAgentConfig(JSON.stringify(endpoint), testSettings({ allowLogsEndpointOverride: true }));
    expect(result.ok && result.config.logGroups.map((group) => group.name)).toEqual(['/a']);
    expect(result.ok && result.config.logGroupsElsewhere).toBeUndefined();
  });

  it('a cross-account role with allowCrossAccountLogs: accepted, its groups left to the other account', () => {
    const result = validateAgentConfig(JSON.stringify(crossAccount), testSettings({ allowCrossAccountLogs: true }));
    expect(result.ok && result.config.logGroupsElsewhere).toMatch(/outside this stage's account: their log groups are not created by fleetwatch/);
  });

  it('without a stage, refuses what needs one to be judged', () => {
    const result = validateAgentConfig(JSON.stringify({ agent: { region: 'eu-west-1' } }));
    expect(result).toEqual({ ok: false, problems: ['agent.region: "eu-west-1" cannot be checked without the stage\'s region'] });
  });
});
