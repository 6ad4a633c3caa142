/**
 * The worker in the organization mode. An SQS batch mixes the work of several account-regions:
 * its items are grouped by their cell, each cell's member role is assumed once for the
 * invocation (MembersPort caches it), and the single-account worker runs unchanged on each cell's
 * ports, at most maxParallelCells cells at once. One cell's trouble stays its own:
 *
 * - a member that cannot be reached (stack missing, role refusing, API throttling past the SDK's
 *   retries) fails only its cell's items, reported with the reason; they come back after SQS's
 *   longest delay a few times, then are dropped with a count (lib/model/timing.ts,
 *   MEMBER_UNREACHABLE_RETRY_SECONDS, says why this and not a dead-letter or a fast retry);
 * - a cell that left the scope is left alone: its items are dropped, reported;
 * - any other failure goes back to SQS as in the single-account mode.
 *
 * Items without a cell are the hub's own: an org-wide rollout's step, or work queued before the
 * stage turned the organization mode on, handled as the single-account worker would.
 */
import { cellSettings, invocationCells } from './cell-ports.js';
import { organizationOf } from '../config.js';
import { handleWorkItems, type WorkItemResult } from '../entry/worker.js';
import { cellKey } from '../model/cell.js';
import { MEMBER_UNREACHABLE_ATTEMPTS, MEMBER_UNREACHABLE_RETRY_SECONDS } from '../model/timing.js';
import { workItemTarget, type Cell, type WorkItem } from '../ports.js';
import { runCells, type CellFailureReason } from './cells.js';
import { advanceOrgRollout, configOfOrgRollout, type OrgContext } from './rollout.js';
import { MemberScope } from './scope.js';

type Indexed = { item: WorkItem; index: number };

export async function handleOrgWorkItems(context: OrgContext, items: WorkItem[]): Promise<WorkItemResult[]> {
  const { ports, settings, organization } = context;
  const results = new Array<WorkItemResult>(items.length);
  const hub: Indexed[] = [];
  const byCell = new Map<string, { cell: Cell; items: Indexed[] }>();
  for (const [index, item] of items.entries()) {
    const orgRollout = 'rollout' in item && !item.cell ? configOfOrgRollout(item.rollout) : undefined;
    if (orgRollout !== undefined) {
      const rollout = await advanceOrgRollout(context, orgRollout);
      results[index] = { failed: 0, lines: rollout ? [{ target: workItemTarget(item), action: 'org-rollout', reason: item.reason, detail: `v${rollout.version} ${rollout.status}` }] : [] };
    } else if (!item.cell) {
      hub.push({ item, index });
    } else {
      const key = cellKey(item.cell);
      if (!byCell.has(key)) byCell.set(key, { cell: item.cell, items: [] });
      byCell.get(key)!.items.push({ item, index });
    }
  }
  if (hub.length) fill(results, hub, await handleWorkItems(ports, settings, hub.map(({ item }) => item)));
  if (byCell.size === 0) return results;

  const scope = new MemberScope(organizationOf(settings)!, organization.organizations);
  // One read of the hub's records for every cell of the batch, should any cell list them.
  const opened = invocationCells(ports, organization);
  const groups = [...byCell.values()];
  const outcomes = await runCells(
    groups.map(({ cell }) => cell),
    settings.maxParallelCells,
    async (cell): Promise<WorkItemResult[] | { outOfScope: string }> => {
      const group = byCell.get(cellKey(cell))!;
      const why = await scope.outside(cell);
      if (why !== undefined) return { outOfScope: why };
      return handleWorkItems(await opened.open(cell), cellSettings(settings, cell), group.items.map(({ item }) => item));
    },
  );
  for (const [position, outcome] of outcomes.entries()) {
    const group = groups[position]!;
    if (!outcome.ok) fill(results, group.items, await unreachable(context, group.cell, group.items, outcome.reason, outcome.error));
    else if ('outOfScope' in outcome.value) fill(results, group.items, outOfScope(context, group.cell, group.items, outcome.value.outOfScope));
    else fill(results, group.items, outcome.value);
  }
  return results;
}

function fill(results: WorkItemResult[], items: Indexed[], values: WorkItemResult[]): void {
  items.forEach(({ index }, position) => (results[index] = values[position]!));
}

/** A cell that left the scope since its items were queued: left alone, each item reported and not retried. */
function outOfScope(context: OrgContext, cell: Cell, items: Indexed[], why: string): WorkItemResult[] {
  context.ports.log.warn('work items of an account-region outside the scope dropped; it is left alone', { account: cell.account, region: cell.region, why, items: items.length });
  context.ports.metrics.count('WorkItemsOutOfScope', items.length);
  return items.map(({ item }) => ({
    failed: 0,
    lines: [{ target: workItemTarget(item), action: 'skip', reason: item.reason, detail: `${cellKey(cell)} is outside the scope: ${why}`, outcome: 'skipped' }],
  }));
}

/**
 * A cell whose work failed as a whole. A member that cannot be reached gets its items back after
 * MEMBER_UNREACHABLE_RETRY_SECONDS, up to MEMBER_UNREACHABLE_ATTEMPTS times, then they are dropped;
 * any other failure is the single-account worker's (SQS delivers the items again).
 */
async function unreachable(context: OrgContext, cell: Cell, items: Indexed[], reason: CellFailureReason, error: string): Promise<WorkItemResult[]> {
  const { ports } = context;
  const line = (item: WorkItem, outcome: 'failed' | 'skipped', detail: string) => ({
    target: workItemTarget(item),
    action: 'open-member',
    reason: item.reason,
    detail,
    outcome,
    outcomeDetail: `${reason}: ${error}`,
  });
  if (reason === 'failed') return items.map(({ item }) => ({ failed: 1, lines: [line(item, 'failed', `${cellKey(cell)} failed`)] }));
  ports.metrics.count('MembersUnreachable');
  const again = items.filter(({ item }) => item.attempt + 1 < MEMBER_UNREACHABLE_ATTEMPTS).map(({ item }) => ({ ...item, attempt: item.attempt + 1 }));
  const dropped = items.length - again.length;
  ports.log.warn('member account-region unreachable; its work items wait', {
    account: cell.account,
    region: cell.region,
    reason,
    error,
    retriedInSeconds: again.length ? MEMBER_UNREACHABLE_RETRY_SECONDS : undefined,
    dropped,
  });
  if (dropped) ports.metrics.count('WorkItemsDropped', dropped);
  let requeued = true;
  try {
    if (again.length) await ports.queue.enqueue(again, MEMBER_UNREACHABLE_RETRY_SECONDS);
  } catch {
    // The queue refused: SQS delivers the items again, which is the retry, sooner.
    requeued = false;
  }
  return items.map(({ item }) => {
    const retried = item.attempt + 1 < MEMBER_UNREACHABLE_ATTEMPTS;
    if (retried && !requeued) return { failed: 1, lines: [line(item, 'failed', `${cellKey(cell)} unreachable (${reason})`)] };
    const detail = retried ? `${cellKey(cell)} unreachable (${reason}); again in ${MEMBER_UNREACHABLE_RETRY_SECONDS} s` : `${cellKey(cell)} unreachable (${reason}); dropped after ${MEMBER_UNREACHABLE_ATTEMPTS} attempts`;
    return { failed: 0, lines: [line(item, 'skipped', detail)] };
  });
}
