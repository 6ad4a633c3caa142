import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAwsOrganizationAccess } from '../../lib/aws/clients.js';
import { CREDENTIALS_MARGIN_MS, UNREACHABLE_MEMORY_MS, partitionOf, unreachableError } from '../../lib/aws/members.js';
import type { Clock } from '../../lib/clock.js';
import { testSettings } from '../../lib/config.js';
import { MemberUnreachableError } from '../../lib/errors.js';
import { awsError } from './helpers.js';

const sts = mockClient(STSClient);
const ec2 = mockClient(EC2Client);
const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 30, 20, 0, 0);
const A = { account: '111111111111', region: 'us-east-1' };
const B = { account: '222222222222', region: 'eu-west-1' };

let now = START;
const clock: Clock = { now: () => now, sleep: async () => {} };
const settings = testSettings({ organizationId: 'o-a1b2c3d4e5', memberAccounts: [A.account, B.account], memberRegions: ['us-east-1', 'eu-west-1'] });
const members = () => createAwsOrganizationAccess(settings, { clock })!.members();

function credentials(key: string, expiration = new Date(START + HOUR)) {
  return { Credentials: { AccessKeyId: key, SecretAccessKey: `${key}-secret`, SessionToken: `${key}-token`, Expiration: expiration } };
}

beforeEach(() => {
  sts.reset();
  ec2.reset();
  now = START;
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
});

describe('opening a member account-region', () => {
  it("assumes the member role of the cell's account, then calls the member with those credentials in the cell's region", async () => {
    sts.on(AssumeRoleCommand).resolves(credentials('ASIAMEMBER'));

    const ports = await members().open(A);
    await ports.ec2.describeInstances(['i-0123456789abcdef0']);

    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::111111111111:role/fleetwatch-dev-member',
      RoleSessionName: 'fleetwatch-dev',
      DurationSeconds: 3600,
    });
    const client = ec2.call(0).thisValue as EC2Client;
    expect(await client.config.region()).toBe('us-east-1');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'ASIAMEMBER', secretAccessKey: 'ASIAMEMBER-secret', sessionToken: 'ASIAMEMBER-token' });
  });

  it('assumes once per cell however often and however concurrently the cell is opened', async () => {
    sts.on(AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => credentials(input.RoleArn.includes('111111111111') ? 'ASIAA' : 'ASIAB'));
    const port = members();

    const opened = await Promise.all([port.open(A), port.open(A), port.open(B), port.open({ ...A, region: 'eu-west-1' })]);
    now += 30 * 60_000;
    const later = await port.open(A);

    // Three cells, three AssumeRoles: the region is part of the cell (each gets its own clients).
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 3);
    expect(opened[0]).toBe(opened[1]);
    expect(opened[0]).not.toBe(opened[3]);
    expect(later).toBe(opened[0]);
  });

  it('assumes again once the cached credentials would not outlast an invocation', async () => {
    sts.on(AssumeRoleCommand).resolvesOnce(credentials('ASIAFIRST')).resolvesOnce(credentials('ASIASECOND', new Date(START + 2 * HOUR)));
    const port = members();
    const first = await port.open(A);

    now = START + HOUR - CREDENTIALS_MARGIN_MS - 1;
    expect(await port.open(A)).toBe(first);
    now = START + HOUR - CREDENTIALS_MARGIN_MS;
    const second = await port.open(A);

    expect(second).not.toBe(first);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });
});

describe('a member that cannot be reached', () => {
  it('is reported with its cell and reason, and STS is not asked again for it until the memory runs out', async () => {
    sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: sts:AssumeRole', 403));
    const port = members();

    const error = await port.open(A).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MemberUnreachableError);
    expect(error).toMatchObject({ account: A.account, region: A.region, reason: 'access-denied', resource: '111111111111/us-east-1' });
    expect((error as Error).message).toMatch(/member stack not deployed to this account\) or its trust refuses/);

    // A burst of work for the broken member: no second AssumeRole.
    await Promise.all(Array.from({ length: 10 }, () => expect(port.open(A)).rejects.toBeInstanceOf(MemberUnreachableError)));
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);

    now += UNREACHABLE_MEMORY_MS;
    await expect(port.open(A)).rejects.toBeInstanceOf(MemberUnreachableError);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('does not hold the failure of one cell against another', async () => {
    sts.on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::111111111111:role/fleetwatch-dev-member' }).rejects(awsError('AccessDenied', 'denied', 403));
    sts.on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::222222222222:role/fleetwatch-dev-member' }).resolves(credentials('ASIAB'));
    const port = members();

    await expect(port.open(A)).rejects.toBeInstanceOf(MemberUnreachableError);
    await expect(port.open(B)).resolves.toBeDefined();
  });

  it('is reported as refused when the member refuses a call after the role was assumed, naming the cell and the call', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials('ASIAMEMBER'));
    ec2.on(DescribeInstancesCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: x', 403));

    const ports = await members().open(A);
    const error = await ports.ec2.describeInstances(['i-0123456789abcdef0']).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MemberUnreachableError);
    expect(error).toMatchObject({ account: A.account, region: A.region, reason: 'access-denied' });
    expect((error as Error).message).toMatch(/describeInstances refused in the member .*UnauthorizedOperation/);
  });

  it('leaves any other error of a member call as it was', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials('ASIAMEMBER'));
    ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidParameterValue', 'bad filter'));
    const ports = await members().open(A);
    const error = await ports.ec2.describeInstances(['i-0123456789abcdef0']).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(MemberUnreachableError);
    expect((error as Error).name).toBe('InvalidParameterValue');
  });

  it('maps each STS answer to its reason; anything else stays the typed error it maps to', () => {
    const role = 'arn:aws:iam::111111111111:role/fleetwatch-dev-member';
    expect(unreachableError(A, role, awsError('NoSuchEntity'))).toMatchObject({ reason: 'role-missing' });
    expect(unreachableError(A, role, awsError('AccessDenied'))).toMatchObject({ reason: 'access-denied' });
    expect(unreachableError(A, role, awsError('RegionDisabledException'))).toMatchObject({ reason: 'access-denied' });
    expect(unreachableError(A, role, awsError('Throttling'))).toMatchObject({ reason: 'throttled' });
    const unavailable = unreachableError(A, role, awsError('InternalFailure', 'oops', 500));
    expect(unavailable).not.toBeInstanceOf(MemberUnreachableError);
    expect((unavailable as Error).message).toMatch(/^AssumeRole arn:aws:iam::111111111111:role\/fleetwatch-dev-member: InternalFailure/);
  });

  it('is not built in the single-account mode', () => {
    expect(createAwsOrganizationAccess(testSettings())).toBeUndefined();
  });

  it('asks STS again in the next invocation: each invocation gets its own MembersPort', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials('ASIAMEMBER'));
    const access = createAwsOrganizationAccess(settings, { clock })!;
    await access.members().open(A);
    await access.members().open(A);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });
});

describe('partitionOf', () => {
  it('names the partition of a region', () => {
    expect(partitionOf('eu-west-1')).toBe('aws');
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
  });
});
