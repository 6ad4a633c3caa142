/**
 * Ec2Port and IamPort against moto: the real SDK over HTTP.
 *
 * moto 5.2, where it differs from EC2 (so what these tests can and cannot prove):
 * - DescribeInstances pages by *reservation*, not by instance: MaxResults=1000 returns up to 1000
 *   reservations. To force a second page the fleet below is 1,005 reservations (one RunInstances
 *   each, one of them holding 100 instances), 1,104 tagged instances in all.
 * - It accepts any number of filter values (EC2 caps a call at 200: FilterLimitExceeded), so the
 *   100-ids-per-call chunking is not checked by moto; test/aws/ec2.test.ts checks it.
 * - AssociateIamInstanceProfile with an unknown profile answers IAM's NoSuchEntity, where EC2
 *   answers InvalidParameterValue "Invalid IAM Instance Profile name" (→ IamNotPropagatedError,
 *   test/aws/errors.test.ts). An association answers "associating" and is "associated" at once.
 */
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { IncorrectStateError } from '../../lib/errors.js';
import type { Ports } from '../../lib/ports.js';
import { clientConfig, contractPorts, inParallel, resetMoto } from './moto.js';

const SELECTOR = 'fleetwatch:dev:config';
/** AMIs from moto's stock list (an Amazon Linux and a Windows Server one): the platform comes from the AMI. */
const LINUX_IMAGE = 'ami-760aaa0f';
const WINDOWS_IMAGE = 'ami-12c6146b';
const CLOUDWATCH_AGENT_POLICY = 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy';
const SSM_CORE_POLICY = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';

let ec2: EC2Client;
let iam: IAMClient;
let ports: Ports;

async function runInstances(count: number, tags: Record<string, string>, imageId = LINUX_IMAGE): Promise<string[]> {
  const result = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: 't3.micro',
      MinCount: count,
      MaxCount: count,
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  return (result.Instances ?? []).map((instance) => instance.InstanceId ?? '');
}

async function createProfile(name: string, policyArns: string[] = []): Promise<void> {
  await iam.send(
    new CreateRoleCommand({
      RoleName: `${name}-role`,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: `${name}-role` }));
  for (const arn of policyArns) await ports.iam.attachRolePolicy(`${name}-role`, arn);
}

beforeAll(async () => {
  await resetMoto();
  ec2 = new EC2Client(clientConfig());
  iam = new IAMClient(clientConfig());
  ports = contractPorts();
});

describe('describeInstancesByTagKey', () => {
  let tagged: string[];
  let stopped: string;
  let terminated: string;
  let windows: string;

  beforeAll(async () => {
    const big = await runInstances(100, { [SELECTOR]: 'web', Name: 'big' });
    const singles = (await inParallel(1_004, 16, (i) => runInstances(1, { [SELECTOR]: i % 2 ? 'web' : 'default' }))).flat();
    [windows] = (await runInstances(1, { [SELECTOR]: 'windows' }, WINDOWS_IMAGE)) as [string];
    tagged = [...big, ...singles, windows];
    // Not selected: another tag key only, and no tags at all.
    await runInstances(3, { Name: 'unrelated' });
    await ec2.send(new RunInstancesCommand({ ImageId: LINUX_IMAGE, MinCount: 1, MaxCount: 1 }));
    // A stopped instance stays in the answer (it may start again); a terminated one does not.
    stopped = singles[0]!;
    terminated = singles[1]!;
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated] }));
  }, 120_000);

  it('moto answers 1,006 reservations in two pages of at most 1000', async () => {
    const first = await ec2.send(new DescribeInstancesCommand({ MaxResults: 1000, Filters: [{ Name: 'tag-key', Values: [SELECTOR] }] }));
    expect(first.Reservations).toHaveLength(1000);
    expect(first.NextToken).toBeTruthy();
  });

  it('follows NextToken to the last page and leaves out terminated and untagged instances', async () => {
    const instances = await ports.ec2.describeInstancesByTagKey(SELECTOR);

    const ids = instances.map((instance) => instance.instanceId);
    expect(ids).toHaveLength(tagged.length - 1);
    expect(new Set(ids)).toEqual(new Set(tagged.filter((id) => id !== terminated)));
    expect(instances.find((instance) => instance.instanceId === stopped)?.state).toBe('stopped');
    const sample = instances.find((instance) => instance.instanceId === tagged[0]);
    expect(sample).toMatchObject({ state: 'running', platform: 'linux', tags: { [SELECTOR]: 'web', Name: 'big' } });
    expect(sample?.privateIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(sample?.privateDnsName).toMatch(/^ip-/);
    // EC2 sends Platform "windows" (lower case, unlike the SDK's enum) and nothing for Linux.
    expect(instances.find((instance) => instance.instanceId === windows)?.platform).toBe('windows');
  });

  it('sees a tag added later', async () => {
    const [late] = await runInstances(1, { Name: 'late' });
    await ec2.send(new CreateTagsCommand({ Resources: [late!], Tags: [{ Key: SELECTOR, Value: 'web' }] }));

    const ids = (await ports.ec2.describeInstancesByTagKey(SELECTOR)).map((instance) => instance.instanceId);
    expect(ids).toContain(late);
  });

  it('describes instances by id over several calls of 100, leaving out an id that does not exist', async () => {
    const wanted = tagged.slice(0, 250);
    const missing = 'i-0123456789abcdef0';

    const instances = await ports.ec2.describeInstances([...wanted, missing, wanted[0]!]);

    expect(instances.map((instance) => instance.instanceId).sort()).toEqual([...wanted].sort());
  });

  it('describes a terminated instance by id (EC2 shows it for a while) and nothing for an empty list', async () => {
    expect((await ports.ec2.describeInstances([terminated])).map((instance) => instance.state)).toEqual(['terminated']);
    expect(await ports.ec2.describeInstances([])).toEqual([]);
  });
});

describe('instance profiles', () => {
  let instanceId: string;
  let other: string;

  beforeAll(async () => {
    [instanceId, other] = await runInstances(2, { [SELECTOR]: 'web' }) as [string, string];
    await createProfile('foreign');
    await createProfile('fleetwatch-dev-agent', [CLOUDWATCH_AGENT_POLICY, SSM_CORE_POLICY]);
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'empty' }));
  });

  it('associates a profile, describes it, refuses a second with IncorrectStateError, and replaces it', async () => {
    expect(await ports.ec2.describeProfileAssociations([instanceId, other])).toEqual([]);

    // Associate answers "associating", as EC2 does; a describe right after sees "associated" on moto.
    const associated = await ports.ec2.associateProfile(instanceId, 'foreign');
    expect(associated).toMatchObject({ instanceId, state: 'associating' });
    expect(associated.associationId).toMatch(/^iip-assoc-/);
    expect(associated.profileArn).toMatch(/^arn:aws:iam::\d{12}:instance-profile\/foreign$/);

    expect(await ports.ec2.describeProfileAssociations([instanceId, other])).toEqual([{ ...associated, state: 'associated' }]);

    const second = ports.ec2.associateProfile(instanceId, 'fleetwatch-dev-agent');
    await expect(second).rejects.toBeInstanceOf(IncorrectStateError);
    await expect(second).rejects.toMatchObject({ instanceId, message: expect.stringMatching(/^AssociateIamInstanceProfile .*IncorrectState/) });

    const replaced = await ports.ec2.replaceProfile(associated.associationId, 'fleetwatch-dev-agent', instanceId);
    expect(replaced).toMatchObject({ instanceId, associationId: associated.associationId });
    expect(replaced.profileArn).toMatch(/:instance-profile\/fleetwatch-dev-agent$/);
    expect((await ports.ec2.describeProfileAssociations([instanceId])).map((a) => a.profileArn)).toEqual([replaced.profileArn]);
  });

  it('reads a profile’s role and its managed policies, and attaches the missing ones idempotently', async () => {
    expect(await ports.iam.getProfileRole('fleetwatch-dev-agent')).toEqual({
      profileName: 'fleetwatch-dev-agent',
      roleName: 'fleetwatch-dev-agent-role',
      attachedPolicyArns: expect.arrayContaining([CLOUDWATCH_AGENT_POLICY, SSM_CORE_POLICY]),
    });
    expect(await ports.iam.getProfileRole('foreign')).toEqual({ profileName: 'foreign', roleName: 'foreign-role', attachedPolicyArns: [] });

    // The "attach" profile mode: both AWS managed policies onto the foreign role, twice.
    for (let round = 0; round < 2; round++) {
      await ports.iam.attachRolePolicy('foreign-role', CLOUDWATCH_AGENT_POLICY);
      await ports.iam.attachRolePolicy('foreign-role', SSM_CORE_POLICY);
    }
    expect((await ports.iam.getProfileRole('foreign'))?.attachedPolicyArns.sort()).toEqual([CLOUDWATCH_AGENT_POLICY, SSM_CORE_POLICY].sort());
  });

  it('answers undefined for a profile that does not exist and no role for an empty one', async () => {
    expect(await ports.iam.getProfileRole('no-such-profile')).toBeUndefined();
    expect(await ports.iam.getProfileRole('empty')).toEqual({ profileName: 'empty', attachedPolicyArns: [] });
  });
});
