/**
 * Command outcomes: the version applied is recorded only after the command reports success.
 * Outcomes arrive from EventBridge (best effort: late, twice, or never), from the outcome check
 * the executor queues behind every command, and from the sweep. All three go through `settle`:
 * the lifecycle transition (only the command the record has in flight is settled, so a duplicate
 * or stale outcome changes nothing), what it means (metrics, events, a retry), and its count in
 * the rollout of its version.
 */
import type { Settings } from '../config.js';
import { errorMessage } from '../errors.js';
import { mapWithConcurrency } from '../support/concurrency.js';
import * as lifecycle from '../model/lifecycle.js';
import { CLOCK_SKEW_MS, retryDelaySeconds } from '../model/timing.js';
import { TERMINAL_INVOCATION_STATUSES, type CommandInvocation, type InFlightCommand, type InstanceRecord, type Ports } from '../ports.js';
import { storedOf, transition } from '../apply/records.js';
import { countInRollout } from '../rollout/rollout.js';
import { SERVICE_EVENTS } from '../model/service-events.js';

export type OutcomeEffect = lifecycle.SettledEffect | 'ignored';

export interface CommandOutcome {
  commandId: string;
  instanceId: string;
  status: string;
  statusDetails?: string;
  output?: string;
  /** The agent version the command's status step reported. */
  agentVersion?: string;
}

export interface Settled {
  instanceId: string;
  /** The in-flight command this outcome settled. */
  command: InFlightCommand;
  effect: lifecycle.SettledEffect;
}

/**
 * The one settle path: applies the transition, says what it means, and counts it in its rollout.
 * Undefined when the record did not wait on that command (nothing changed).
 */
async function settle(
  ports: Ports,
  settings: Settings,
  instanceId: string,
  next: (current: InstanceRecord | undefined) => lifecycle.Next,
  known?: { record: InstanceRecord | undefined },
): Promise<Settled | undefined> {
  const result = await transition(ports, instanceId, next, known);
  const stored = storedOf(result);
  const command = result.before?.inFlight;
  if (!stored || !command) return undefined;
  const effect = lifecycle.settledEffect(stored);
  await announce(ports, settings, result.before!, stored, effect);
  await countInRollout(ports, settings, instanceId, command, effect === 'applied');
  return { instanceId, command, effect };
}

/** A finished invocation, from its event or from SSM. */
export async function settleCommandOutcome(
  ports: Ports,
  settings: Settings,
  outcome: CommandOutcome,
  known?: { record: InstanceRecord | undefined },
): Promise<Settled | undefined> {
  if (!TERMINAL_INVOCATION_STATUSES.has(outcome.status)) return undefined;
  const input = { ...outcome, maxAttempts: settings.maxCommandAttempts };
  return settle(ports, settings, outcome.instanceId, (current) => lifecycle.settleOutcome(current, input, ports.clock.now()), known);
}

async function announce(ports: Ports, settings: Settings, before: InstanceRecord, stored: InstanceRecord, effect: lifecycle.SettledEffect): Promise<void> {
  const log = { instanceId: stored.instanceId, commandId: before.inFlight?.commandId ?? before.inFlight?.claimId };
  switch (effect) {
    case 'applied': {
      const first = before.appliedVersion === undefined && stored.status === 'configured';
      ports.metrics.count(first ? 'InstancesOnboarded' : 'InstancesConfigured');
      ports.log.info(first ? 'instance onboarded' : 'command succeeded', { ...log, configName: stored.appliedConfig, version: stored.appliedVersion });
      if (stored.status === 'configured') {
        await ports.events.publish([
          {
            detailType: first ? SERVICE_EVENTS.onboarded : SERVICE_EVENTS.configured,
            detail: { ...log, configName: stored.appliedConfig, version: stored.appliedVersion, stage: settings.stage },
          },
        ]);
      }
      return;
    }
    case 'retry':
      ports.metrics.count('CommandsFailed');
      ports.log.warn('command failed, will retry', { ...log, attempts: stored.attempts, error: stored.lastError });
      await ports.queue.enqueue(
        [{ instanceId: stored.instanceId, reason: `retry after failed command ${log.commandId}`, attempt: stored.attempts }],
        retryDelaySeconds(stored.attempts),
      );
      return;
    case 'failed':
      ports.metrics.count('CommandsFailed');
      ports.metrics.count('InstancesFailed');
      ports.log.error('command failed, giving up', { ...log, attempts: stored.attempts, error: stored.lastError });
      await ports.events.publish([
        {
          detailType: SERVICE_EVENTS.failed,
          detail: { ...log, attempts: stored.attempts, error: stored.lastError, configName: stored.configName, version: stored.targetVersion, stage: settings.stage },
        },
      ]);
  }
}

/**
 * A record still on a claim: the write of the command id after SendCommand was lost (it failed
 * after its retries, or the Lambda ended in between). The first of the service document's
 * invocations on the instance since the claim is the command the claim became (a claim is taken
 * only when no other command is in flight); the record gets its id, so that it can be settled
 * instead of timing out and being sent again. Without one, the record stays as it is.
 */
async function resolveClaim(ports: Ports, settings: Settings, record: InstanceRecord): Promise<InstanceRecord> {
  const inFlight = record.inFlight;
  if (!inFlight || inFlight.commandId !== undefined) return record;
  try {
    const [first] = await ports.ssm.listInvocationsOnInstance(record.instanceId, settings.documentName, inFlight.sentAt - CLOCK_SKEW_MS);
    if (!first) return record;
    return (await bindCommandId(ports, record.instanceId, inFlight.claimId, first.commandId, record)) ?? record;
  } catch (error) {
    ports.log.warn('could not find the command a claim became', { instanceId: record.instanceId, claim: inFlight.claimId, error: errorMessage(error) });
    return record;
  }
}

/** Writes the command id a claim became; the stored record, or undefined when the record no longer holds the claim unbound. */
export async function bindCommandId(
  ports: Pick<Ports, 'state' | 'clock'>,
  instanceId: string,
  claimId: string,
  commandId: string,
  known?: InstanceRecord,
): Promise<InstanceRecord | undefined> {
  return storedOf(await transition(ports, instanceId, (current) => lifecycle.bindCommandId(current, { claimId, commandId }, ports.clock.now()), known && { record: known }));
}

export interface SettledInFlight {
  /** Instances whose command has not finished (or SSM could not be asked) and whose lease holds. */
  stillRunning: string[];
  /** Each command settled (finished, or failed when its lease ran out). */
  outcomes: Settled[];
}

/**
 * The safety net for outcome events that never arrived (the sweep's, and the outcome check's):
 * asks SSM about every command in flight (one ListCommandInvocations per command, which covers its
 * up to 50 instances), settles what has finished, and fails a command whose lease ran out with no
 * outcome.
 */
export async function settleInFlight(ports: Ports, settings: Settings, records: InstanceRecord[]): Promise<SettledInFlight> {
  const now = ports.clock.now();
  const byCommand = new Map<string, { commandId: string | undefined; waiting: InstanceRecord[] }>();
  for (const record of await mapWithConcurrency(records, 5, (record) => resolveClaim(ports, settings, record))) {
    const inFlight = record.inFlight;
    if (!inFlight) continue;
    // A claim resolveClaim could not tie to a command never became one: it has no invocations.
    const key = inFlight.commandId ?? inFlight.claimId;
    const entry = byCommand.get(key) ?? { commandId: inFlight.commandId, waiting: [] };
    entry.waiting.push(record);
    byCommand.set(key, entry);
  }
  const result: SettledInFlight = { stillRunning: [], outcomes: [] };
  await mapWithConcurrency([...byCommand.values()], 5, async ({ commandId, waiting }) => {
    let invocations: CommandInvocation[] = [];
    if (commandId !== undefined) {
      try {
        invocations = await ports.ssm.listCommandInvocations(commandId);
      } catch (error) {
        ports.log.warn('could not read command invocations', { commandId, error: errorMessage(error) });
        result.stillRunning.push(...waiting.map((record) => record.instanceId));
        return;
      }
    }
    const byInstance = new Map(invocations.map((invocation) => [invocation.instanceId, invocation]));
    for (const record of waiting) {
      const invocation = byInstance.get(record.instanceId);
      let settled: Settled | undefined;
      if (invocation && TERMINAL_INVOCATION_STATUSES.has(invocation.status)) {
        settled = await settleCommandOutcome(ports, settings, invocation);
      } else if (!lifecycle.leaseHeld(record, now)) {
        settled = await settle(ports, settings, record.instanceId, (current) => lifecycle.expireLease(current, { maxAttempts: settings.maxCommandAttempts }, ports.clock.now()), { record });
      } else {
        result.stillRunning.push(record.instanceId);
      }
      if (settled) result.outcomes.push(settled);
    }
  });
  return result;
}
