/**
 * The DynamoDB state table. One table, keyed by `instanceId`, holds an item per instance
 * ("i-…") and one per configuration rollout ("rollout#<name>"), as lib/aws/state.ts stores them.
 * Writes are conditional (attribute_not_exists(instanceId), or revision = :expected). Items are
 * copied in and out, as a real table round-trips them, so a caller can never change a stored
 * item by mutating what it read.
 */
import { ConflictError } from '../../lib/errors.js';

export const ROLLOUT_KEY_PREFIX = 'rollout#';

export type TableItem = { revision: number } & Record<string, unknown>;

function copy<T>(item: T): T {
  const copied = { ...item } as Record<string, unknown>;
  for (const [key, value] of Object.entries(copied)) {
    if (Array.isArray(value)) copied[key] = [...(value as unknown[])];
    else if (value !== null && typeof value === 'object') copied[key] = { ...value };
  }
  return copied as T;
}

export class TableWorld {
  private readonly items = new Map<string, TableItem>();
  conflicts = 0;

  get<T>(key: string): T | undefined {
    const item = this.items.get(key);
    return item && copy(item as T);
  }

  /** Keys in insertion order (a Scan reads every item, whatever its filter keeps). */
  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Items whose key starts with the prefix, in insertion order. */
  all<T>(prefix = ''): T[] {
    const found: T[] = [];
    for (const [key, item] of this.items) if (key.startsWith(prefix)) found.push(copy(item as T));
    return found;
  }

  get size(): number {
    return this.items.size;
  }

  count(prefix: string): number {
    let n = 0;
    for (const key of this.items.keys()) if (key.startsWith(prefix)) n++;
    return n;
  }

  /** Conditional PutItem: stores the item with revision expectedRevision + 1 under `key`. */
  put<T extends { revision: number }>(key: string, item: Omit<T, 'revision'>, expectedRevision: number | undefined, instanceId?: string): T {
    const stored = this.items.get(key);
    const ok = expectedRevision === undefined ? stored === undefined : stored?.revision === expectedRevision;
    if (!ok) {
      this.conflicts++;
      throw new ConflictError(
        `ConditionalCheckFailedException: ${key} is at revision ${stored?.revision ?? 'none'}, expected ${expectedRevision ?? 'none'}`,
        { ...(instanceId && { instanceId }), resource: key },
      );
    }
    const next = copy({ ...item, revision: (expectedRevision ?? 0) + 1 }) as Record<string, unknown>;
    // DynamoDB has no undefined: the DocumentClient drops such attributes (removeUndefinedValues).
    for (const attribute of Object.keys(next)) if (next[attribute] === undefined) delete next[attribute];
    this.items.set(key, next as TableItem);
    return copy(next as T);
  }
}
