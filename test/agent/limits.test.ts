/**
 * The limits on log groups (stage settings): per configuration per instance, judged by the
 * validator; and new log groups per rollout, judged when the rollout's first step has worked
 * out which groups it would create. Over either, the version is rejected before any command is
 * sent, and the message names the count.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateAgentConfig } from '../../lib/agent/index.js';
import { parameterName, testSettings } from '../../lib/config.js';
import { deployedStack, MINUTE, selectorTags } from '../scenarios/helpers.js';

type Bundled = { logs: { logs_collected: { files: { collect_list: Record<string, unknown>[] } } } };
const bundled = (name: string) => JSON.parse(readFileSync(new URL(`../../agent/configs/${name}.json`, import.meta.url), 'utf8')) as Bundled;

/** A bundled configuration and `extra` more log groups named after the instance. */
function withPerInstanceGroups(extra: number, name = 'default'): string {
  const next = bundled(name);
  for (let i = 0; i < extra; i++) {
    next.logs.logs_collected.files.collect_list.push({ file_path: `/l${i}`, log_group_name: `/a${i}/{instance_id}` });
  }
  return JSON.stringify(next);
}

describe('log groups per configuration per instance (maxLogGroupsPerInstance)', () => {
  it('rejects a configuration naming more, with the count', () => {
    // The case was 132 {instance_id} entries in one 8 KB configuration.
    const result = validateAgentConfig(withPerInstanceGroups(120), testSettings());
    expect(result).toEqual({
      ok: false,
      problems: ['logs.logs_collected: names 122 log groups, more than the 50 per instance this stage allows (maxLogGroupsPerInstance)'],
    });
  });

  it('accepts up to the limit, and follows the stage setting', () => {
    expect(validateAgentConfig(withPerInstanceGroups(48), testSettings()).ok).toBe(true);
    expect(validateAgentConfig(withPerInstanceGroups(48), testSettings({ maxLogGroupsPerInstance: 49 })).ok).toBe(false);
    expect(validateAgentConfig(withPerInstanceGroups(120), testSettings({ maxLogGroupsPerInstance: 200 })).ok).toBe(true);
  });
});

describe('new log groups per rollout (maxNewLogGroupsPerRollout)', () => {
  it('rejects the version, naming the count, before anything is sent or created, and keeps the instances on the good version in later sweeps', async () => {
    const { account, stack } = deployedStack({ seed: 12 }, { settings: { maxNewLogGroupsPerRollout: 8 } });
    await stack.settle();
    const ids = Array.from({ length: 5 }, () =>
      account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId,
    );
    await stack.settle();
    const sentBefore = account.stats().calls.SendCommand ?? 0;
    const createdBefore = account.stats().calls.CreateLogGroup ?? 0;
    // Two groups per instance: 10 new groups for 5 instances, over the 8 allowed.
    account.putParameter(parameterName(stack.settings, 'web'), withPerInstanceGroups(2, 'web'));
    await stack.settle();

    // Rejects the version, naming the count, before anything is sent or created.
    expect(account.rollout('web')).toMatchObject({ version: 2, status: 'rejected', goodVersion: 1 });
    expect(account.rollout('web')?.reason).toBe(
      '$: this version needs 10 new log groups across 5 instances, more than the 8 one rollout may create (maxNewLogGroupsPerRollout)',
    );
    expect(account.stats().calls.SendCommand ?? 0).toBe(sentBefore);
    expect(account.stats().calls.CreateLogGroup ?? 0).toBe(createdBefore);
    for (const id of ids) expect(account.agent(id).configVersion).toBe(1);
    expect(stack.metric('ConfigurationsRejected')).toBe(1);

    // Keeps the instances on the good version in later sweeps.
    expect((await stack.reconcile({ dryRun: true })).actions).toBe(0);
  });
});
