import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError } from '../../lib/errors.js';
import { awsError, awsPorts } from './helpers.js';

const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => logs.reset());

describe('describeLogGroups', () => {
  it('describes by prefix, 50 a page, joining pages', async () => {
    logs
      .on(DescribeLogGroupsCommand)
      .resolvesOnce({
        logGroups: [{ logGroupName: '/fleetwatch/web/a', retentionInDays: 30, logGroupClass: 'STANDARD', kmsKeyId: 'arn:aws:kms:k' }],
        nextToken: 't1',
      })
      .resolvesOnce({ logGroups: [{ logGroupName: '/fleetwatch/web/b' }, { logGroupName: '/fleetwatch/web/c', logGroupClass: 'DELIVERY' }] });

    const groups = await awsPorts().logs.describeLogGroups('/fleetwatch/web/');

    expect(groups).toEqual([
      { name: '/fleetwatch/web/a', retentionInDays: 30, logGroupClass: 'STANDARD', kmsKeyId: 'arn:aws:kms:k' },
      { name: '/fleetwatch/web/b' },
      { name: '/fleetwatch/web/c' },
    ]);
    expect(logs).toHaveReceivedCommandTimes(DescribeLogGroupsCommand, 2);
    expect(logs).toHaveReceivedCommandWith(DescribeLogGroupsCommand, { logGroupNamePrefix: '/fleetwatch/web/', limit: 50 });
  });
});

describe('createLogGroup', () => {
  it('creates with KMS key, class and tags', async () => {
    logs.on(CreateLogGroupCommand).resolves({});
    await awsPorts().logs.createLogGroup({
      name: '/fleetwatch/web/messages',
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1',
      logGroupClass: 'INFREQUENT_ACCESS',
      tags: { 'fleetwatch:managed-by': 'fleetwatch' },
    });
    expect(logs).toHaveReceivedCommandExactlyOnceWith(CreateLogGroupCommand, {
      logGroupName: '/fleetwatch/web/messages',
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1',
      logGroupClass: 'INFREQUENT_ACCESS',
      tags: { 'fleetwatch:managed-by': 'fleetwatch' },
    });
  });

  it('maps an existing group to AlreadyExistsError naming it', async () => {
    logs
      .on(CreateLogGroupCommand)
      .rejects(new ResourceAlreadyExistsException({ message: 'The specified log group already exists', $metadata: { httpStatusCode: 400 } }));
    const creating = awsPorts().logs.createLogGroup({ name: '/fleetwatch/web/messages', tags: {} });
    await expect(creating).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(creating).rejects.toMatchObject({ resource: '/fleetwatch/web/messages' });
  });

  it('maps CloudWatch Logs throttling (5 TPS) to ThrottledError', async () => {
    logs.on(CreateLogGroupCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(awsPorts().logs.createLogGroup({ name: '/g', tags: {} })).rejects.toMatchObject({ name: 'ThrottledError', resource: '/g' });
  });
});

describe('putRetentionPolicy', () => {
  it('puts a retention in days', async () => {
    logs.on(PutRetentionPolicyCommand).resolves({});
    await awsPorts().logs.putRetentionPolicy('/g', 14);
    expect(logs).toHaveReceivedCommandExactlyOnceWith(PutRetentionPolicyCommand, { logGroupName: '/g', retentionInDays: 14 });
  });

  it('removes the policy for -1 (never expire), which PutRetentionPolicy cannot express', async () => {
    logs.on(DeleteRetentionPolicyCommand).resolves({});
    await awsPorts().logs.putRetentionPolicy('/g', -1);
    expect(logs).toHaveReceivedCommandExactlyOnceWith(DeleteRetentionPolicyCommand, { logGroupName: '/g' });
    expect(logs).not.toHaveReceivedCommand(PutRetentionPolicyCommand);
  });
});

describe('listTags', () => {
  it('reads a log group\'s tags by its ARN (ownership: fleetwatch:owner)', async () => {
    const arn = 'arn:aws:logs:eu-west-1:123456789012:log-group:/audit/trail';
    logs.on(ListTagsForResourceCommand).resolves({ tags: { team: 'audit' } });
    expect(await awsPorts().logs.listTags(arn)).toEqual({ team: 'audit' });
    expect(logs).toHaveReceivedCommandWith(ListTagsForResourceCommand, { resourceArn: arn });
  });
});
