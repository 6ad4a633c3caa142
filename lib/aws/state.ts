/**
 * The state table on DynamoDB, through the DocumentClient. One table, keyed by `instanceId`,
 * holds two kinds of item: an instance's record (key "i-…") and a configuration's rollout
 * (key "rollout#<configName>"). A handful of rollout items cost nothing next to the fleet, and one
 * table means one set of permissions, alarms and backups.
 */
import { BatchGetCommand, GetCommand, paginateScan, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../clock.js';
import { ThrottledError } from '../errors.js';
import { upgradeRecord } from '../model/upgrade.js';
import type { InstanceRecord, RolloutPort, RolloutRecord, StatePort } from '../ports.js';
import { chunk, collectPages } from './batch.js';
import { callAws } from './errors.js';

const ROLLOUT_KEY_PREFIX = 'rollout#';
/** BatchGetItem takes at most 100 keys a request. */
const BATCH_GET_MAX_KEYS = 100;
/**
 * BatchGetItem succeeds while leaving keys unprocessed when the table is over its capacity; AWS
 * asks for those to be sent again with exponential backoff. After this many rounds the read fails
 * as throttled, and the caller's retry (a work item's redelivery) takes it from there.
 */
const UNPROCESSED_ROUNDS = 5;
const UNPROCESSED_BASE_DELAY_MS = 50;

interface TableAccess {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Sleeps between rounds of unprocessed keys. */
  clock: Pick<Clock, 'sleep'>;
}

async function getItem<T>(table: TableAccess, key: string, instanceId?: string): Promise<T | undefined> {
  return callAws({ operation: 'GetItem', resource: table.tableName, ...(instanceId && { instanceId }) }, async () => {
    // Strongly consistent: the revision read here is the one the next conditional write names;
    // an eventually consistent read could be a write behind and only cause a conflict.
    const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: { instanceId: key }, ConsistentRead: true }));
    return Item as T | undefined;
  });
}

/**
 * Many items by key, strongly consistent (for the same reason as getItem), at 100 keys a call
 * instead of a GetItem each: the worker reads the records of a whole SQS batch at once. Returns
 * the items that exist, in no particular order.
 */
async function getItems<T>(table: TableAccess, keys: readonly string[], instanceIds?: readonly string[]): Promise<T[]> {
  const found: T[] = [];
  for (const batch of chunk([...new Set(keys)], BATCH_GET_MAX_KEYS)) {
    let pending: Record<string, unknown>[] = batch.map((key) => ({ instanceId: key }));
    for (let round = 0; pending.length > 0; round++) {
      if (round > UNPROCESSED_ROUNDS) {
        const left = pending.map((key) => String(key.instanceId));
        throw new ThrottledError(
          `BatchGetItem ${table.tableName}: ${left.length} key(s) still unprocessed after ${UNPROCESSED_ROUNDS} retries: ${left.slice(0, 10).join(', ')}`,
          { resource: table.tableName, ...(left.length === 1 && instanceIds && { instanceId: left[0] }) },
        );
      }
      // Full jitter, as the SDK's own retries: racing workers do not come back in step.
      if (round > 0) await table.clock.sleep(Math.random() * UNPROCESSED_BASE_DELAY_MS * 2 ** round);
      const keysNow = pending;
      const result = await callAws(
        { operation: 'BatchGetItem', resource: table.tableName, ...(instanceIds && { instanceIds: keysNow.map((key) => String(key.instanceId)) }) },
        () => table.client.send(new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: keysNow, ConsistentRead: true } } })),
      );
      found.push(...((result.Responses?.[table.tableName] ?? []) as T[]));
      pending = result.UnprocessedKeys?.[table.tableName]?.Keys ?? [];
    }
  }
  return found;
}

async function scanItems<T>(table: TableAccess, prefix: string): Promise<T[]> {
  return callAws({ operation: 'Scan', resource: table.tableName }, () =>
    collectPages(
      paginateScan(
        { client: table.client },
        {
          TableName: table.tableName,
          FilterExpression: 'begins_with(instanceId, :prefix)',
          ExpressionAttributeValues: { ':prefix': prefix },
        },
      ),
      (page) => page.Items as T[] | undefined,
    ),
  );
}

async function putItem<T extends { revision: number }>(
  table: TableAccess,
  key: string,
  item: Omit<T, 'revision'>,
  expectedRevision: number | undefined,
  instanceId?: string,
): Promise<T> {
  const stored = { ...item, instanceId: key, revision: (expectedRevision ?? 0) + 1 } as unknown as T;
  return callAws({ operation: 'PutItem', resource: table.tableName, ...(instanceId && { instanceId }) }, async () => {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: stored as Record<string, unknown>,
        // Optimistic concurrency: a write lands only on the revision it read, so of two racing
        // writers exactly one wins and the other gets ConditionalCheckFailedException → ConflictError.
        ...(expectedRevision === undefined
          ? { ConditionExpression: 'attribute_not_exists(instanceId)' }
          : {
              ConditionExpression: '#revision = :expected',
              ExpressionAttributeNames: { '#revision': 'revision' },
              ExpressionAttributeValues: { ':expected': expectedRevision },
            }),
      }),
    );
    return stored;
  });
}

export function createStatePort(client: DynamoDBDocumentClient, tableName: string, clock: Pick<Clock, 'sleep'>): StatePort {
  const table = { client, tableName, clock };
  return {
    // Every read goes through upgradeRecord: the table holds what earlier releases wrote.
    get: async (instanceId) => {
      const item = await getItem<InstanceRecord>(table, instanceId, instanceId);
      return item && upgradeRecord(item);
    },
    getMany: async (instanceIds) => (await getItems<InstanceRecord>(table, instanceIds, instanceIds)).map(upgradeRecord),
    // Instance ids all start with "i-"; the filter leaves the rollout items out.
    list: async () => (await scanItems<InstanceRecord>(table, 'i-')).map(upgradeRecord),
    put: (record, expectedRevision) => putItem<InstanceRecord>(table, record.instanceId, record, expectedRevision, record.instanceId),
  };
}

export function createRolloutPort(client: DynamoDBDocumentClient, tableName: string, clock: Pick<Clock, 'sleep'>): RolloutPort {
  const table = { client, tableName, clock };
  const strip = (item: (RolloutRecord & { instanceId?: string }) | undefined): RolloutRecord | undefined => {
    if (!item) return undefined;
    const { instanceId: _key, ...rollout } = item;
    return rollout;
  };
  return {
    get: async (configName) => strip(await getItem<RolloutRecord>(table, ROLLOUT_KEY_PREFIX + configName)),
    getMany: async (configNames) =>
      (await getItems<RolloutRecord>(table, configNames.map((configName) => ROLLOUT_KEY_PREFIX + configName))).map((item) => strip(item)!),
    list: async () => (await scanItems<RolloutRecord>(table, ROLLOUT_KEY_PREFIX)).map((item) => strip(item)!),
    put: async (record, expectedRevision) =>
      strip(await putItem<RolloutRecord>(table, ROLLOUT_KEY_PREFIX + record.configName, record, expectedRevision))!,
  };
}
