/**
 * The log groups fleetwatch creates for an instance are the ones its agent writes to: each of the
 * agent's naming rules (aws/amazon-cloudwatch-agent, cited in lib/agent/log-groups.ts) against
 * what the agent does with the same entry.
 */
import { describe, expect, it } from 'vitest';
import { defaultLogGroupName, goFilepathExt, telemetrySignals, validateAgentConfig, type AgentConfig } from '../../lib/agent/index.js';
import { testSettings, type Settings } from '../../lib/config.js';
import { logGroupsFor } from '../../lib/planning/desired.js';
import type { Instance } from '../../lib/ports.js';

const instance: Instance = {
  instanceId: 'i-0abc1234def567890',
  state: 'running',
  tags: { 'fleetwatch:dev:config': 'web' },
  platform: 'linux',
  privateIpAddress: '10.0.0.12',
  privateDnsName: 'ip-10-0-0-12.eu-west-1.compute.internal',
};

function configOf(entries: object[], settings: Settings = testSettings()): AgentConfig {
  const result = validateAgentConfig(JSON.stringify({ logs: { logs_collected: { files: { collect_list: entries } } } }), settings);
  if (!result.ok) expect.fail(result.problems.join('\n'));
  return result.config;
}

/** The groups fleetwatch creates for `instance`, and those it leaves to the agent. */
function groupsFor(entries: object[], settings: Settings = testSettings()) {
  return logGroupsFor(instance, configOf(entries, settings), settings);
}

describe('default group name: file_path less Go filepath.Ext of the last element (fileconfig.go logGroupName)', () => {
  it.each([
    ['/var/log/nginx/access.log', '/var/log/nginx/access'],
    ['/var/log/my.app/messages', '/var/log/my.app/messages'],
    ['/var/log/app.log.1', '/var/log/app.log'],
    ['/opt/app.d/out', '/opt/app.d/out'],
    ['/var/log/messages', '/var/log/messages'],
    ['/home/user/.bash_history', '/home/user/'],
    ['/var/log/app.', '/var/log/app'],
  ])('%s -> %s', (filePath, name) => {
    expect(defaultLogGroupName(filePath)).toBe(name);
    expect(groupsFor([{ file_path: filePath }]).logGroups.map((group) => group.name)).toEqual([name]);
  });

  it('is what Go returns for the extension', () => {
    expect(goFilepathExt('/var/log/my.app/messages')).toBe('');
    expect(goFilepathExt('/var/log/app.log.1')).toBe('.1');
    expect(goFilepathExt('/home/user/.bash_history')).toBe('.bash_history');
  });
});

describe('publish_multi_logs (logfile.go FindLogSrc)', () => {
  it('with a log_group_name: that one group (the agent varies the stream per file)', () => {
    expect(groupsFor([{ file_path: '/var/log/app/*.log', publish_multi_logs: true, log_group_name: '/app/{instance_id}' }]).logGroups.map((g) => g.name)).toEqual([
      '/app/i-0abc1234def567890',
    ]);
  });

  it('without one: refused, as the agent makes a group per matched file', () => {
    const result = validateAgentConfig(JSON.stringify({ logs: { logs_collected: { files: { collect_list: [{ file_path: '/var/log/app/*.log', publish_multi_logs: true }] } } } }));
    expect(result.ok ? [] : result.problems).toEqual([
      'logs.logs_collected.files.collect_list[0].log_group_name: is required with publish_multi_logs: the agent makes one log group per file the pattern matches, named after the file, which cannot be known ahead',
    ]);
  });
});

describe('placeholders (placeholderUtil.go), resolved per instance', () => {
  it('{instance_id}, {hostname}, {ip_address}, {aws_region}, {account_id}', () => {
    const { logGroups } = groupsFor([{ file_path: '/a.log', log_group_name: '/app/{instance_id}/{hostname}/{ip_address}/{aws_region}/{account_id}' }]);
    expect(logGroups.map((group) => group.name)).toEqual(['/app/i-0abc1234def567890/ip-10-0-0-12.eu-west-1.compute.internal/10.0.0.12/eu-west-1/123456789012']);
  });

  it('{date}: refused, the agent fills in the day it last translated its configuration', () => {
    const result = validateAgentConfig(JSON.stringify({ logs: { logs_collected: { files: { collect_list: [{ file_path: '/a.log', log_group_name: '/app/{date}' }] } } } }));
    expect(result.ok ? [] : result.problems).toEqual([
      'logs.logs_collected.files.collect_list[0].log_group_name: {date} in log group name "/app/{date}": only the instance knows its value, so fleetwatch cannot create the group ahead',
    ]);
  });
});

describe('retention_in_days (ruleRetentionInDays.go, validate_fields.go)', () => {
  it('-1 is the agent\'s "not set": the stage default applies, as when it is left out', () => {
    const settings = testSettings({ defaultRetentionDays: 90 });
    expect(groupsFor([{ file_path: '/a.log', retention_in_days: -1 }], settings).logGroups).toEqual([{ name: '/a', retentionInDays: 90, logGroupClass: 'STANDARD' }]);
    expect(groupsFor([{ file_path: '/a.log' }], settings).logGroups).toEqual([{ name: '/a', retentionInDays: 90, logGroupClass: 'STANDARD' }]);
  });

  it('a set retention wins over -1 for the same group, whatever the order', () => {
    const entries = [
      { file_path: '/a.log', log_group_name: '/app', retention_in_days: -1 },
      { file_path: '/b.log', log_group_name: '/app', retention_in_days: 14 },
    ];
    expect(groupsFor(entries).logGroups).toEqual([{ name: '/app', retentionInDays: 14, logGroupClass: 'STANDARD' }]);
  });
});

describe('log_group_class (DefaultLogGroupClassCase: upper-cased)', () => {
  it('any case, else the stage default', () => {
    expect(groupsFor([{ file_path: '/a.log', log_group_class: 'infrequent_access' }]).logGroups[0]?.logGroupClass).toBe('INFREQUENT_ACCESS');
    expect(groupsFor([{ file_path: '/a.log' }], testSettings({ logGroupClass: 'INFREQUENT_ACCESS' })).logGroups[0]?.logGroupClass).toBe('INFREQUENT_ACCESS');
  });
});

describe('logs in another account (allowCrossAccountLogs)', () => {
  it('creates none of the groups, and says why', () => {
    const settings = testSettings({ allowCrossAccountLogs: true });
    const result = validateAgentConfig(
      JSON.stringify({ logs: { credentials: { role_arn: 'arn:aws:iam::210987654321:role/central-logs' }, logs_collected: { files: { collect_list: [{ file_path: '/a.log' }] } } } }),
      settings,
    );
    if (!result.ok) expect.fail(result.problems.join('\n'));
    const { logGroups, skippedLogGroups } = logGroupsFor(instance, result.config, settings);
    expect(logGroups).toEqual([]);
    expect(skippedLogGroups).toEqual([{ template: '/a', reason: expect.stringContaining('outside this stage\'s account') }]);
    // Nor does it look for the instance's streams there: this account cannot see them.
    expect(telemetrySignals(result.config).logGroupsByInstanceStream).toEqual([]);
  });
});
