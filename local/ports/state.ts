/**
 * StatePort and RolloutPort over the one state table: GetItem, Scan (1 MB ≈ 1000 items a page;
 * the filter on the key prefix applies after the page is read, so both kinds of item cost pages),
 * PutItem with its condition.
 */
import { upgradeRecord } from '../../lib/model/upgrade.js';
import type { InstanceRecord, RolloutPort, RolloutRecord, StatePort } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { ROLLOUT_KEY_PREFIX } from '../world/table.js';
import { arnsOf } from './arns.js';
import { batched, paginate } from './paginate.js';

const onTable = (account: AccountBackend, action: string) => [{ action, resource: arnsOf(account).table }];

function scan<T>(account: AccountBackend, layer: CallLayer, prefix: string): Promise<T[]> {
  const { table } = account;
  return paginate(layer, 'Scan', LIMITS.scanPage, () => table.keys(), (key) => (key.startsWith(prefix) ? table.get<T>(key) : undefined), onTable(account, 'dynamodb:Scan'));
}

/** BatchGetItem: at most 100 keys a call; the items that exist. */
async function getMany<T>(account: AccountBackend, layer: CallLayer, keys: string[]): Promise<T[]> {
  const { table } = account;
  return batched(layer, 'BatchGetItem', keys, LIMITS.batchGetItemKeys, (batch) => batch.flatMap((key) => table.get<T>(key) ?? []), () => onTable(account, 'dynamodb:BatchGetItem'));
}

export function statePort(account: AccountBackend, layer: CallLayer): StatePort {
  const { table } = account;
  return {
    // Reads go through upgradeRecord as the DynamoDB adapter's do: a table may hold earlier releases' shapes.
    get: (instanceId) =>
      layer.call('GetItem', () => {
        const item = table.get<InstanceRecord>(instanceId);
        return item && upgradeRecord(item);
      }, instanceId, onTable(account, 'dynamodb:GetItem')),
    // The simulated table never leaves keys unprocessed: its throttle fails the whole call instead.
    getMany: async (instanceIds) => (await getMany<InstanceRecord>(account, layer, [...new Set(instanceIds)])).map(upgradeRecord),
    list: async () => (await scan<InstanceRecord>(account, layer, 'i-')).map(upgradeRecord),
    put: (record, expectedRevision) =>
      layer.call('PutItem', () => table.put<InstanceRecord>(record.instanceId, record, expectedRevision, record.instanceId), record.instanceId, onTable(account, 'dynamodb:PutItem')),
  };
}

/** Rollout items carry the table key in instanceId; the port hands them out without it. */
function strip(item: (RolloutRecord & { instanceId?: string }) | undefined): RolloutRecord | undefined {
  if (!item) return undefined;
  const { instanceId: _key, ...record } = item;
  return record;
}

export function rolloutPort(account: AccountBackend, layer: CallLayer): RolloutPort {
  const { table } = account;
  const key = (configName: string) => ROLLOUT_KEY_PREFIX + configName;
  return {
    get: (configName) => layer.call('GetItem', () => strip(table.get<RolloutRecord>(key(configName))), key(configName), onTable(account, 'dynamodb:GetItem')),
    getMany: async (configNames) => (await getMany<RolloutRecord>(account, layer, [...new Set(configNames)].map(key))).map((item) => strip(item)!),
    list: async () => (await scan<RolloutRecord>(account, layer, ROLLOUT_KEY_PREFIX)).map((item) => strip(item)!),
    put: (record, expectedRevision) =>
      layer.call(
        'PutItem',
        () => {
          const item = { ...record, instanceId: key(record.configName) } as Omit<RolloutRecord, 'revision'>;
          return strip(table.put<RolloutRecord>(key(record.configName), item, expectedRevision))!;
        },
        key(record.configName),
        onTable(account, 'dynamodb:PutItem'),
      ),
  };
}
