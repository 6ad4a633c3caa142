import { describe, expect, it } from 'vitest';
import { KnownLogGroups } from '../lib/observation/known-log-groups.js';
import { reconcile } from '../lib/entry/reconcile.js';
import { deployedStack, MINUTE, selectorTags } from './scenarios/helpers.js';

describe('KnownLogGroups', () => {
  it('forgets a group after its time to live', () => {
    const known = new KnownLogGroups(60_000);
    known.remember({ name: '/a', retentionInDays: 7 }, 0);
    expect(known.get('/a', 60_000)).toEqual({ name: '/a', retentionInDays: 7 });
    expect(known.get('/a', 60_001)).toBeUndefined();
    expect(known.get('/b', 0)).toBeUndefined();
  });
});

describe('a warm worker and the sweep', () => {
  it('the worker trusts what it saw; the sweep describes, and finds a group deleted meanwhile', async () => {
    const { account, stack } = deployedStack({ seed: 81 });
    await stack.settle();
    const id = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    const known = new KnownLogGroups();
    const ports = { ...stack.ports(), knownLogGroups: known };
    const worker = () => reconcile(ports, stack.settings, { dryRun: true, action: 'ensure', scope: { instanceIds: [id] }, origin: 'worker' });
    const describes = () => account.stats().calls.DescribeLogGroups ?? 0;

    await worker();
    const afterFirst = describes();
    await worker();
    expect(describes()).toBe(afterFirst); // remembered: no describe

    account.deleteLogGroup('/var/log/messages');
    expect((await worker()).actions).toBe(0); // the worker does not see it within the TTL
    const sweep = await reconcile(ports, stack.settings, { dryRun: true, action: 'ensure' });
    expect(describes()).toBeGreaterThan(afterFirst);
    expect(sweep.lines).toContainEqual(expect.objectContaining({ target: '/var/log/messages', action: 'create-log-group' }));
  });
});
