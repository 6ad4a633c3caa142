/**
 * Command outcomes: the version applied is recorded only after the command reports success.
 * Outcomes arrive from EventBridge (best effort: late, twice, or never) and from the sweep, which
 * asks SSM about commands whose outcome is overdue. Both go through recordCommandOutcome, which
 * only acts on the command the record has in flight, so a duplicate or stale outcome is a no-op.
 */
import type { Settings } from './config.js';
import { errorMessage } from './errors.js';
import { mapWithConcurrency } from './concurrency.js';
import {
  TERMINAL_INVOCATION_STATUSES,
  type CommandInvocation,
  type InFlightCommand,
  type InstanceRecord,
  type InstanceWorkItem,
  type Ports,
} from './ports.js';
import { CLAIM_PREFIX, draftOf, recordCommandId, updateRecord } from './records.js';
import { SERVICE_EVENTS } from './service-events.js';

export type OutcomeEffect = 'applied' | 'retry' | 'failed' | 'ignored';

export interface CommandOutcome {
  commandId: string;
  instanceId: string;
  status: string;
  statusDetails?: string;
  output?: string;
}

/** Clocks of Lambda and SSM agree far closer than this; a claim is taken before its SendCommand. */
const CLOCK_SKEW_MS = 1_000;

/**
 * A record still on a claim: the write of the command id after SendCommand was lost (it failed
 * after its retries, or the Lambda ended in between). The first of the service document's
 * invocations on the instance since the claim is the command the claim became (a claim is taken
 * only when no other command is in flight); the record gets its id, so that it can be settled
 * instead of timing out and being sent again. Without one, the record stays as it is.
 */
async function resolveClaim(ports: Ports, settings: Settings, record: InstanceRecord): Promise<InstanceRecord> {
  const inFlight = record.inFlight;
  if (!inFlight?.commandId.startsWith(CLAIM_PREFIX)) return record;
  try {
    const [first] = await ports.ssm.listInvocationsOnInstance(record.instanceId, settings.documentName, inFlight.sentAt - CLOCK_SKEW_MS);
    if (!first) return record;
    return (await recordCommandId(ports, record.instanceId, inFlight.commandId, first.commandId, { record })) ?? record;
  } catch (error) {
    ports.log.warn('could not find the command a claim became', { instanceId: record.instanceId, claim: inFlight.commandId, error: errorMessage(error) });
    return record;
  }
}

/**
 * When the follow-up of a SendCommand looks at its outcome: SQS's longest delay. An outcome event
 * normally settles the record within a minute or two, and then the check costs one BatchGetItem
 * per ten instances; when the event was lost, the check asks SSM. The sweep is the safety net
 * behind it, but runs hours apart.
 */
export const OUTCOME_CHECK_DELAY_SECONDS = 900;

/**
 * Queues the outcome checks of commands just sent, ten to a SendMessageBatch. A failure is logged,
 * not raised: the commands went out, and the sweep settles a lost outcome if the check is lost too.
 */
export async function enqueueOutcomeChecks(
  ports: Pick<Ports, 'queue' | 'log'>,
  sent: { commandId: string; claimId?: string; instanceIds: string[] }[],
  attempt = 0,
): Promise<void> {
  const items: InstanceWorkItem[] = sent.flatMap(({ commandId, claimId, instanceIds }) =>
    instanceIds.map((instanceId) => ({ instanceId, commandId, ...(claimId && { claimId }), reason: `outcome check of ${commandId}`, attempt })),
  );
  if (items.length === 0) return;
  try {
    await ports.queue.enqueue(items, OUTCOME_CHECK_DELAY_SECONDS);
  } catch (error) {
    ports.log.warn('could not queue outcome checks; the sweep settles any lost outcome', { commands: sent.map((s) => s.commandId), error: errorMessage(error) });
  }
}

/** Delay before retrying a failed command: 60 s doubling, within SQS's 900 s per message. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(900, 60 * 2 ** Math.max(0, attempts - 1));
}

export interface RecordedOutcome {
  effect: OutcomeEffect;
  /** The in-flight command this outcome settled; undefined when it was ignored. */
  settled?: InFlightCommand;
}

export async function recordCommandOutcome(
  ports: Ports,
  settings: Settings,
  outcome: CommandOutcome,
): Promise<RecordedOutcome> {
  if (!TERMINAL_INVOCATION_STATUSES.has(outcome.status)) return { effect: 'ignored' };
  const now = ports.clock.now();
  let effect: OutcomeEffect = 'ignored';
  let before: InstanceRecord | undefined;
  const stored = await updateRecord(ports, outcome.instanceId, (current) => {
    effect = 'ignored';
    before = current;
    if (!current?.inFlight || current.inFlight.commandId !== outcome.commandId) return undefined;
    const { inFlight, ...rest } = draftOf(current, outcome.instanceId, now);
    if (outcome.status === 'Success') {
      effect = 'applied';
      const { waitingSince: _w, lastError: _e, ...clean } = rest;
      if (inFlight!.action === 'stop') {
        const { appliedConfig: _c, appliedVersion: _v, ...stopped } = clean;
        return { ...stopped, status: 'deselected', attempts: 0 };
      }
      // A new configuration is a fresh start for the silence check; the silence restart is not.
      const { silenceRestartAt: _s, ...fresh } = clean;
      return {
        ...(inFlight!.action === 'restart' ? clean : fresh),
        status: 'configured',
        attempts: 0,
        appliedAt: now,
        ...(inFlight!.configName !== undefined && { appliedConfig: inFlight!.configName }),
        ...(inFlight!.version !== undefined && { appliedVersion: inFlight!.version }),
      };
    }
    const attempts = rest.attempts + 1;
    const lastError = describeFailure(outcome);
    effect = attempts >= settings.maxCommandAttempts ? 'failed' : 'retry';
    return { ...rest, status: effect === 'failed' ? 'failed' : 'pending', attempts, lastError };
  });
  if (!stored || !before?.inFlight) return { effect: 'ignored' };
  const settled = before.inFlight;

  const log = { instanceId: outcome.instanceId, commandId: outcome.commandId };
  switch (effect as OutcomeEffect) {
    case 'applied': {
      const first = before?.appliedVersion === undefined && stored.status === 'configured';
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
      break;
    }
    case 'retry':
      ports.metrics.count('CommandsFailed');
      ports.log.warn('command failed, will retry', { ...log, attempts: stored.attempts, error: stored.lastError });
      await ports.queue.enqueue(
        [{ instanceId: outcome.instanceId, reason: `retry after failed command ${outcome.commandId}`, attempt: stored.attempts }],
        retryDelaySeconds(stored.attempts),
      );
      break;
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
      break;
    case 'ignored':
      break;
  }
  return { effect, settled };
}

function describeFailure(outcome: CommandOutcome): string {
  const details = outcome.statusDetails && outcome.statusDetails !== outcome.status ? ` (${outcome.statusDetails})` : '';
  const output = outcome.output ? `: ${outcome.output.trim().slice(0, 500)}` : '';
  return `command ${outcome.commandId} ${outcome.status}${details}${output}`;
}

export interface SettledInFlight {
  /** Instances whose command has not finished (or SSM could not be asked) and whose lease holds. */
  stillRunning: string[];
  /** Each command settled (finished, or failed when its lease ran out), and whether it succeeded. */
  outcomes: { instanceId: string; command: InFlightCommand; succeeded: boolean }[];
}

/**
 * The safety net for outcome events that never arrived (the sweep's, and the outcome check's):
 * asks SSM about every command in flight (one ListCommandInvocations per command, which covers its
 * up to 50 instances), records what has finished, and fails a command whose lease ran out with no
 * outcome.
 */
export async function settleInFlight(ports: Ports, settings: Settings, records: InstanceRecord[]): Promise<SettledInFlight> {
  const now = ports.clock.now();
  const byCommand = new Map<string, InstanceRecord[]>();
  for (const record of await mapWithConcurrency(records, 5, (record) => resolveClaim(ports, settings, record))) {
    const commandId = record.inFlight?.commandId;
    if (!commandId) continue;
    byCommand.set(commandId, [...(byCommand.get(commandId) ?? []), record]);
  }
  const result: SettledInFlight = { stillRunning: [], outcomes: [] };
  await mapWithConcurrency([...byCommand], 5, async ([commandId, waiting]) => {
    let invocations: CommandInvocation[] = [];
    // A claim resolveClaim could not tie to a command never became one: it has no invocations.
    if (!commandId.startsWith(CLAIM_PREFIX)) {
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
      if (invocation && TERMINAL_INVOCATION_STATUSES.has(invocation.status)) {
        const { effect, settled } = await recordCommandOutcome(ports, settings, invocation);
        if (effect === 'ignored' || !settled) continue;
        result.outcomes.push({ instanceId: record.instanceId, command: settled, succeeded: invocation.status === 'Success' });
      } else if (record.inFlight!.leaseExpiresAt <= now) {
        const { effect, settled } = await recordCommandOutcome(ports, settings, {
          commandId,
          instanceId: record.instanceId,
          status: 'TimedOut',
          statusDetails: 'no outcome before the lease expired',
        });
        if (effect === 'ignored' || !settled) continue;
        result.outcomes.push({ instanceId: record.instanceId, command: settled, succeeded: false });
      } else {
        result.stillRunning.push(record.instanceId);
      }
    }
  });
  return result;
}
