/**
 * Issue 3's scenarios: a new configuration version rolled out to 1,000 instances in waves, with
 * failures under and over the maxErrors threshold, and an invalid version that never goes out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../lib/agent/index.js';
import { parameterName } from '../../lib/config.js';
import { fleetStatus } from '../../lib/entry/status.js';
import { failFraction } from '../../local/index.js';
import { deployedStack, FLEET_RUN_TIMEOUT, MINUTE, peakOverlap, selectorTags } from './helpers.js';

const webConfig = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'agent', 'configs', 'web.json'), 'utf8')) as {
  metrics: { metrics_collected: Record<string, { measurement: unknown[] }> };
  logs: { logs_collected: { files: { collect_list: Record<string, unknown>[] } } };
};

/** web.json with one more log file: a new version that names a new log group. */
function webV2(): string {
  const next = structuredClone(webConfig);
  next.logs.logs_collected.files.collect_list.push({
    file_path: '/var/log/app/app.log',
    log_group_name: '/fleetwatch/web/app',
    log_stream_name: '{instance_id}',
    retention_in_days: 14,
  });
  return parseAgentConfig('web', JSON.stringify(next)).minified;
}

async function fleetOnV1(size: number, seed: number) {
  const { account, stack } = deployedStack({ seed }, { settings: { maxConcurrency: '10%', maxErrors: '5%' } });
  await stack.settle();
  const ids = Array.from({ length: size }, () =>
    account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId,
  );
  await stack.settle();
  const name = parameterName(stack.settings, 'web');
  for (const id of ids) expect(account.agent(id).configVersion).toBe(1);
  return { account, stack, ids, name };
}

const sendCommands = (account: { stats(): { calls: Partial<Record<string, number>> } }) => account.stats().calls.SendCommand ?? 0;

describe('a 1,000-instance rollout with 3% of instances failing', () => {
  it('completes in waves within maxConcurrency, the new log group first, every failure recorded', FLEET_RUN_TIMEOUT, async () => {
    const { account, stack, ids, name } = await fleetOnV1(1_000, 31);
    const before = sendCommands(account);
    account.setCommandOutcome(failFraction(0.03, 'E! [processors.ec2tagger] no ec2 metadata'));
    account.putParameter(name, webV2());
    await stack.settle();
    const rollout = account.rollout('web');

    // Completes.
    expect(rollout).toMatchObject({ version: 2, status: 'completed', total: 1_000 });

    // Puts every instance that did not fail on the new version.
    const onV2 = ids.filter((id) => account.agent(id).configVersion === 2);
    const failed = ids.filter((id) => account.record(id)?.status === 'failed' || (account.record(id)?.lastError && account.agent(id).configVersion === 1));
    expect(onV2.length + failed.length).toBe(1_000);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(50); // maxErrors 5% of 1,000

    // Records each failure with its error text.
    const failures = ids.map((id) => account.record(id)!).filter((record) => record.appliedVersion === 1);
    expect(failures.length).toBeGreaterThan(0);
    for (const record of failures) expect(record.lastError).toContain('no ec2 metadata');

    // Creates the new log group before configuring any instance.
    const group = account.logGroup('/fleetwatch/web/app');
    expect(group).toMatchObject({ retentionInDays: 14 });
    const firstV2Configure = Math.min(...ids.map((id) => (account.agent(id).configVersion === 2 ? account.agent(id).configuredAt! : Infinity)));
    expect(group!.createdAt).toBeLessThan(firstV2Configure);

    // Goes out in waves within maxConcurrency, with few SendCommand calls.
    // 1,000 instances at 10%: waves of up to 100 (two calls of 50), refilled as half drain.
    const calls = sendCommands(account) - before;
    expect(calls).toBeGreaterThanOrEqual(20);
    expect(calls).toBeLessThanOrEqual(45);
    const starts = ids.flatMap((id) => account.invocationsOn(id).filter((i) => i.command.parameters.configurationLocation?.[0]?.endsWith(':2')));
    const maxInFlight = peakOverlap(starts.map((i) => [i.command.requestedAt, i.endedAt ?? Infinity]));
    expect(maxInFlight).toBeLessThanOrEqual(100);

    // Publishes Rollout Completed and reports status per configuration.
    expect(account.published.filter((event) => event.detailType === 'Rollout Completed' && event.detail.version === 2)).toHaveLength(1);
    const status = await fleetStatus(stack.ports(), stack.settings);
    const web = status.configurations.find((c) => c.configName === 'web')!;
    expect(web.standingVersion).toBe(2);
    expect(web.rollout).toMatchObject({ version: 2, status: 'completed' });
    expect(web.instances.current + web.instances.failed + web.instances.pending + web.instances.behind).toBe(1_000);
  });
});

/**
 * Stopping is about the threshold, not the fleet's size: 300 instances make waves of 30 under
 * maxConcurrency 10% and allow 15 errors under maxErrors 5%, as 1,000 make waves of 100 and allow
 * 50, at a third of the run (the 1,000-instance run above shows size).
 */
const STOPPING_FLEET = 300;

describe(`a ${STOPPING_FLEET}-instance rollout with 30% of instances failing`, () => {
  it('stops at the threshold, rolls back, and keeps the bad version from new instances and sweeps', FLEET_RUN_TIMEOUT, async () => {
    const { account, stack, ids, name } = await fleetOnV1(STOPPING_FLEET, 32);
    // The bad version fails on 30% of instances; the good one still works everywhere.
    const badVersion = failFraction(0.3, 'E! agent crashed on start');
    account.setCommandOutcome((context) => (context.parameters.configurationLocation?.[0]?.endsWith(':2') ? badVersion(context) : undefined));
    account.putParameter(name, webV2());
    await stack.settle();
    const rollout = account.rollout('web');

    // Stops at the threshold and rolls back.
    expect(rollout).toMatchObject({ version: 2, status: 'rolled-back', goodVersion: 1 });
    expect(rollout!.reason).toMatch(/more than maxErrors 5%/);
    // It stopped early: far fewer than half the instances ever got the bad version.
    const touched = ids.filter((id) => account.invocationsOn(id).some((i) => i.command.parameters.configurationLocation?.[0]?.endsWith(':2')));
    expect(touched.length).toBeLessThan(STOPPING_FLEET / 2);

    // Puts every instance that took the bad version back on the last good one.
    for (const id of ids) expect(account.agent(id).configVersion, id).toBe(1);

    // Keeps the bad version from new instances and sweeps.
    const late = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    expect(account.agent(late).configVersion).toBe(1);
    expect((await stack.reconcile({ dryRun: true })).actions).toBe(0);
    const status = await fleetStatus(stack.ports(), stack.settings);
    expect(status.configurations.find((c) => c.configName === 'web')).toMatchObject({ standingVersion: 1, heldBack: { version: 2 } });

    // Publishes Rollout Rolled Back.
    expect(account.published.filter((event) => event.detailType === 'Rollout Rolled Back')).toHaveLength(1);
  });
});

describe('an invalid configuration version', () => {
  it('is rejected with a clear error and no command is sent', async () => {
    const { account, stack, ids, name } = await fleetOnV1(50, 33);
    const before = sendCommands(account);
    account.putParameter(name, '{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/x","log_group_name":"/x","retention_in_days":10,"colour":"red"}]}}}}');
    await stack.settle();
    expect(sendCommands(account)).toBe(before);
    expect(account.rollout('web')).toMatchObject({ version: 2, status: 'rejected', goodVersion: 1 });
    const error = stack.logs.find((line) => line.message.startsWith('configuration version rejected'));
    expect(error?.extra).toMatchObject({ parameter: name, version: 2 });
    expect(JSON.stringify(error?.extra?.problems)).toContain('collect_list[0].retention_in_days');
    expect(JSON.stringify(error?.extra?.problems)).toContain('colour');
    expect(stack.metric('ConfigurationsRejected')).toBe(1);
    for (const id of ids) expect(account.agent(id).configVersion).toBe(1);
    // A sweep keeps them on v1 too.
    expect((await stack.reconcile({ dryRun: true })).actions).toBe(0);
  });
});

describe('a deleted configuration parameter', () => {
  it('reports the instances that select it and stops nothing', async () => {
    const { account, stack, ids, name } = await fleetOnV1(5, 34);
    account.deleteParameter(name);
    await stack.settle();
    const line = stack.logs.find((l) => l.message.startsWith('configuration parameter deleted'));
    expect(line?.extra).toMatchObject({ parameter: name, instances: 5 });
    expect(account.published.find((event) => event.detailType === 'Configuration Deleted')?.detail.instanceIds).toEqual(expect.arrayContaining(ids));
    for (const id of ids) expect(account.agent(id).running).toBe(true);
  });
});


describe('a rollout whose outcome events are lost', () => {
  it('is moved on by the sweep that settles them from SSM, before their outcome checks come', async () => {
    const { account, stack } = deployedStack({ seed: 33 }, { dropCommandEvents: 1, settings: { maxConcurrency: '10%', maxErrors: '5%' } });
    await stack.settle();
    for (let i = 0; i < 100; i++) {
      account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE });
    }
    await stack.settle(); // onboarded: every outcome settled by its check
    account.putParameter(parameterName(stack.settings, 'web'), webV2());
    // The first wave's commands finish in under a minute; their checks are 15 minutes away.
    await stack.settle(5 * MINUTE);
    expect(account.rollout('web')).toMatchObject({ version: 2, status: 'in-progress', sent: 10 });

    await stack.reconcile({ dryRun: false });
    await stack.settle(5 * MINUTE);
    expect(account.rollout('web')?.sent).toBeGreaterThan(10);
  });
});
