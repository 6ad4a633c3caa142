/**
 * Issue 2's scenario: a mixed fleet of 50 that exists before fleetwatch is deployed. One reconcile
 * (and the registration waits it queues) brings every selected, running instance to its desired
 * state; a second reconcile plans nothing; invalid selections are reported and left alone.
 */
import { describe, expect, it } from 'vitest';
import { parameterName } from '../../lib/config.js';
import { deployedStack, expectConverged, MINUTE, selectorTags, successfulCommands } from './helpers.js';

/** The fleet of issue 2, there before the rules are, reconciled once and settled, then planned again. */
async function mixedFleetReconciledOnce() {
  const { account, stack } = deployedStack({ seed: 3 });
  const { settings } = stack;
  account.createRole('app-role', []);
  account.createInstanceProfile('app-profile', { roleName: 'app-role', propagated: true });
  account.createManagedProfile('legacy-ssm');
  // The fleet is there before the rules are: no events reach the stack for it.
  stack.disconnectRules();

  const selected = new Map<string, string>();
  const configs = ['default', 'web', 'windows'] as const;
  for (let index = 0; index < 36; index++) {
    const configName = configs[index % 3]!;
    const id = account.launchInstance({
      tags: selectorTags(stack, configName),
      platform: configName === 'windows' ? 'windows' : 'linux',
      registrationDelayMs: (1 + (index % 10)) * MINUTE,
      ...(index % 2 === 0 && { profileName: 'legacy-ssm' }),
    }).instanceId;
    selected.set(id, configName);
  }
  const untagged = Array.from({ length: 6 }, () => account.launchInstance({ tags: { Name: 'other' } }).instanceId);
  const stopped = Array.from({ length: 3 }, () => account.launchInstance({ tags: selectorTags(stack, 'web'), state: 'stopped' }).instanceId);
  const invalid = ['../x', 'a;b', 'nosuch'].map((value) => account.launchInstance({ tags: { [settings.selectorTagKey]: value } }).instanceId);
  const foreign = Array.from({ length: 2 }, () => account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: 'app-profile' }).instanceId);
  stack.connectRules();

  const first = await stack.reconcile();
  await stack.settle();
  const second = await stack.reconcile({ dryRun: true });
  return { account, stack, settings, selected, untagged, stopped, invalid, foreign, first, second };
}

describe('a mixed fleet of 50, reconciled once', () => {
  it('is planned in one pass and converged, then planned empty; what is invalid, foreign, untagged or stopped is left alone', async () => {
    const { account, stack, settings, selected, untagged, stopped, invalid, foreign, first, second } = await mixedFleetReconciledOnce();

    // Plans the fleet in one pass and applies it without a failed action.
    expect(first.instancesInScope).toBe(36 + 3 + 3 + 2);
    expect(first.failed).toBe(0);
    expect(first.byAction['associate-profile']).toBe(18);

    // Brings every selected, running instance to its desired state.
    for (const [id, configName] of selected) expectConverged(account, stack, id, configName);

    // Creates every log group the configurations name, with retention and the service tags.
    for (const name of ['/var/log/messages', '/var/log/secure']) {
      expect(account.logGroup(name)).toMatchObject({ retentionInDays: settings.defaultRetentionDays, tags: { 'fleetwatch:managed-by': 'fleetwatch' } });
    }

    // Sends each instance exactly one successful command.
    for (const id of selected.keys()) expect(successfulCommands(account, stack, id), id).toBe(1);

    // Plans nothing on a second reconcile.
    expect(second.actions).toBe(0);
    expect(second.lines).toEqual([]);

    // Reports each invalid selection with the tag value and leaves the instance alone.
    for (const id of invalid) {
      const record = account.record(id);
      expect(record?.status).toBe('invalid');
      expect(account.ec2.activeAssociationOf(id)).toBeUndefined();
      expect(account.invocationsOn(id)).toEqual([]);
    }
    expect(account.record(invalid[0]!)?.lastError).toContain('"../x" is not a configuration name');
    expect(account.record(invalid[1]!)?.lastError).toContain('"a;b" is not a configuration name');
    expect(account.record(invalid[2]!)?.lastError).toContain('"nosuch" names no configuration of stage dev');

    // Reports a foreign profile that lacks the policies (report mode) and changes nothing on it.
    for (const id of foreign) {
      expect(account.record(id)).toMatchObject({ status: 'drift' });
      expect(account.ec2.activeAssociationOf(id)?.profileName).toBe('app-profile');
      expect(account.iam.profileHasPolicy('app-profile', 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy')).toBe(false);
    }

    // Touches neither untagged nor stopped instances.
    for (const id of [...untagged, ...stopped]) {
      expect(account.record(id)).toBeUndefined();
      expect(account.invocationsOn(id)).toEqual([]);
    }
  });
});

describe('bad input changes nothing', () => {
  it('a malformed configuration: its instances are reported, no command is sent', async () => {
    const { account, stack } = deployedStack({ seed: 4 });
    stack.disconnectRules();
    account.putParameter(parameterName(stack.settings, 'web'), '{"logs": {"logs_collected": {"files": {"collect_list": [{"file_path": "/x", "retention_in_days": 10}]}}}}');
    const ids = Array.from({ length: 3 }, () => account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: 0 }).instanceId);
    await account.clock.sleep(1_000);
    const report = await stack.reconcile();
    expect(report.unusableConfigurations).toEqual([
      expect.objectContaining({
        configName: 'web',
        version: 2,
        problems: [expect.stringContaining('collect_list[0].retention_in_days: must be one of'), 'no earlier version rolled out to fall back to'],
      }),
    ]);
    for (const id of ids) {
      expect(account.record(id)?.status).toBe('invalid');
      expect(account.invocationsOn(id)).toEqual([]);
    }
  });

  it('a scope naming an unknown configuration is an error naming the known ones, not an empty plan', async () => {
    const { stack } = deployedStack({ seed: 6 });
    await expect(stack.reconcile({ dryRun: false, scope: { configName: 'wbe' } })).rejects.toThrow(
      'config "wbe" is not a configuration of stage dev (known: default, web, windows); nothing was changed',
    );
  });

  it('a scope that matches no instance is an empty plan', async () => {
    const { stack } = deployedStack({ seed: 6 });
    const report = await stack.reconcile({ dryRun: false, scope: { instanceIds: ['i-0123456789abcdef0'] } });
    expect(report.actions).toBe(0);
  });

  it('a dry run changes nothing at all', async () => {
    const { account, stack } = deployedStack({ seed: 5 });
    stack.disconnectRules();
    account.launchInstance({ tags: selectorTags(stack, 'default') });
    const before = account.stats();
    const plan = await stack.reconcile({ dryRun: true });
    expect(plan.actions).toBeGreaterThan(0);
    const after = account.stats();
    for (const op of ['AssociateIamInstanceProfile', 'CreateLogGroup', 'PutRetentionPolicy', 'SendCommand', 'PutItem', 'SendMessageBatch', 'PutEvents'] as const) {
      expect(after.calls[op] ?? 0, op).toBe(before.calls[op] ?? 0);
    }
  });
});
