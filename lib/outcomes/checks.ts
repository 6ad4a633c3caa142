/**
 * Outcome checks: the follow-up the executor queues behind every command it sends, for when the
 * command's outcome event never comes.
 */
import type { Settings } from '../config.js';
import { enqueueOutcomeChecks } from '../apply/execute.js';
import { MAX_OUTCOME_CHECKS, OUTCOME_CHECK_DELAY_SECONDS } from '../model/timing.js';
import type { InstanceWorkItem, Ports } from '../ports.js';
import { bindCommandId, settleInFlight } from './settle.js';

/** What a check did for one instance, as a line of the worker's log. */
export interface CheckLine {
  target: string;
  action: 'outcome-check';
  reason: string;
  detail: string;
  outcome: 'done' | 'skipped';
  outcomeDetail: string;
}

export type OutcomeCheck = InstanceWorkItem & { commandId: string };


/**
 * The follow-ups of sent commands. A record that no longer waits on the command (its outcome event
 * came) costs nothing more than the batch read; one that still does is settled from SSM, and the
 * rollout counts it as the event would have; one whose command still runs is looked at again.
 */
export async function checkOutcomes(ports: Ports, settings: Settings, items: OutcomeCheck[]): Promise<CheckLine[]> {
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
export async function requeueChecks(ports: Ports, checks: OutcomeCheck[]): Promise<boolean> {
  const again = checks.filter((item) => item.attempt + 1 < MAX_OUTCOME_CHECKS).map((item) => ({ ...item, attempt: item.attempt + 1 }));
  try {
    await ports.queue.enqueue(again, OUTCOME_CHECK_DELAY_SECONDS);
    return true;
  } catch {
    return false;
  }
}
