import { describe, expect, it } from 'vitest';
import { MemberUnreachableError, ThrottledError } from '../../lib/errors.js';
import { cellKey } from '../../lib/model/cell.js';
import { SimulatedOrganization } from '../../local/organization.js';
import { organization } from './helpers.js';

const eu = (account: string) => ({ account, region: 'eu-west-1' });

describe('the simulated organization', () => {
  it('gives every account-region its own simulated account on one clock', () => {
    const { org } = organization();
    expect(org.cells().map(cellKey)).toEqual(['100000000001/eu-west-1', '100000000001/us-east-1', '100000000002/eu-west-1', '100000000002/us-east-1']);
    const [a, b] = [org.member(eu('100000000001')), org.member({ account: '100000000001', region: 'us-east-1' })];
    expect(a).not.toBe(b);
    expect(a.clock).toBe(b.clock);
    expect(a.clock).toBe(org.hub.clock);
    a.launchInstance({ tags: { x: '1' } });
    expect([a.ec2.instances.size, b.ec2.instances.size]).toEqual([1, 0]);
    expect(() => org.member(eu('999999999999'))).toThrow(/not a cell/);
  });

  it('opens a cell with one AssumeRole per invocation, whoever asks, and the member ports reach that cell', async () => {
    const { org } = organization();
    const cell = eu('100000000002');
    org.member(cell).launchInstance({ tags: { 'fleetwatch:dev:config': 'web' } });
    const members = org.membersPort();
    const [first, second] = await Promise.all([members.open(cell), members.open(cell)]);
    expect(first).toBe(second);
    expect(await first.ec2.describeInstancesByTagKey('fleetwatch:dev:config')).toHaveLength(1);
    expect(org.assumeRoles(cell)).toBe(1);
    expect(org.member(cell).calls.DescribeInstances).toBe(1);
    expect(org.member(eu('100000000001')).calls.DescribeInstances).toBeUndefined();
    // The next invocation assumes the role again.
    await org.membersPort().open(cell);
    expect(org.assumeRoles(cell)).toBe(2);
    expect(org.assumeRoles()).toBe(2);
  });

  it('fails AssumeRole with the reason of each fault, once per invocation', async () => {
    const { org } = organization();
    const [missing, denied, outside] = [eu('100000000001'), { account: '100000000002', region: 'us-east-1' }, eu('222222222222')];
    org.setFault(missing, 'stack-missing');
    org.setFault(denied, 'access-denied');
    const members = org.membersPort();
    const reasons = async (cell: typeof missing) => {
      const error = await members.open(cell).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MemberUnreachableError);
      return (error as MemberUnreachableError).reason;
    };
    expect([await reasons(missing), await reasons(missing), await reasons(denied), await reasons(outside)]).toEqual([
      'role-missing',
      'role-missing',
      'access-denied',
      'access-denied',
    ]);
    expect(org.assumeRoles(missing)).toBe(1);
    org.setFault(missing, undefined);
    await expect(org.membersPort().open(missing)).resolves.toBeDefined();
  });

  it('throttles a throttled cell\'s EC2 past the retries and leaves its other APIs and the other cells alone', async () => {
    const { org } = organization();
    const cell = eu('100000000001');
    org.setFault(cell, 'throttled');
    const members = org.membersPort();
    const ports = await members.open(cell);
    await expect(ports.ec2.describeInstancesByTagKey('k')).rejects.toBeInstanceOf(ThrottledError);
    await expect(ports.ssm.describeManagedInstances()).resolves.toEqual([]);
    await expect((await members.open(eu('100000000002'))).ec2.describeInstancesByTagKey('k')).resolves.toEqual([]);
    org.setFault(cell, undefined);
    await expect((await org.membersPort().open(cell)).ec2.describeInstancesByTagKey('k')).resolves.toEqual([]);
  });

  it('keeps a rate budget per cell: one cell\'s burst does not throttle another', async () => {
    const { org } = organization();
    const [busy, quiet] = [eu('100000000001'), eu('100000000002')];
    const members = org.membersPort();
    const [a, b] = await Promise.all([members.open(busy), members.open(quiet)]);
    // CloudWatch Logs' DescribeLogGroups: 5 TPS per account and region.
    await Promise.all(Array.from({ length: 20 }, () => a.logs.describeLogGroups('/x')));
    await b.logs.describeLogGroups('/x');
    expect(org.member(busy).stats().throttled.DescribeLogGroups).toBeGreaterThan(0);
    expect(org.member(quiet).stats().throttled.DescribeLogGroups).toBeUndefined();
  });

  it('lists the accounts of organizational units, and an account moved out leaves them', async () => {
    const org = new SimulatedOrganization({
      accounts: ['100000000001', '100000000002', '100000000003'],
      regions: ['eu-west-1'],
      units: { 'ou-ab12-prod0001': ['100000000001', '100000000002'], 'ou-ab12-test0001': ['100000000003'] },
    });
    const organizations = org.organizationsPort();
    expect(await organizations.accountsIn(['ou-ab12-prod0001'])).toEqual(['100000000001', '100000000002']);
    expect(await organizations.accountsIn(['ou-ab12-prod0001', 'ou-ab12-test0001'])).toHaveLength(3);
    org.moveAccount('100000000002', 'ou-ab12-suspended');
    expect(await organizations.accountsIn(['ou-ab12-prod0001'])).toEqual(['100000000001']);
  });

  it('deploys the member side only where the member stack is', () => {
    const org = new SimulatedOrganization({ accounts: 2, regions: ['eu-west-1'] });
    org.setFault(eu('100000000002'), 'stack-missing');
    const { settings } = organization({}, {});
    org.deployMembers(settings);
    expect(org.member(eu('100000000001')).iam.profiles.has(settings.managedProfileName)).toBe(true);
    expect(org.member(eu('100000000002')).iam.profiles.has(settings.managedProfileName)).toBe(false);
    expect(org.member(eu('100000000001')).parameters.latest(`${settings.parameterPrefix}web`)).toBeDefined();
  });
});
