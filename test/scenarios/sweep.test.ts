/**
 * Issue 4's scenario: the drift sweep over a converged fleet with drift of every kind injected
 * behind fleetwatch's back (no events): a lost profile, a deleted log group, changed retention,
 * an agent on an old version, an instance that was unreachable and registered since, and agents
 * that stopped reporting. The dry run names each with its reason, one apply fixes all of it,
 * and a second dry run plans nothing.
 */
import { describe, expect, it } from 'vitest';
import { parameterName } from '../../lib/config.js';
import { deployedStack, expectConverged, FLEET_RUN_TIMEOUT, MINUTE, selectorTags } from './helpers.js';
import { reconcile } from '../../lib/entry/reconcile.js';

const FLEET = Number(process.env.SWEEP_FLEET ?? 10_000);

describe(`the drift sweep over ${FLEET.toLocaleString('en')} instances`, () => {
  it('names each drift with its reason in the dry run, fixes all of it in one apply, reports the silent agent, then plans nothing', FLEET_RUN_TIMEOUT, async () => {
    const { account, stack } = deployedStack({ seed: 41 });
    const { settings } = stack;
    await stack.settle();
    const configs = ['default', 'web', 'windows'] as const;
    const selected = new Map<string, string>();
    for (let index = 0; index < FLEET; index++) {
      const configName = configs[index % 3]!;
      const id = account.launchInstance({
        tags: selectorTags(stack, configName),
        platform: configName === 'windows' ? 'windows' : 'linux',
        profileName: settings.managedProfileName,
        registrationDelayMs: MINUTE,
      }).instanceId;
      selected.set(id, configName);
    }
    // Never registers within the 45-minute window (however late the worker's first look comes in
    // the backlog of 10,000): recorded unreachable, then registers at 100 min.
    const late = Array.from({ length: 5 }, () =>
      account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: settings.managedProfileName, registrationDelayMs: 100 * MINUTE }).instanceId,
    );
    await stack.settle();
    const lateStatus = late.map((id) => account.record(id)?.status);

    // Drift behind fleetwatch's back: no events reach the stack.
    stack.disconnectRules();
    const ids = [...selected.keys()];
    const lostProfile = ids.slice(0, 3);
    lostProfile.forEach((id) => account.disassociateProfile(id));
    account.deleteLogGroup('/var/log/messages');
    const webAccess = [...account.logs.groups.keys()].find((name) => name.startsWith('/fleetwatch/web/'))!;
    const webAccessRetention = account.logGroup(webAccess)!.retentionInDays!;
    account.logs.putRetention(webAccess, 1);
    const windowsV2 = account.putParameter(parameterName(settings, 'windows'), account.parameters.latest(parameterName(settings, 'windows'))!.value.replace('"metrics_collection_interval":60', '"metrics_collection_interval":30'));
    // Linux ones: a Windows instance is behind on its version as well, and gets a configure (which restarts it).
    const linux = ids.filter((id) => selected.get(id) !== 'windows');
    const stopped = linux.slice(10, 13);
    stopped.forEach((id) => account.stopAgent(id));
    const stuck = linux[20]!;
    account.silenceAgent(stuck, 'stuck');
    // Past the grace period, so that silence counts.
    await account.clock.sleep(20 * MINUTE);
    stack.connectRules();

    const plan = await stack.reconcile({ dryRun: true, lineLimit: 10_000 });
    await stack.reconcile({ dryRun: false });
    await stack.settle();
    const afterFirstApply = await stack.reconcile({ dryRun: true, lineLimit: 100 });
    // The stuck agent was restarted once; after the grace period the next sweep reports it failed.
    await account.clock.sleep(20 * MINUTE);
    await stack.reconcile({ dryRun: false });
    await stack.settle();
    const last = await stack.reconcile({ dryRun: true, lineLimit: 100 });

    const linesFor = (id: string) => plan.lines.filter((line) => line.target === id).map((line) => `${line.action}: ${line.reason}`);

    // Starts from a converged fleet with the late instances recorded unreachable.
    expect(lateStatus).toEqual(late.map(() => 'unreachable'));
    expect(windowsV2).toBe(2);

    // The dry run lists each drift with its reason.
    for (const id of lostProfile) expect(linesFor(id)).toContain('associate-profile: no instance profile');
    expect(plan.lines).toContainEqual(expect.objectContaining({ target: '/var/log/messages', action: 'create-log-group', reason: 'log group missing' }));
    expect(plan.lines).toContainEqual(expect.objectContaining({ target: webAccess, action: 'set-retention', reason: 'retention differs', detail: expect.stringContaining(`1 days, want ${webAccessRetention} days`) }));
    // A Windows instance that lost its profile waits for SSM first: its configure comes then.
    const windows = ids.filter((id) => selected.get(id) === 'windows' && !lostProfile.includes(id));
    expect(plan.byReason['version behind']).toBe(windows.length);
    for (const id of late) expect(linesFor(id)).toEqual(['install-and-configure: not configured']);
    for (const id of [...stopped, stuck]) expect(linesFor(id)).toEqual(['restart: agent silent']);
    expect(plan.lines.find((line) => line.target === stuck)?.detail).toMatch(/no metrics in CWAgent with InstanceId i-\w+ in the last 3 h; restart it once/);

    // One apply fixes all of it.
    const notConfigured = [...selected.keys()].filter((id) => id !== stuck && account.record(id)?.status !== 'configured');
    expect(notConfigured.map((id) => `${id} ${account.record(id)?.status}: ${account.record(id)?.lastError}`)).toEqual([]);
    for (const [id, configName] of selected) if (id !== stuck) expectConverged(account, stack, id, configName);
    for (const id of late) expect(account.record(id)?.lastError ?? 'ok', id).toBe('ok');
    for (const id of late) expectConverged(account, stack, id, 'default');
    for (const id of stopped) expect(account.agent(id).running).toBe(true);
    expect(account.logGroup('/var/log/messages')).toMatchObject({ retentionInDays: settings.defaultRetentionDays });
    expect(account.logGroup(webAccess)).toMatchObject({ retentionInDays: webAccessRetention });
    // All but the stuck agent, which was restarted once: settling the queue (the commands'
    // outcome checks come 15 min after them) can take the clock past its grace period, and then
    // the next sweep reports it, as the checks below show.
    const left = afterFirstApply.lines.filter((line) => line.target !== stuck);
    expect(left.map((line) => `${line.target} ${line.action}: ${line.reason}`)).toEqual([]);

    // Restarts a silent agent once, then reports it failed with what is missing.
    expect(account.agent(stuck).restarts).toBe(2); // the configure, then the one restart
    expect(account.record(stuck)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('min after a restart') });
    expect(account.published.filter((event) => event.detailType === 'Agent Silent' && event.detail.instanceId === stuck)).toHaveLength(1);

    // A second dry run plans nothing.
    expect(last.actions).toBe(0);
  });
});

describe('a sweep larger than one invocation fans out through the work queue', () => {
  it('plans in one invocation, applies in batches, and converges', async () => {
    const { account, stack } = deployedStack({ seed: 42 });
    await stack.settle();
    stack.disconnectRules();
    const ids = Array.from({ length: 450 }, () => account.launchInstance({ tags: selectorTags(stack, 'default'), registrationDelayMs: 2 * MINUTE }).instanceId);
    stack.connectRules();
    // The reconcile function's threshold is 10,000; the sweep's lib call takes a lower one.
    const report = await reconcile(stack.ports(), stack.settings, { dryRun: false, action: 'ensure', fanOutAbove: 100 });
    expect(report.fannedOut).toEqual({ batches: 3, instances: 450 });
    expect(report.byOutcome).toBeUndefined();
    expect(account.stats().calls.AssociateIamInstanceProfile ?? 0).toBe(0);
    await stack.settle();
    for (const id of ids) expectConverged(account, stack, id, 'default');
    expect((await stack.reconcile({ dryRun: true })).actions).toBe(0);
  });
});
