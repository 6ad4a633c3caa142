import { describe, it, expect } from 'vitest';
import { InvalidAgentConfigError } from '../../lib/errors.js';
import {
  ADVANCED_PARAMETER_MAX_BYTES,
  parameterTierFor,
  parseAgentConfig,
  validateAgentConfig,
} from '../../lib/agent/index.js';

const FILES = 'logs.logs_collected.files.collect_list';
const EVENTS = 'logs.logs_collected.windows_events.collect_list';
const JOURNALD = 'logs.logs_collected.journald.collect_list';

const files = (...collect_list: unknown[]) => ({ logs: { logs_collected: { files: { collect_list } } } });
const events = (...collect_list: unknown[]) => ({ logs: { logs_collected: { windows_events: { collect_list } } } });
const journald = (...collect_list: unknown[]) => ({ logs: { logs_collected: { journald: { collect_list } } } });
const systemEvents = { event_name: 'System', event_levels: ['ERROR'], log_group_name: '/win/system' };

function problemsOf(input: unknown): string[] {
  const result = validateAgentConfig(typeof input === 'string' ? input : JSON.stringify(input));
  if (result.ok) return [];
  return result.problems;
}

function accepted(input: unknown) {
  const result = validateAgentConfig(JSON.stringify(input));
  if (!result.ok) expect.fail(result.problems.join('\n'));
  return result.config;
}

// [what, configuration, JSON path the problem names, a fragment of its message]
const rejected: [string, unknown, string, string][] = [
  ['text that is not JSON', '{"logs": ', '$', 'not valid JSON'],
  ['an array', '[]', '$', 'must be a JSON object'],
  ['a string', '"logs"', '$', 'must be a JSON object'],
  ['an unknown top-level section', { log: {} }, 'log', 'unknown top-level section'],
  ['agent that is not an object', { agent: [] }, 'agent', 'must be an object'],
  ['an unknown key in metrics', { metrics: { metrics_collected: { mem: { measurement: ['mem_used_percent'] } }, namespaces: 'x' } }, 'metrics.namespaces', 'unknown key'],
  ['metrics without metrics_collected', { metrics: { namespace: 'CWAgent' } }, 'metrics.metrics_collected', 'is required'],
  ['an empty namespace', { metrics: { namespace: '', metrics_collected: { mem: { measurement: ['mem_used_percent'] } } } }, 'metrics.namespace', 'at least 1 character'],
  ['a plugin without measurement', { metrics: { metrics_collected: { mem: {} } } }, 'metrics.metrics_collected.mem.measurement', 'is required'],
  ['a non-string dimension', { metrics: { append_dimensions: { InstanceId: 1 }, metrics_collected: { mem: { measurement: ['m'] } } } }, 'metrics.append_dimensions.InstanceId', 'must be a string (got an integer)'],
  ['an unknown key in logs', { logs: { logs_collected: { files: { collect_list: [{ file_path: '/a' }] } }, retention: 7 } }, 'logs.retention', 'unknown key'],
  ['logs with nothing collected', { logs: { log_stream_name: '{instance_id}' } }, 'logs', 'logs_collected is required; or metrics_collected is required'],
  ['an unknown log source', { logs: { logs_collected: { file: {} } } }, 'logs.logs_collected.file', 'unknown key'],
  ['files without collect_list', { logs: { logs_collected: { files: {} } } }, FILES, 'is required'],
  ['collect_list that is not an array', { logs: { logs_collected: { files: { collect_list: {} } } } }, FILES, 'must be an array'],
  ['an empty collect_list', files(), FILES, 'must hold at least 1 item(s)'],
  ['an entry that is not an object', files('/var/log/messages'), `${FILES}[0]`, 'must be an object'],
  ['a file entry without file_path', files({ log_group_name: '/a' }), `${FILES}[0].file_path`, 'is required'],
  ['a file_path that is not a string', files({ file_path: 7 }), `${FILES}[0].file_path`, 'must be a string (got an integer)'],
  ['an unknown key in a file entry', files({ file_path: '/a', multiline_start_pattern: '^x' }), `${FILES}[0].multiline_start_pattern`, 'unknown key'],
  ['a retention CloudWatch Logs does not offer', files({ file_path: '/a', retention_in_days: 10 }), `${FILES}[0].retention_in_days`, 'must be one of -1, 1, 3'],
  ['a retention given as a string', files({ file_path: '/a', retention_in_days: '30' }), `${FILES}[0].retention_in_days`, 'must be an integer (got a string)'],
  ['an unknown log group class', files({ file_path: '/a', log_group_class: 'COLD' }), `${FILES}[0].log_group_class`, 'must be STANDARD or INFREQUENT_ACCESS'],
  ['a bad timezone', files({ file_path: '/a', timezone: 'CET' }), `${FILES}[0].timezone`, 'must be one of "Local", "LOCAL", "UTC"'],
  ['a bad filter type', files({ file_path: '/a', filters: [{ type: 'drop', expression: 'x' }] }), `${FILES}[0].filters[0].type`, 'must be one of "include", "exclude"'],
  ['a log group name with a space', files({ file_path: '/a', log_group_name: '/my app' }), `${FILES}[0].log_group_name`, 'may only contain'],
  ['a log group name over 512 characters', files({ file_path: '/a', log_group_name: `/${'a'.repeat(512)}` }), `${FILES}[0].log_group_name`, 'must be at most 512 character(s) long'],
  ['an empty log group name', files({ file_path: '/a', log_group_name: '' }), `${FILES}[0].log_group_name`, 'must be at least 1 character(s) long'],
  ['an unknown placeholder', files({ file_path: '/a', log_group_name: '/app/{instanceid}' }), `${FILES}[0].log_group_name`, 'unknown placeholder {instanceid}'],
  ['a default log group name that is not a valid name', files({ file_path: 'C:\\logs\\app.log' }), `${FILES}[0].file_path`, 'default log group name'],
  ['a glob in the default log group name', files({ file_path: '/var/log/app/*.log' }), `${FILES}[0].file_path`, 'set log_group_name'],
  ['a stream name with a colon', files({ file_path: '/a', log_stream_name: 'a:b' }), `${FILES}[0].log_stream_name`, "may not contain ':' or '*'"],
  ['an unknown placeholder in a stream name', files({ file_path: '/a', log_stream_name: '{instance}' }), `${FILES}[0].log_stream_name`, 'unknown placeholder {instance}'],
  ['an unknown placeholder in the default stream name', { logs: { log_stream_name: '{host}', logs_collected: { files: { collect_list: [{ file_path: '/a' }] } } } }, 'logs.log_stream_name', 'unknown placeholder {host}'],
  ['a dotted unknown key', events({ ...systemEvents, 'service.name': 'x' }), `${EVENTS}[0]["service.name"]`, 'unknown key'],
  ['a Windows event entry without event_name', events({ event_levels: ['ERROR'], log_group_name: '/w' }), `${EVENTS}[0].event_name`, 'is required'],
  ['a Windows event entry selecting no events', events({ event_name: 'System', log_group_name: '/w' }), `${EVENTS}[0]`, 'event_levels is required; or event_ids is required; or filters is required'],
  ['a Windows event entry without log_group_name', events({ event_name: 'System', event_levels: ['ERROR'] }), `${EVENTS}[0].log_group_name`, 'is required'],
  ['an unknown event level', events({ ...systemEvents, event_levels: ['FATAL'] }), `${EVENTS}[0].event_levels[0]`, 'must be one of "CRITICAL"'],
  ['an event id out of range', events({ ...systemEvents, event_ids: [70000] }), `${EVENTS}[0].event_ids[0]`, 'must be <= 65535 (got 70000)'],
  ['Forwarded Events', events({ ...systemEvents, event_name: 'Forwarded Events' }), `${EVENTS}[0].event_name`, 'Forwarded Events'],
  ['an unknown key in a Windows event entry', events({ ...systemEvents, file_path: '/a' }), `${EVENTS}[0].file_path`, 'unknown key'],
  ['a journald entry without log_group_name', journald({ units: ['sshd.service'] }), `${JOURNALD}[0].log_group_name`, 'is required'],
  ['an unknown key in a journald entry', journald({ log_group_name: '/j', unit: 'sshd' }), `${JOURNALD}[0].unit`, 'unknown key'],
  ['a bad journald priority', journald({ log_group_name: '/j', priority: 'error' }), `${JOURNALD}[0].priority`, 'must be one of'],
  [
    'two retentions for one log group',
    files({ file_path: '/a.log', log_group_name: '/app', retention_in_days: 14 }, { file_path: '/b.log', log_group_name: '/app', retention_in_days: 7 }),
    `${FILES}[1].retention_in_days`,
    `log group "/app" gets retention 7 here but 14 at ${FILES}[0]`,
  ],
  [
    'two retentions for names that differ only in case (the agent compares lower-cased)',
    files({ file_path: '/a.log', log_group_name: '/App', retention_in_days: 14 }, { file_path: '/b.log', log_group_name: '/app', retention_in_days: 7 }),
    `${FILES}[1].retention_in_days`,
    'gets retention 7 here but 14',
  ],
  [
    'two retentions for one log group across files and windows_events',
    {
      logs: {
        logs_collected: {
          files: { collect_list: [{ file_path: '/a.log', log_group_name: '/app', retention_in_days: 14 }] },
          windows_events: { collect_list: [{ ...systemEvents, log_group_name: '/app', retention_in_days: 30 }] },
        },
      },
    },
    `${EVENTS}[0].retention_in_days`,
    `but 14 at ${FILES}[0]`,
  ],
  [
    'two classes for one log group',
    files({ file_path: '/a.log', log_group_name: '/app', log_group_class: 'STANDARD' }, { file_path: '/b.log', log_group_name: '/app', log_group_class: 'infrequent_access' }),
    `${FILES}[1].log_group_class`,
    `gets class INFREQUENT_ACCESS here but STANDARD at ${FILES}[0]`,
  ],
  ['an unknown key in traces', { traces: { traces_collected: {}, sampling: 1 } }, 'traces.sampling', 'unknown key'],
  ['traces without traces_collected', { traces: {} }, 'traces.traces_collected', 'is required'],
];

describe('validateAgentConfig rejects', () => {
  it.each(rejected)('%s', (_what, input, path, fragment) => {
    const problems = problemsOf(input);
    const atPath = problems.filter((problem) => problem.startsWith(`${path}: `));
    expect(atPath, `problems: ${JSON.stringify(problems, null, 2)}`).not.toHaveLength(0);
    expect(atPath.some((problem) => problem.includes(fragment)), `problems: ${JSON.stringify(problems, null, 2)}`).toBe(true);
  });

  it('a configuration whose minified size is over the Advanced parameter limit, naming the size', () => {
    const collect_list = Array.from({ length: 200 }, (_, i) => ({ file_path: `/var/log/app${i}/out.log`, log_group_name: '/app' }));
    const text = JSON.stringify(files(...collect_list));
    expect(text.length).toBeGreaterThan(ADVANCED_PARAMETER_MAX_BYTES);
    expect(problemsOf(text)).toEqual([
      `$: minified configuration is ${text.length} bytes; an Advanced parameter holds at most ${ADVANCED_PARAMETER_MAX_BYTES}`,
    ]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({
      log: {},
      ...files({ file_path: '/a', retention_in_days: 2, bogus: true }, { log_group_name: '/b' }),
    });
    // The agent's schema first: fleetwatch's own rules (the unknown section "log") are judged
    // only on a document the agent accepts.
    expect(problems).toEqual([
      `${FILES}[0].bogus: unknown key (the agent's schema does not allow it here)`,
      `${FILES}[0].retention_in_days: must be one of -1, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 2)`,
      `${FILES}[1].file_path: is required`,
    ]);
  });
});

describe('validateAgentConfig accepts', () => {
  it('measures the size minified, not as written', () => {
    const collect_list = Array.from({ length: 60 }, (_, i) => ({ file_path: `/var/log/app${i}/out.log`, log_group_name: `/app/${i % 10}` }));
    const pretty = JSON.stringify(files(...collect_list), null, 8);
    expect(pretty.length).toBeGreaterThan(ADVANCED_PARAMETER_MAX_BYTES);
    expect(problemsOf(pretty)).toEqual([]);
  });

  it('an empty object', () => {
    expect(accepted({}).logGroups).toEqual([]);
  });

  it('any key in the agent section (its schema allows them), e.g. run_as_user', () => {
    accepted({ agent: { run_as_user: 'cwagent', metrics_collection_interval: 60 } });
  });

  it('every placeholder fleetwatch can resolve in group names, and every one in stream names', () => {
    const name = '/app/{instance_id}/{hostname}/{ip_address}/{aws_region}/{account_id}';
    const stream = '{hostname}-{local_hostname}-{date}-${HOSTNAME}';
    expect(accepted(files({ file_path: '/a', log_group_name: name, log_stream_name: stream })).logGroups).toEqual([
      { name, path: `${FILES}[0]`, streamName: stream },
    ]);
  });

  it('-1 beside a retention for one log group (to the agent -1 is "not set")', () => {
    const config = accepted(
      files({ file_path: '/a.log', log_group_name: '/app', retention_in_days: -1 }, { file_path: '/b.log', log_group_name: '/app', retention_in_days: 7 }),
    );
    expect(config.logGroups).toEqual([{ name: '/app', retentionInDays: 7, path: `${FILES}[0]` }]);
  });

  it('journald entries with the same log group keys', () => {
    const config = accepted(journald({ log_group_name: '/j', units: ['sshd.service'], priority: 'err', retention_in_days: 7 }));
    expect(config.logGroups).toEqual([{ name: '/j', retentionInDays: 7, path: `${JOURNALD}[0]` }]);
  });

  it('Windows event entries that select by event_ids or filters', () => {
    accepted(events({ event_name: 'System', event_ids: [7036], log_group_name: '/w' }));
    accepted(events({ event_name: 'System', filters: [{ type: 'include', expression: 'disk' }], log_group_name: '/w' }));
  });
});

describe('log groups of a configuration', () => {
  it('default a file entry to its path less the file extension (Go filepath.Ext)', () => {
    const config = accepted(files({ file_path: '/var/log/nginx/access.log' }, { file_path: '/var/log/messages' }));
    expect(config.logGroups.map((group) => group.name)).toEqual(['/var/log/nginx/access', '/var/log/messages']);
  });

  it('are listed once per name, with the first entry path and any explicit setting', () => {
    const config = accepted({
      logs: {
        logs_collected: {
          files: {
            collect_list: [
              { file_path: '/a.log', log_group_name: '/app' },
              { file_path: '/b.log', log_group_name: '/app', retention_in_days: 14, log_group_class: 'infrequent_access' },
              { file_path: '/c.log', log_group_name: '/app', retention_in_days: 14 },
              { file_path: '/d.log', log_group_name: '/other' },
            ],
          },
          windows_events: { collect_list: [{ ...systemEvents, log_group_name: '/win/{instance_id}', retention_in_days: -1 }] },
        },
      },
    });
    expect(config.logGroups).toEqual([
      { name: '/app', retentionInDays: 14, logGroupClass: 'INFREQUENT_ACCESS', path: `${FILES}[0]` },
      { name: '/other', path: `${FILES}[3]` },
      { name: '/win/{instance_id}', path: `${EVENTS}[0]` },
    ]);
  });

  it('leave retention and class undefined when no entry sets them, so the stage default applies', () => {
    const [group] = accepted(files({ file_path: '/a.log' })).logGroups;
    expect(group).toEqual({ name: '/a', path: `${FILES}[0]` });
    expect(group && 'retentionInDays' in group).toBe(false);
  });
});

describe('the parsed configuration', () => {
  it('is the document, and its minified text', () => {
    const document = files({ file_path: '/a.log' });
    const config = accepted(document);
    expect(config.document).toEqual(document);
    expect(config.minified).toBe(JSON.stringify(document));
    expect(validateAgentConfig(JSON.stringify(document, null, 2))).toEqual({ ok: true, config });
  });

  it.each([
    ['4096 ASCII bytes', 'x'.repeat(4096), 'Standard'],
    ['4097 ASCII bytes', 'x'.repeat(4097), 'Advanced'],
    ['2049 characters, 4098 bytes in UTF-8 (the limit is in bytes)', 'é'.repeat(2049), 'Advanced'],
  ])('%s need a %s parameter', (_what, minified, tier) => {
    expect(parameterTierFor(minified)).toBe(tier);
  });
});

describe('parseAgentConfig', () => {
  it('returns the configuration when it is valid', () => {
    expect(parseAgentConfig('web', JSON.stringify(files({ file_path: '/a.log' }))).logGroups).toHaveLength(1);
  });

  it('throws InvalidAgentConfigError naming the configuration and every problem', () => {
    let caught: unknown;
    try {
      parseAgentConfig('web', JSON.stringify(files({ file_path: '/a.log', retention_in_days: 2, foo: 1 })));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidAgentConfigError);
    const error = caught as InvalidAgentConfigError;
    expect(error.name).toBe('InvalidAgentConfigError');
    expect(error.configName).toBe('web');
    expect(error.resource).toBe('web');
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain(`${FILES}[0].foo: unknown key`);
  });
});
