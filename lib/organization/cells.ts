/**
 * Working on many cells (account-regions) at once. AWS's rate limits are per account and region,
 * and each cell has its own SDK clients, so cells do not slow each other down: they run in
 * parallel, at most `limit` at a time (the stage's maxParallelCells). Each cell's failure stays
 * its own: it is caught, given a reason and reported with its cell, and the other cells go on.
 * Nothing is retried here: a member whose stack is missing or whose role refuses does not come
 * back by asking again, and a throttled member has already had the SDK's retries; the next
 * invocation (the schedule, the operator) is the retry.
 */
import { errorMessage, MemberUnreachableError, ThrottledError, type MemberUnreachableReason } from '../errors.js';
import { cellKey } from '../model/cell.js';
import type { Cell } from '../ports.js';
import { mapWithConcurrency } from '../support/concurrency.js';

/** Why a cell's work did not finish: a member that cannot be reached, or any other failure ('failed'). */
export type CellFailureReason = MemberUnreachableReason | 'failed';

export type CellResult<T> =
  | { cell: Cell; ok: true; value: T }
  | { cell: Cell; ok: false; reason: CellFailureReason; error: string };

/** The reason a cell failed, from the typed error that ended its work. */
export function failureReason(error: unknown): CellFailureReason {
  if (error instanceof MemberUnreachableError) return error.reason;
  if (error instanceof ThrottledError) return 'throttled';
  return 'failed';
}

/**
 * Runs `work` once per cell, at most `limit` cells at once, in the cells' order. Every cell gets a
 * result, in input order: its value, or the reason and message of its failure.
 */
export async function runCells<T>(cells: readonly Cell[], limit: number, work: (cell: Cell) => Promise<T>): Promise<CellResult<T>[]> {
  const seen = new Set<string>();
  for (const cell of cells) {
    const key = cellKey(cell);
    // Twice the same cell would be two AssumeRoles' worth of work racing on one table slice.
    if (seen.has(key)) throw new Error(`cell ${key} given twice`);
    seen.add(key);
  }
  return mapWithConcurrency(cells, limit, async (cell): Promise<CellResult<T>> => {
    try {
      return { cell, ok: true, value: await work(cell) };
    } catch (error) {
      return { cell, ok: false, reason: failureReason(error), error: errorMessage(error) };
    }
  });
}
