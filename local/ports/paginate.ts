/**
 * Paging as AWS does it: the service filters, then hands back at most `pageSize` results per
 * call with a token for the rest. Every page is one API call through the call layer (latency,
 * throttle, count), and each page is read when its call reaches the service, so changes made
 * between pages show up as they would.
 */
import type { Authorization, Authorize, CallLayer } from '../calls.js';
import type { Operation } from '../operations.js';
import { chunk } from '../../lib/support/chunk.js';

export async function paginate<S, T>(
  layer: CallLayer,
  operation: Operation,
  pageSize: number,
  collect: () => S[],
  map: (source: S) => T | undefined,
  authorize?: Authorize,
): Promise<T[]> {
  let all: S[] | undefined;
  const results: T[] = [];
  for (let start = 0; ; start += pageSize) {
    const page = await layer.call(operation, () => {
      all ??= collect();
      const items: T[] = [];
      const end = Math.min(all.length, start + pageSize);
      for (let i = start; i < end; i++) {
        const mapped = map(all[i]!);
        if (mapped !== undefined) items.push(mapped);
      }
      return { items, more: end < all.length };
    }, undefined, authorize);
    for (const item of page.items) results.push(item);
    if (!page.more) return results;
  }
}

/** One call per batch of at most `size` inputs, in order (SendCommand, GetParameters, SendMessageBatch...). */
export async function batched<S, T>(
  layer: CallLayer,
  operation: Operation,
  inputs: readonly S[],
  size: number,
  serve: (batch: S[]) => T[],
  authorize?: (batch: S[]) => Authorization[],
): Promise<T[]> {
  const results: T[] = [];
  for (const batch of chunk(inputs, size)) {
    for (const item of await layer.call(operation, () => serve(batch), undefined, authorize && (() => authorize(batch)))) results.push(item);
  }
  return results;
}
