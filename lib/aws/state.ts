/**
 * The state table on DynamoDB, through the DocumentClient. One table, keyed by `instanceId`,
 * holds two kinds of item: an instance's record (key "i-…") and a configuration's rollout
 * (key "rollout#<configName>"). A handful of rollout items cost nothing next to the fleet, and one
 * table means one set of permissions, alarms and backups.
 */
import { GetCommand, paginateScan, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InstanceRecord, RolloutPort, RolloutRecord, StatePort } from '../ports.js';
import { collectPages } from './batch.js';
import { callAws } from './errors.js';

const ROLLOUT_KEY_PREFIX = 'rollout#';

interface TableAccess {
  client: DynamoDBDocumentClient;
  tableName: string;
}

async function getItem<T>(table: TableAccess, key: string, instanceId?: string): Promise<T | undefined> {
  return callAws({ operation: 'GetItem', resource: table.tableName, ...(instanceId && { instanceId }) }, async () => {
    // Strongly consistent: the revision read here is the one the next conditional write names;
    // an eventually consistent read could be a write behind and only cause a conflict.
    const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: { instanceId: key }, ConsistentRead: true }));
    return Item as T | undefined;
  });
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

export function createStatePort(client: DynamoDBDocumentClient, tableName: string): StatePort {
  const table = { client, tableName };
  return {
    get: (instanceId) => getItem<InstanceRecord>(table, instanceId, instanceId),
    // Instance ids all start with "i-"; the filter leaves the rollout items out.
    list: () => scanItems<InstanceRecord>(table, 'i-'),
    put: (record, expectedRevision) => putItem<InstanceRecord>(table, record.instanceId, record, expectedRevision, record.instanceId),
  };
}

export function createRolloutPort(client: DynamoDBDocumentClient, tableName: string): RolloutPort {
  const table = { client, tableName };
  const strip = (item: (RolloutRecord & { instanceId?: string }) | undefined): RolloutRecord | undefined => {
    if (!item) return undefined;
    const { instanceId: _key, ...rollout } = item;
    return rollout;
  };
  return {
    get: async (configName) => strip(await getItem<RolloutRecord>(table, ROLLOUT_KEY_PREFIX + configName)),
    list: async () => (await scanItems<RolloutRecord>(table, ROLLOUT_KEY_PREFIX)).map((item) => strip(item)!),
    put: async (record, expectedRevision) =>
      strip(await putItem<RolloutRecord>(table, ROLLOUT_KEY_PREFIX + record.configName, record, expectedRevision))!,
  };
}
