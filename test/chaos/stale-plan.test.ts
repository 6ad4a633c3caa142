/**
 * Found by the 10,000-instance chaos run: a fleet-wide reconcile applies its record actions last,
 * after its profile phase, which at EC2's mutating rate (bucket 200, 5/s) takes minutes. A
 * wait-for-registration planned from the reconcile's early observation then lands on a record a
 * worker has since moved to `configured`, and sets it back to `pending` / "not registered with
 * SSM". Nothing heals it: the agent is at the current version, so every later plan is empty.
 *
 * Fixed by carrying the record revision each action was planned from (lib/planning/plan.ts plannedFrom):
 * the executor skips an action whose record moved on since.
 */
import { describe, expect, it } from 'vitest';
import { deployedStack, expectConverged, MINUTE, selectorTags } from '../scenarios/helpers.js';
import { reconcile } from '../../lib/entry/reconcile.js';

describe('a slow fleet reconcile and a worker on one instance', () => {
  it('the reconcile\'s stale wait-for-registration does not undo the worker\'s configure', async () => {
    const { account, stack } = deployedStack({ seed: 71 });
    await stack.settle();
    const { settings } = stack;
    // The fleet exists before the rules: only the reconcile and the worker below act on it.
    stack.disconnectRules();
    // 600 instances without a profile: the reconcile's profile phase takes (600 - 200) / 5 = 80 s.
    account.launchFleet(600, () => ({ tags: selectorTags(stack, 'default'), registrationDelayMs: 60 * MINUTE }));
    // The one the race is about: has the managed profile, registers 5 s after the reconcile looked.
    const id = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: settings.managedProfileName, registrationDelayMs: 5_000 }).instanceId;
    stack.connectRules();

    const sweep = stack.reconcile({ lineLimit: 0 });
    // The worker's look (its work item came from the running event): registered by now, it sends
    // the command, whose outcome event records `configured` while the sweep still associates.
    await account.clock.sleep(10_000);
    expect(account.isManaged(id)).toBe(true);
    // The worker's reconcile of its work item (no function input asks for a worker's look).
    await reconcile(stack.ports(), settings, { dryRun: false, action: 'ensure', scope: { instanceIds: [id] }, origin: 'worker', lineLimit: 0 });
    await account.clock.sleep(45_000);
    expect(account.record(id)).toMatchObject({ status: 'configured', appliedConfig: 'web' });
    const report = await sweep;
    expect(report.byAction['wait-for-registration']).toBeGreaterThan(600);
    await stack.settle(10 * MINUTE);
    await stack.reconcile({ lineLimit: 0 });
    await stack.settle(10 * MINUTE);

    expect(account.agent(id)).toMatchObject({ installed: true, running: true, configVersion: 1 });
    expectConverged(account, stack, id, 'web');
  });
});
