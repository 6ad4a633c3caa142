import { describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/account.js';
import { MINUTE, PROFILE, SELECTOR, account } from './helpers.js';

describe('call counting and paging', () => {
  it('describes 1,000 tagged instances in one DescribeInstances page and 1,001 in two', async () => {
    const sim = new SimulatedAccount();
    const { ec2 } = sim.ports();
    sim.launchFleet(1000, () => ({ tags: { [SELECTOR]: 'web' } }));
    sim.launchFleet(50, () => ({ tags: { other: 'x' } }));
    expect(await ec2.describeInstancesByTagKey(SELECTOR)).toHaveLength(1000);
    expect(sim.calls.DescribeInstances).toBe(1);
    const extra = sim.launchInstance({ tags: { [SELECTOR]: 'db' } }).instanceId;
    sim.resetCalls();
    expect(await ec2.describeInstancesByTagKey(SELECTOR)).toHaveLength(1001);
    expect(sim.calls.DescribeInstances).toBe(2);
    // Terminated instances are filtered out before paging.
    sim.terminate(extra);
    sim.resetCalls();
    expect(await ec2.describeInstancesByTagKey(SELECTOR)).toHaveLength(1000);
    expect(sim.calls.DescribeInstances).toBe(1);
  });

  it('sees tag changes and keeps the tag index right', async () => {
    const sim = new SimulatedAccount();
    const { ec2 } = sim.ports();
    const changes: string[][] = [];
    sim.onTagChange((event) => changes.push(event.changedTagKeys));
    const { instanceId } = sim.launchInstance({ tags: { Name: 'a' } });
    sim.tag(instanceId, SELECTOR, 'web');
    expect((await ec2.describeInstancesByTagKey(SELECTOR))[0]?.tags).toEqual({ Name: 'a', [SELECTOR]: 'web' });
    sim.tag(instanceId, SELECTOR, undefined);
    expect(await ec2.describeInstancesByTagKey(SELECTOR)).toEqual([]);
    expect(changes).toEqual([[SELECTOR], [SELECTOR]]);
  });

  it('splits named describes into 200-value filters and counts every other API as AWS would', async () => {
    const sim = account({ registrationDelayMs: 0 });
    const ports = sim.ports();
    const ids = sim.launchFleet(450, () => ({ profileName: PROFILE }));
    await sim.clock.sleep(1);
    sim.resetCalls();
    expect(await ports.ec2.describeInstances([...ids, 'i-gone'])).toHaveLength(450);
    expect(await ports.ec2.describeProfileAssociations(ids)).toHaveLength(450);
    expect(await ports.ssm.describeManagedInstances()).toHaveLength(450);
    expect(await ports.ssm.describeManagedInstances(ids.slice(0, 120))).toHaveLength(120);
    expect(await ports.ssm.getParameters(Array.from({ length: 25 }, (_, i) => `p${i}`))).toEqual([]);
    await ports.queue.enqueue(ids.slice(0, 25).map((instanceId) => ({ instanceId, reason: 'test', attempt: 0 })));
    await ports.events.publish(Array.from({ length: 11 }, () => ({ detailType: 'Instance Onboarded', detail: {} })));
    expect(sim.calls).toEqual({
      DescribeInstances: 3,
      DescribeIamInstanceProfileAssociations: 3,
      DescribeInstanceInformation: 9 + 3,
      GetParameters: 3,
      SendMessageBatch: 3,
      PutEvents: 2,
    });
    expect(sim.published).toHaveLength(11);
  });

  it('pages DescribeLogGroups by prefix, 50 a page, in name order', async () => {
    const sim = new SimulatedAccount();
    const { logs } = sim.ports();
    for (let i = 0; i < 120; i++) sim.createLogGroup(`/fleetwatch/web/i-${String(i).padStart(3, '0')}`, { retentionInDays: 30 });
    sim.createLogGroup('/fleetwatch/db/x');
    sim.createLogGroup('/other');
    const groups = await logs.describeLogGroups('/fleetwatch/web/');
    expect(groups).toHaveLength(120);
    expect(groups[0]).toEqual({ name: '/fleetwatch/web/i-000', retentionInDays: 30, logGroupClass: 'STANDARD', arn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/fleetwatch/web/i-000' });
    expect(sim.calls.DescribeLogGroups).toBe(3);
    expect(await logs.describeLogGroups('/nothing')).toEqual([]);
    expect(sim.calls.DescribeLogGroups).toBe(4);
  });

  // How long it takes in real time is the bench's (dry-run section), not a test's.
  it('describes a 100,000-instance fleet in whole pages', async () => {
    const sim = account({ registrationDelayMs: MINUTE });
    const ids = sim.launchFleet(100_000, (i) => ({ tags: { [SELECTOR]: i % 2 ? 'web' : 'db' }, profileName: PROFILE }));
    await sim.clock.sleep(MINUTE);
    const ports = sim.ports();
    const instances = await ports.ec2.describeInstancesByTagKey(SELECTOR);
    const managed = await ports.ssm.describeManagedInstances();
    const associations = await ports.ec2.describeProfileAssociations(ids);
    expect(instances).toHaveLength(100_000);
    expect(managed).toHaveLength(100_000);
    expect(associations).toHaveLength(100_000);
    // Associations: ⌈100,000 / 198⌉, as the state filter takes 2 of a call's 200 filter values.
    expect(sim.calls).toMatchObject({ DescribeInstances: 100, DescribeInstanceInformation: 2000, DescribeIamInstanceProfileAssociations: 506 });
    // A guard, not a speed check: 100,000 simulated instances can take over 30 s on a loaded 2-core machine.
  }, 180_000);
});
