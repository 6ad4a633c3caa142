/**
 * Splitting work to fit AWS per-call limits (SendCommand 50 ids, GetParameters 10 names,
 * SendMessageBatch and PutEvents 10 entries, EC2 filter values). One helper for the domain and
 * every adapter.
 */

/** Consecutive slices of at most `size` items, in order; no slice is empty. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
