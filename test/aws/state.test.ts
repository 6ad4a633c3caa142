import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../lib/errors.js';
import type { InstanceRecord } from '../../lib/ports.js';
import { awsError, awsPorts, instanceIds, TABLE } from './helpers.js';

const documents = mockClient(DynamoDBDocumentClient);
beforeEach(() => documents.reset());

const record = (instanceId: string, revision: number): InstanceRecord => ({ instanceId, status: 'pending', attempts: 0, updatedAt: 1000, revision });

describe('get', () => {
  it('reads one item, strongly consistent', async () => {
    documents.on(GetCommand).resolves({ Item: record('i-1', 3) });
    expect(await awsPorts().state.get('i-1')).toEqual(record('i-1', 3));
    expect(documents).toHaveReceivedCommandExactlyOnceWith(GetCommand, { TableName: TABLE, Key: { instanceId: 'i-1' }, ConsistentRead: true });
  });

  it('reads a record in flight as the release before wrote it (one commandId string) in the new shape', async () => {
    const old = { commandId: 'claim-900', action: 'configure', sentAt: 900, leaseExpiresAt: 2000 };
    documents.on(GetCommand).resolves({ Item: { ...record('i-1', 3), status: 'in-flight', inFlight: old } });
    documents.on(ScanCommand).resolves({ Items: [{ ...record('i-2', 3), inFlight: { ...old, commandId: 'c-1' } }] });
    const ports = awsPorts();
    expect((await ports.state.get('i-1'))?.inFlight).toEqual({ claimId: 'claim-900', action: 'configure', sentAt: 900, leaseExpiresAt: 2000 });
    expect((await ports.state.list())[0]?.inFlight).toEqual({ claimId: 'claim-900', commandId: 'c-1', action: 'configure', sentAt: 900, leaseExpiresAt: 2000 });
  });

  it('gives undefined for an instance never seen', async () => {
    documents.on(GetCommand).resolves({});
    expect(await awsPorts().state.get('i-1')).toBeUndefined();
  });
});

describe('getMany', () => {
  /** Records the sleeps between rounds instead of taking them. */
  const recordingClock = () => {
    const slept: number[] = [];
    return { slept, clock: { now: () => 0, sleep: async (ms: number) => void slept.push(ms) } };
  };
  const keysOf = (input: unknown) =>
    ((input as { RequestItems: Record<string, { Keys: { instanceId: string }[] }> }).RequestItems[TABLE]?.Keys ?? []).map((key) => key.instanceId);

  it('reads 250 records in three strongly consistent calls of at most 100 keys', async () => {
    const ids = instanceIds(250);
    documents.on(BatchGetCommand).callsFake((input) => ({ Responses: { [TABLE]: keysOf(input).map((id) => record(id, 1)) } }));
    const records = await awsPorts().state.getMany(ids);
    expect(records.map((r) => r.instanceId).sort()).toEqual([...ids].sort());
    const calls = documents.commandCalls(BatchGetCommand);
    expect(calls.map((call) => keysOf(call.args[0].input).length)).toEqual([100, 100, 50]);
    expect(calls.every((call) => call.args[0].input.RequestItems?.[TABLE]?.ConsistentRead === true)).toBe(true);
  });

  it('asks again for the keys DynamoDB left unprocessed, after a backoff', async () => {
    const { slept, clock } = recordingClock();
    documents
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [record('i-1', 1)] }, UnprocessedKeys: { [TABLE]: { Keys: [{ instanceId: 'i-2' }] } } })
      .resolvesOnce({ Responses: { [TABLE]: [record('i-2', 4)] } });
    const records = await awsPorts(undefined, clock).state.getMany(['i-1', 'i-2', 'i-3']);
    expect(records).toEqual([record('i-1', 1), record('i-2', 4)]);
    expect(keysOf(documents.commandCalls(BatchGetCommand)[1]!.args[0].input)).toEqual(['i-2']);
    expect(slept).toHaveLength(1);
  });

  it('fails as throttled, naming the keys, when keys stay unprocessed', async () => {
    const { slept, clock } = recordingClock();
    documents.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [{ instanceId: 'i-7' }] } } });
    const reading = awsPorts(undefined, clock).state.getMany(['i-7']);
    await expect(reading).rejects.toMatchObject({ name: 'ThrottledError', instanceId: 'i-7', resource: TABLE });
    await expect(reading).rejects.toThrow(/1 key\(s\) still unprocessed after 5 retries: i-7/);
    expect(documents).toHaveReceivedCommandTimes(BatchGetCommand, 6);
    expect(slept).toHaveLength(5);
  });

  it('reads rollouts by configuration name and hands them out without the table key', async () => {
    documents.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [{ instanceId: 'rollout#web', configName: 'web', version: 3, revision: 2 }] } });
    expect(await awsPorts().rollouts.getMany(['web', 'default'])).toEqual([{ configName: 'web', version: 3, revision: 2 }]);
    expect(keysOf(documents.commandCalls(BatchGetCommand)[0]!.args[0].input)).toEqual(['rollout#web', 'rollout#default']);
  });
});

describe('list', () => {
  it('scans every page', async () => {
    documents
      .on(ScanCommand)
      .resolvesOnce({ Items: [record('i-1', 1), record('i-2', 1)], LastEvaluatedKey: { instanceId: 'i-2' } })
      .resolvesOnce({ Items: [record('i-3', 2)] });
    const records = await awsPorts().state.list();
    expect(records.map((r) => r.instanceId)).toEqual(['i-1', 'i-2', 'i-3']);
    expect(documents).toHaveReceivedCommandTimes(ScanCommand, 2);
    expect(documents).toHaveReceivedCommandWith(ScanCommand, { TableName: TABLE });
  });
});

describe('put', () => {
  const { revision: _revision, ...draft } = record('i-1', 0);

  it('creates only when the item does not exist, storing revision 1', async () => {
    documents.on(PutCommand).resolves({});
    expect(await awsPorts().state.put(draft, undefined)).toEqual({ ...draft, revision: 1 });
    expect(documents).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: TABLE,
      Item: { ...draft, revision: 1 },
      ConditionExpression: 'attribute_not_exists(instanceId)',
    });
  });

  it('updates only the revision it read, storing the next', async () => {
    documents.on(PutCommand).resolves({});
    expect(await awsPorts().state.put(draft, 4)).toEqual({ ...draft, revision: 5 });
    expect(documents).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: TABLE,
      Item: { ...draft, revision: 5 },
      ConditionExpression: '#revision = :expected',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':expected': 4 },
    });
  });

  it('maps a lost conditional write to ConflictError naming the instance', async () => {
    documents
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }));
    const writing = awsPorts().state.put(draft, 4);
    await expect(writing).rejects.toBeInstanceOf(ConflictError);
    await expect(writing).rejects.toMatchObject({ instanceId: 'i-1', resource: TABLE });
  });

  it('maps DynamoDB throttling to ThrottledError', async () => {
    documents.on(PutCommand).rejects(awsError('ProvisionedThroughputExceededException'));
    await expect(awsPorts().state.put(draft, 4)).rejects.toMatchObject({ name: 'ThrottledError', instanceId: 'i-1' });
  });
});
