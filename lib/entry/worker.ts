/**
 * The worker's job for one SQS batch of work items: instances (reconciled together as one scope),
 * outcome checks (settled together), rollouts to move on, and fan-out batches of a sweep.
 */
import type { Settings } from '../config.js';
import { errorMessage } from '../errors.js';
import { checkOutcomes, requeueChecks, type OutcomeCheck } from '../outcomes/checks.js';
import type { InstanceWorkItem, Ports, WorkItem } from '../ports.js';
import { advanceRollout } from '../rollout/rollout.js';
import { reconcile, type ReconcileReport, type ReconcileRequest } from './reconcile.js';

export interface WorkItemResult {
  /** Actions that failed; the worker fails the message so that SQS delivers it again. */
  failed: number;
  /** Lines worth a log line each. */
  lines: { target: string; action: string; reason: string; detail: string; outcome?: string; outcomeDetail?: string }[];
}

/**
 * The worker's job for one SQS batch. The instance items of a batch are reconciled as one scope
 * (one observation for up to ten instances instead of ten); a rollout or a fan-out batch is
 * handled on its own. Returns one result per item, in order, so that only the items whose
 * actions failed go back to the queue.
 */
export async function handleWorkItems(ports: Ports, settings: Settings, items: WorkItem[]): Promise<WorkItemResult[]> {
  const results = new Array<WorkItemResult>(items.length);
  const single: { item: InstanceWorkItem; index: number }[] = [];
  const checks: { item: OutcomeCheck; index: number }[] = [];
  for (const [index, item] of items.entries()) {
    if ('instanceId' in item && item.commandId !== undefined) checks.push({ item: { ...item, commandId: item.commandId }, index });
    else if ('instanceId' in item) single.push({ item, index });
    else results[index] = await handleWorkItem(ports, settings, item);
  }
  if (checks.length) {
    try {
      const lines = await checkOutcomes(ports, settings, checks.map(({ item }) => item));
      for (const { item, index } of checks) results[index] = { failed: 0, lines: lines.filter((line) => line.target === item.instanceId) };
    } catch (error) {
      // A call that outlived its retries. The checks go back on the queue with the usual delay, so
      // that AWS's trouble does not walk them into the DLQ; if even that fails, SQS delivers them again.
      const retried = await requeueChecks(ports, checks.map(({ item }) => item));
      for (const { item, index } of checks) {
        results[index] = {
          failed: retried ? 0 : 1,
          lines: [{ target: item.instanceId, action: 'outcome-check', reason: item.reason, detail: item.commandId, outcome: retried ? 'skipped' : 'failed', outcomeDetail: errorMessage(error) }],
        };
      }
    }
  }
  if (single.length) {
    const ids = [...new Set(single.map(({ item }) => item.instanceId))];
    const attempts: Record<string, number> = {};
    const reservedSlots: Record<string, number> = {};
    for (const { item } of single) {
      attempts[item.instanceId] = Math.max(attempts[item.instanceId] ?? 0, item.attempt);
      if (item.associationSlot !== undefined) reservedSlots[item.instanceId] = item.associationSlot;
    }
    let report: ReconcileReport;
    try {
      report = await reconcile(ports, settings, {
        dryRun: false,
        action: 'ensure',
        scope: { instanceIds: ids },
        origin: 'worker',
        attempts,
        lineLimit: 1_000,
        execution: workerExecution(ports, reservedSlots),
      });
    } catch (error) {
      // The shared observation failed (a throttle that outlived its retries, say). Each item on
      // its own then, so that one bad call costs one item a redelivery, not the whole batch.
      ports.log.warn('batch reconcile failed; reconciling its items one by one', { error: errorMessage(error), instances: ids.length });
      for (const { item, index } of single) {
        try {
          results[index] = await handleWorkItem(ports, settings, item);
        } catch (itemError) {
          results[index] = { failed: 1, lines: [{ target: item.instanceId, action: 'reconcile', reason: item.reason, detail: 'reconcile failed', outcome: 'failed', outcomeDetail: errorMessage(itemError) }] };
        }
      }
      return results;
    }
    for (const { item, index } of single) {
      const lines = report.lines.filter((line) => line.target === item.instanceId || line.action === 'create-log-group' || line.action === 'set-retention');
      // A failed shared action (a log group) fails every item of the batch: each needs it.
      results[index] = { failed: lines.filter((line) => line.outcome === 'failed').length, lines: lines.filter((line) => line.target === item.instanceId) };
    }
  }
  return results;
}

/**
 * How the worker applies what it plans for the instances of a batch. Its commands go to every
 * instance at once: they are together only because their events arrived in one SQS batch, and the
 * stage's maxConcurrency is rate control for rollouts (which pass it themselves); at 10% a command
 * to three new instances would configure them one after another. Associations take slots from the
 * environment's share of EC2's rate (lib/apply/association-budget.ts).
 */
function workerExecution(ports: Ports, reservedSlots: Record<string, number>): ReconcileRequest['execution'] {
  return {
    maxConcurrency: '100%',
    ...(ports.associationSlots && { associationBudget: ports.associationSlots }),
    ...(Object.keys(reservedSlots).length > 0 && { reservedSlots }),
  };
}

/** One work item: a rollout to move on, a fan-out batch, or a single instance. */
export async function handleWorkItem(ports: Ports, settings: Settings, item: WorkItem): Promise<WorkItemResult> {
  if ('rollout' in item) {
    const rollout = await advanceRollout(ports, settings, item.rollout);
    return { failed: 0, lines: rollout ? [{ target: item.rollout, action: 'rollout', reason: item.reason, detail: `v${rollout.version} ${rollout.status}` }] : [] };
  }
  // A fan-out batch is a slice of a sweep and is planned as one; a single instance is the
  // worker's own (it keeps waiting for SSM registration itself).
  const batch = 'instanceIds' in item;
  const report: ReconcileReport = await reconcile(ports, settings, {
    dryRun: false,
    action: 'ensure',
    scope: { instanceIds: batch ? item.instanceIds : [item.instanceId] },
    origin: batch ? 'sweep' : 'worker',
    ...(!batch && { attempts: { [item.instanceId]: item.attempt } }),
    ...(!batch && { execution: workerExecution(ports, item.associationSlot === undefined ? {} : { [item.instanceId]: item.associationSlot }) }),
    lineLimit: 50,
    // A batch's silent agents were found by its sweep and are checked again (not taken on trust);
    // a single instance is not asked about.
    ...(batch && { silenceCandidates: Object.keys(item.silence ?? {}) }),
  });
  return { failed: report.failed, lines: report.lines };
}
