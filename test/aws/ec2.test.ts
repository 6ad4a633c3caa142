import {
  AssociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  EC2Client,
  ReplaceIamInstanceProfileAssociationCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { IamNotPropagatedError, IncorrectStateError } from '../../lib/errors.js';
import { awsError, awsPorts, instanceIds } from './helpers.js';

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

function sdkInstance(id: string, extra: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    State: { Name: 'running', Code: 16 },
    Tags: [{ Key: 'fleetwatch:config', Value: 'web' }],
    PrivateIpAddress: '10.0.0.12',
    PrivateDnsName: 'ip-10-0-0-12.eu-west-1.compute.internal',
    ...extra,
  };
}

describe('describeInstancesByTagKey', () => {
  it('filters on the tag key and every state but terminated, and joins all pages', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [sdkInstance('i-1'), sdkInstance('i-2')] }], NextToken: 'p2' })
      .resolvesOnce({ Reservations: [{ Instances: [sdkInstance('i-3')] }, { Instances: [sdkInstance('i-4')] }], NextToken: 'p3' })
      .resolvesOnce({ Reservations: [] });

    const found = await awsPorts().ec2.describeInstancesByTagKey('fleetwatch:config');

    expect(found.map((instance) => instance.instanceId)).toEqual(['i-1', 'i-2', 'i-3', 'i-4']);
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 3);
    expect(ec2).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 1, {
      Filters: [
        { Name: 'tag-key', Values: ['fleetwatch:config'] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
      ],
    });
    // (The paginator reuses one input object, so per-call NextToken cannot be asserted on the recorded calls.)
  });

  it('maps tags, platform and addresses', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            sdkInstance('i-1'),
            // The wire value is lowercase "windows"; the SDK's type says "Windows".
            sdkInstance('i-2', { Platform: 'windows' as never, PrivateDnsName: '', PrivateIpAddress: undefined, State: { Name: 'stopped' } }),
          ],
        },
      ],
    });

    const [linux, windows] = await awsPorts().ec2.describeInstancesByTagKey('fleetwatch:config');

    expect(linux).toEqual({
      instanceId: 'i-1',
      state: 'running',
      tags: { 'fleetwatch:config': 'web' },
      platform: 'linux',
      privateIpAddress: '10.0.0.12',
      privateDnsName: 'ip-10-0-0-12.eu-west-1.compute.internal',
    });
    expect(windows).toEqual({ instanceId: 'i-2', state: 'stopped', tags: { 'fleetwatch:config': 'web' }, platform: 'windows' });
  });
});

describe('describeInstances', () => {
  it('asks by instance-id filter, never InstanceIds, so unknown ids are just absent', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [sdkInstance('i-known')] }] });

    const found = await awsPorts().ec2.describeInstances(['i-known', 'i-gone']);

    expect(found.map((instance) => instance.instanceId)).toEqual(['i-known']);
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DescribeInstancesCommand, {
      Filters: [{ Name: 'instance-id', Values: ['i-known', 'i-gone'] }],
    });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.InstanceIds).toBeUndefined();
  });

  it('splits many ids into calls of at most 200 filter values (EC2 limit), each id once', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    const ids = instanceIds(250);

    await awsPorts().ec2.describeInstances([...ids, ids[0]!]);

    const asked = ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input.Filters?.[0]?.Values ?? []);
    expect(asked.map((values) => values.length)).toEqual([200, 50]);
    expect(asked.flat()).toEqual(ids);
  });
});

describe('describeProfileAssociations batching', () => {
  it('fills each call to 200 filter values with the two state values: 198 ids', async () => {
    ec2.on(DescribeIamInstanceProfileAssociationsCommand).resolves({ IamInstanceProfileAssociations: [] });
    const ids = instanceIds(400);
    await awsPorts().ec2.describeProfileAssociations(ids);
    const calls = ec2.commandCalls(DescribeIamInstanceProfileAssociationsCommand).map((call) => call.args[0].input.Filters ?? []);
    expect(calls.map((filters) => filters.reduce((sum, filter) => sum + (filter.Values?.length ?? 0), 0))).toEqual([200, 200, 6]);
    expect(calls.flatMap((filters) => filters.find((filter) => filter.Name === 'instance-id')?.Values ?? [])).toEqual(ids);
  });
});

describe('describeProfileAssociations', () => {
  it('filters by instance id and the holding states, joining pages', async () => {
    ec2
      .on(DescribeIamInstanceProfileAssociationsCommand)
      .resolvesOnce({
        IamInstanceProfileAssociations: [
          { AssociationId: 'iip-assoc-1', InstanceId: 'i-1', IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/a' }, State: 'associated' },
        ],
        NextToken: 'next',
      })
      .resolvesOnce({
        IamInstanceProfileAssociations: [
          { AssociationId: 'iip-assoc-2', InstanceId: 'i-2', IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/p/b' }, State: 'associating' },
        ],
      });

    const found = await awsPorts().ec2.describeProfileAssociations(['i-1', 'i-2']);

    expect(found).toEqual([
      { associationId: 'iip-assoc-1', instanceId: 'i-1', profileArn: 'arn:aws:iam::123456789012:instance-profile/a', state: 'associated' },
      { associationId: 'iip-assoc-2', instanceId: 'i-2', profileArn: 'arn:aws:iam::123456789012:instance-profile/p/b', state: 'associating' },
    ]);
    expect(ec2).toHaveReceivedNthCommandWith(DescribeIamInstanceProfileAssociationsCommand, 1, {
      Filters: [
        { Name: 'instance-id', Values: ['i-1', 'i-2'] },
        { Name: 'state', Values: ['associating', 'associated'] },
      ],
    });
  });
});

describe('associateProfile / replaceProfile', () => {
  it('associates by profile name', async () => {
    ec2.on(AssociateIamInstanceProfileCommand).resolves({
      IamInstanceProfileAssociation: {
        AssociationId: 'iip-assoc-9',
        InstanceId: 'i-1',
        IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/fleetwatch-dev-agent' },
        State: 'associating',
      },
    });

    const association = await awsPorts().ec2.associateProfile('i-1', 'fleetwatch-dev-agent');

    expect(association).toEqual({
      associationId: 'iip-assoc-9',
      instanceId: 'i-1',
      profileArn: 'arn:aws:iam::123456789012:instance-profile/fleetwatch-dev-agent',
      state: 'associating',
    });
    expect(ec2).toHaveReceivedCommandWith(AssociateIamInstanceProfileCommand, {
      InstanceId: 'i-1',
      IamInstanceProfile: { Name: 'fleetwatch-dev-agent' },
    });
  });

  it('maps a second association to IncorrectStateError and a propagating profile to IamNotPropagatedError', async () => {
    const ports = awsPorts();
    ec2
      .on(AssociateIamInstanceProfileCommand)
      .rejectsOnce(awsError('IncorrectState', 'There is an existing association for instance i-1'))
      .rejectsOnce(awsError('InvalidParameterValue', 'Value (p) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'));
    await expect(ports.ec2.associateProfile('i-1', 'p')).rejects.toSatisfy(
      (error) => error instanceof IncorrectStateError && error.instanceId === 'i-1',
    );
    await expect(ports.ec2.associateProfile('i-1', 'p')).rejects.toSatisfy(
      (error) => error instanceof IamNotPropagatedError && error.instanceId === 'i-1' && error.resource === 'p',
    );
  });

  it('replaces by association id', async () => {
    ec2.on(ReplaceIamInstanceProfileAssociationCommand).resolves({
      IamInstanceProfileAssociation: { AssociationId: 'iip-assoc-2', InstanceId: 'i-1', IamInstanceProfile: { Arn: 'arn:p' }, State: 'associating' },
    });

    const association = await awsPorts().ec2.replaceProfile('iip-assoc-1', 'fleetwatch-dev-agent', 'i-1');

    expect(association.associationId).toBe('iip-assoc-2');
    expect(ec2).toHaveReceivedCommandWith(ReplaceIamInstanceProfileAssociationCommand, {
      AssociationId: 'iip-assoc-1',
      IamInstanceProfile: { Name: 'fleetwatch-dev-agent' },
    });
  });

  it('maps an unknown association to NotFoundError naming the instance and association', async () => {
    ec2.on(ReplaceIamInstanceProfileAssociationCommand).rejects(awsError('InvalidAssociationID.NotFound'));
    await expect(awsPorts().ec2.replaceProfile('iip-assoc-1', 'p', 'i-1')).rejects.toMatchObject({
      name: 'NotFoundError',
      instanceId: 'i-1',
      resource: 'iip-assoc-1',
    });
  });
});
