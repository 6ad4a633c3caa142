/**
 * What each event means for the fleet. Events only enqueue work (or record an outcome); the
 * worker reconciles one instance per work item with the same observe/plan/execute as `reconcile`.
 * Every function here is safe to run twice for the same event.
 */
import type { Settings } from './config.js';
import { InvalidInputError, errorMessage } from './errors.js';
import {
  commandInvocationSchema,
  ec2StateChangeSchema,
  instanceIdFromArn,
  parseEvent,
  tagChangeSchema,
} from './event-schemas.js';
import { enqueueOutcomeChecks } from './execute.js';
import { MAX_OUTCOME_CHECKS, OUTCOME_CHECK_DELAY_SECONDS } from './model/timing.js';
import { bindCommandId, settleCommandOutcome, settleInFlight, type OutcomeEffect } from './outcomes.js';
import { advanceRollout } from './rollout.js';
import type { InstanceWorkItem, Ports, WorkItem } from './ports.js';
import { reconcile, type ReconcileReport } from './reconcile.js';
import { TERMINAL_INVOCATION_STATUSES } from './ports.js';

export type EventEffect =
  | { effect: 'enqueued'; instanceId: string; reason: string }
  | { effect: 'enqueued'; rollout: string; version: number; reason: string }
  | { effect: 'ignored'; instanceId?: string; reason: string }
  | { effect: 'outcome'; instanceId: string; commandId: string; outcome: OutcomeEffect };

/** EC2 state change: a running instance is onboarded; a terminated one is closed by the worker. */
export async function onInstanceStateChange(ports: Ports, event: unknown): Promise<EventEffect> {
  const { detail } = parseEvent(ec2StateChangeSchema, event, 'EC2 state-change');
  const instanceId = detail['instance-id'];
  if (detail.state !== 'running' && detail.state !== 'terminated') {
    return { effect: 'ignored', instanceId, reason: `state ${detail.state} needs nothing` };
  }
  // No tags in this event: the worker reads them, so an untagged instance costs one describe.
  await ports.queue.enqueue([{ instanceId, reason: `state ${detail.state}`, attempt: 0 }]);
  return { effect: 'enqueued', instanceId, reason: `state ${detail.state}` };
}

/** Tag change: selected, reselected or deselected: the worker re-evaluates the instance. */
export async function onTagChange(ports: Ports, settings: Settings, event: unknown): Promise<EventEffect> {
  const parsed = parseEvent(tagChangeSchema, event, 'tag-change');
  const instanceId = parsed.resources.map(instanceIdFromArn).find((id) => id !== undefined);
  if (!instanceId) throw new InvalidInputError(`tag-change event names no EC2 instance: resources ${JSON.stringify(parsed.resources)}`);
  if (!parsed.detail['changed-tag-keys'].includes(settings.selectorTagKey)) {
    return { effect: 'ignored', instanceId, reason: `changed tags do not include ${settings.selectorTagKey}` };
  }
  const value = parsed.detail.tags?.[settings.selectorTagKey];
  const reason = value === undefined ? 'selector tag removed' : 'selector tag set';
  await ports.queue.enqueue([{ instanceId, reason, attempt: 0 }]);
  return { effect: 'enqueued', instanceId, reason };
}

/**
 * A command invocation finished. Only the service's own document counts; the failure text is
 * read from SSM because the event carries none.
 */
export async function onCommandInvocation(ports: Ports, settings: Settings, event: unknown): Promise<EventEffect> {
  const { detail } = parseEvent(commandInvocationSchema, event, 'command invocation status-change');
  const instanceId = detail['instance-id'];
  const commandId = detail['command-id'];
  if (detail['document-name'] !== settings.documentName) {
    return { effect: 'ignored', instanceId, reason: `document ${detail['document-name']} is not ${settings.documentName}` };
  }
  if (!TERMINAL_INVOCATION_STATUSES.has(detail.status)) {
    return { effect: 'ignored', instanceId, reason: `status ${detail.status} is not final` };
  }
  let statusDetails: string | undefined;
  let output: string | undefined;
  if (detail.status !== 'Success') {
    const invocation = (await ports.ssm.listCommandInvocations(commandId)).find((i) => i.instanceId === instanceId);
    statusDetails = invocation?.statusDetails;
    output = invocation?.output;
  }
  const settled = await settleCommandOutcome(ports, settings, {
    commandId,
    instanceId,
    status: detail.status,
    ...(statusDetails !== undefined && { statusDetails }),
    ...(output !== undefined && { output }),
  });
  return { effect: 'outcome', instanceId, commandId, outcome: settled?.effect ?? 'ignored' };
}

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
    for (const { item } of single) attempts[item.instanceId] = Math.max(attempts[item.instanceId] ?? 0, item.attempt);
    let report: ReconcileReport;
    try {
      report = await reconcile(ports, settings, { dryRun: false, action: 'ensure', scope: { instanceIds: ids }, origin: 'worker', attempts, lineLimit: 1_000 });
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

type OutcomeCheck = InstanceWorkItem & { commandId: string };


/**
 * The follow-ups of sent commands. A record that no longer waits on the command (its outcome event
 * came) costs nothing more than the batch read; one that still does is settled from SSM, and the
 * rollout counts it as the event would have; one whose command still runs is looked at again.
 */
async function checkOutcomes(ports: Ports, settings: Settings, items: OutcomeCheck[]): Promise<WorkItemResult['lines']> {
  const records = new Map((await ports.state.getMany(items.map((item) => item.instanceId))).map((record) => [record.instanceId, record]));
  // A record still on the claim lost the write of its command id after SendCommand: make it so now.
  for (const item of items) {
    const record = records.get(item.instanceId);
    if (!item.claimId || !record || record.inFlight?.claimId !== item.claimId || record.inFlight.commandId !== undefined) continue;
    const stored = await bindCommandId(ports, item.instanceId, item.claimId, item.commandId, record);
    if (stored) records.set(item.instanceId, stored);
  }
  const waiting = items.filter((item) => records.get(item.instanceId)?.inFlight?.commandId === item.commandId);
  if (waiting.length === 0) return [];
  const { outcomes, stillRunning } = await settleInFlight(ports, settings, waiting.map((item) => records.get(item.instanceId)!));
  for (const outcome of outcomes) {
    ports.log.warn('command outcome settled by its check: its event never came', { instanceId: outcome.instanceId, commandId: outcome.command.commandId });
  }
  const running = new Set(stillRunning);
  const again = waiting.filter((item) => running.has(item.instanceId) && item.attempt + 1 < MAX_OUTCOME_CHECKS);
  // The command id is on the record by now: the next check needs no claim.
  const byCommand = new Map<string, string[]>();
  for (const item of again) byCommand.set(item.commandId, [...(byCommand.get(item.commandId) ?? []), item.instanceId]);
  await enqueueOutcomeChecks(ports, [...byCommand].map(([commandId, instanceIds]) => ({ commandId, instanceIds })), Math.max(0, ...again.map((item) => item.attempt)) + 1);
  return waiting.map((item) => ({
    target: item.instanceId,
    action: 'outcome-check',
    reason: item.reason,
    detail: item.commandId,
    outcome: running.has(item.instanceId) ? 'skipped' : 'done',
    outcomeDetail: running.has(item.instanceId) ? `still running; next check in ${OUTCOME_CHECK_DELAY_SECONDS} s` : 'settled from SSM',
  }));
}

/** Queues the checks again, one attempt on; false when they could not be queued. */
async function requeueChecks(ports: Ports, checks: OutcomeCheck[]): Promise<boolean> {
  const again = checks.filter((item) => item.attempt + 1 < MAX_OUTCOME_CHECKS).map((item) => ({ ...item, attempt: item.attempt + 1 }));
  try {
    await ports.queue.enqueue(again, OUTCOME_CHECK_DELAY_SECONDS);
    return true;
  } catch {
    return false;
  }
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
    lineLimit: 50,
    // A batch's silent agents were found by its sweep; a single instance is not asked about.
    ...(batch && { knownSilence: item.silence ?? {} }),
  });
  return { failed: report.failed, lines: report.lines };
}
