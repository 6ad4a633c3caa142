/**
 * The instance record's state machine, whole. Every change of a record is one of these pure
 * transitions, (record, input, now) → the next record or "no change" with the reason; the
 * executor, the outcome paths and the sweep only choose which transition to apply and write its
 * result with a conditional write (lib/apply/records.ts). The lease rule is written once, here.
 *
 *   pending ─claim─▶ in-flight ─bind command id─▶ in-flight ─outcome─▶ configured | pending (retry) | failed
 *            ◀─release (SendCommand failed)─┘              └─lease expired─▶ pending (retry) | failed
 */
import type { AgentAction, InFlightCommand, InstanceRecord } from '../ports.js';

export type RecordDraft = Omit<InstanceRecord, 'revision'>;

/** A transition that leaves the record as it is, and why. */
export interface NoChange {
  readonly unchanged: string;
}

export type Next = RecordDraft | NoChange;

export function isNoChange(next: Next): next is NoChange {
  return 'unchanged' in next;
}

export const IN_FLIGHT = 'a command is already in flight';
export const RECORD_CHANGED = 'the record changed since the plan was made; the next look decides';
const NOT_THIS_COMMAND = 'the record does not wait on this command';

const unchanged = (why: string): NoChange => ({ unchanged: why });

/** The in-flight claim id from the claim until SendCommand returns: "claim-<ms>". */
export const CLAIM_PREFIX = 'claim-';

export function claimIdAt(now: number): string {
  return `${CLAIM_PREFIX}${now}`;
}

/** The lease rule: a command in flight blocks another until its lease runs out. */
export function leaseHeld(record: Pick<InstanceRecord, 'inFlight'> | undefined, now: number): boolean {
  return record?.inFlight !== undefined && record.inFlight.leaseExpiresAt > now;
}

/** A fresh record for an instance seen for the first time. */
export function newRecord(instanceId: string, now: number): RecordDraft {
  return { instanceId, status: 'pending', attempts: 0, updatedAt: now };
}

/** The record without its revision, as the start of the next one. */
export function draftOf(record: InstanceRecord | undefined, instanceId: string, now: number): RecordDraft {
  if (!record) return newRecord(instanceId, now);
  const { revision: _revision, ...draft } = record;
  return draft;
}

/** The record a plan was made from (revision undefined: there was none). */
export interface PlannedFrom {
  revision: number | undefined;
}

/**
 * Whether the record is still the one the plan was made from. A plan can be minutes old when its
 * last phase runs; acting on a record that moved on since would undo what a worker did meanwhile.
 */
export function planStillHolds(record: InstanceRecord | undefined, plannedFrom: PlannedFrom | undefined): boolean {
  return plannedFrom === undefined || record?.revision === plannedFrom.revision;
}

export interface ClaimInput {
  instanceId: string;
  action: AgentAction;
  configName?: string;
  version?: number;
  /** The one restart of an agent that stopped reporting. */
  forSilence?: boolean;
  /** The version's rollout is over: the outcome counts in no rollout. */
  rolledOut?: boolean;
  /** The exact agent version the command installs. */
  agentVersion?: string;
  claimId: string;
  leaseMs: number;
  plannedFrom?: PlannedFrom;
}

/** Marks a command in flight, unless one is (lease held) or the record moved on since the plan. */
export function claim(record: InstanceRecord | undefined, input: ClaimInput, now: number): Next {
  if (leaseHeld(record, now)) return unchanged(IN_FLIGHT);
  if (!planStillHolds(record, input.plannedFrom)) return unchanged(RECORD_CHANGED);
  const draft = draftOf(record, input.instanceId, now);
  const aboutTheAgentOnly = input.action === 'stop' || input.action === 'uninstall';
  const sameAgentTarget = input.agentVersion === undefined || draft.targetAgentVersion === input.agentVersion;
  const sameTarget = draft.configName === input.configName && draft.targetVersion === input.version && sameAgentTarget;
  return {
    ...draft,
    status: 'in-flight',
    // A stop or uninstall is about the agent, not a target: the record keeps what it was configured for.
    ...(!aboutTheAgentOnly && { configName: input.configName, targetVersion: input.version }),
    ...(input.agentVersion !== undefined && { targetAgentVersion: input.agentVersion }),
    attempts: sameTarget ? draft.attempts : 0,
    ...(input.forSilence && { silenceRestartAt: now }),
    inFlight: {
      claimId: input.claimId,
      action: input.action,
      sentAt: now,
      leaseExpiresAt: now + input.leaseMs,
      ...(input.configName !== undefined && { configName: input.configName }),
      ...(input.version !== undefined && { version: input.version }),
      ...(input.rolledOut && { rolledOut: true }),
      ...(input.agentVersion !== undefined && { agentVersion: input.agentVersion }),
    },
  };
}

/** SendCommand returned: the claim gets the command id, so that the outcome event (which names only the command) finds it. */
export function bindCommandId(record: InstanceRecord | undefined, input: { claimId: string; commandId: string }, now: number): Next {
  const inFlight = record?.inFlight;
  if (!record || inFlight?.claimId !== input.claimId) return unchanged('the record no longer holds this claim');
  if (inFlight.commandId !== undefined) return unchanged(inFlight.commandId === input.commandId ? 'already bound' : 'bound to another command');
  return { ...draftOf(record, record.instanceId, now), inFlight: { ...inFlight, commandId: input.commandId } };
}

/** SendCommand failed for this instance: the claim is given back, with why. */
export function release(record: InstanceRecord | undefined, input: { claimId: string; why: string }, now: number): Next {
  if (!record || record.inFlight?.claimId !== input.claimId || record.inFlight.commandId !== undefined) return unchanged('the record no longer holds this claim unsent');
  const { inFlight: _inFlight, ...rest } = draftOf(record, record.instanceId, now);
  return { ...rest, status: 'pending', lastError: input.why };
}

export interface OutcomeInput {
  commandId: string;
  /** A terminal invocation status: Success, Failed, TimedOut, Cancelled. */
  status: string;
  statusDetails?: string;
  output?: string;
  /** The agent version the command's status step reported, when it did. */
  agentVersion?: string;
  maxAttempts: number;
}

/**
 * Whether a command's outcome can change the agent version the record holds. Only an install
 * installs (AWS-ConfigureAWSPackage runs in no other command); a configure, restart or stop runs
 * the same agent, and an uninstall leaves none (`finish` drops the version). So only an install's
 * success needs its status step's output read back for the version; a failure's is read for why.
 */
export function outcomeReportsNewAgentVersion(action: AgentAction): boolean {
  return action === 'install-and-configure';
}

/**
 * A command finished. Only the command the record has in flight is settled: a duplicate, late or
 * stale outcome changes nothing. The version counts as applied only after success.
 */
export function settleOutcome(record: InstanceRecord | undefined, input: OutcomeInput, now: number): Next {
  if (!record?.inFlight || record.inFlight.commandId !== input.commandId) return unchanged(NOT_THIS_COMMAND);
  return finish(record, record.inFlight, input.status === 'Success', describeFailure(input), input.maxAttempts, now, input.agentVersion);
}

/** The lease ran out with no outcome: the command counts as failed (a retry, or failed for good). */
export function expireLease(record: InstanceRecord | undefined, input: { maxAttempts: number }, now: number): Next {
  if (!record?.inFlight) return unchanged('nothing in flight');
  if (leaseHeld(record, now)) return unchanged('the lease still holds');
  const name = record.inFlight.commandId ?? record.inFlight.claimId;
  return finish(record, record.inFlight, false, `command ${name} TimedOut (no outcome before the lease expired)`, input.maxAttempts, now);
}

/**
 * Settles the command in flight. The agent version is what the instance reported, whatever the
 * outcome (a failed upgrade may have left the old version, or none): the record says what runs.
 */
function finish(
  record: InstanceRecord,
  inFlight: InFlightCommand,
  succeeded: boolean,
  failure: string,
  maxAttempts: number,
  now: number,
  reportedAgentVersion?: string,
): RecordDraft {
  const { inFlight: _inFlight, ...settled } = draftOf(record, record.instanceId, now);
  const rest = reportedAgentVersion === undefined ? settled : { ...settled, agentVersion: reportedAgentVersion };
  if (succeeded) {
    const { waitingSince: _w, lastError: _e, ...clean } = rest;
    if (inFlight.action === 'stop') {
      const { appliedConfig: _c, appliedVersion: _v, ...stopped } = clean;
      return { ...stopped, status: 'deselected', attempts: 0 };
    }
    if (inFlight.action === 'uninstall') {
      const { appliedConfig: _c, appliedVersion: _v, agentVersion: _a, targetAgentVersion: _t, ...removed } = clean;
      return { ...removed, status: 'deselected', attempts: 0 };
    }
    // A new configuration is a fresh start for the silence check; the silence restart is not.
    const { silenceRestartAt: _s, ...fresh } = clean;
    return {
      ...(inFlight.action === 'restart' ? clean : fresh),
      status: 'configured',
      attempts: 0,
      appliedAt: now,
      ...(inFlight.configName !== undefined && { appliedConfig: inFlight.configName }),
      ...(inFlight.version !== undefined && { appliedVersion: inFlight.version }),
    };
  }
  const attempts = rest.attempts + 1;
  return { ...rest, status: attempts >= maxAttempts ? 'failed' : 'pending', attempts, lastError: failure };
}

export type SettledEffect = 'applied' | 'retry' | 'failed';

/** What a settled record means: applied, to be retried, or failed after its retries. */
export function settledEffect(next: RecordDraft): SettledEffect {
  return next.status === 'failed' ? 'failed' : next.status === 'pending' ? 'retry' : 'applied';
}

function describeFailure(outcome: Omit<OutcomeInput, 'maxAttempts'>): string {
  const details = outcome.statusDetails && outcome.statusDetails !== outcome.status ? ` (${outcome.statusDetails})` : '';
  const output = outcome.output ? `: ${outcome.output.trim().slice(0, 500)}` : '';
  return `command ${outcome.commandId} ${outcome.status}${details}${output}`;
}

/** Not SSM-managed yet: the registration window starts at the first look and is kept after. */
export function waitForRegistration(record: InstanceRecord | undefined, input: { instanceId: string; why: string }, now: number): Next {
  const draft = draftOf(record, input.instanceId, now);
  if (draft.waitingSince !== undefined && draft.status === 'pending') return unchanged('already waiting');
  return { ...draft, status: 'pending', waitingSince: draft.waitingSince ?? now, lastError: input.why };
}

/** Statuses that report a problem and leave the instance alone; a silent agent is reported failed. */
export type ReportedStatus = 'unreachable' | 'invalid' | 'drift' | 'failed';

export function report(
  record: InstanceRecord | undefined,
  input: { instanceId: string; status: ReportedStatus; why: string; /** the configuration the instance selects, for status */ configName?: string },
  now: number,
): Next {
  const draft = { ...draftOf(record, input.instanceId, now), status: input.status, lastError: input.why };
  return input.configName === undefined ? draft : { ...draft, configName: input.configName };
}

export function deselect(record: InstanceRecord | undefined, input: { instanceId: string }, now: number): Next {
  return { ...draftOf(record, input.instanceId, now), status: 'deselected' };
}

/** The agent runs the standing version but the record said otherwise. */
export function markConfigured(record: InstanceRecord | undefined, input: { instanceId: string; configName: string; version: number }, now: number): Next {
  const { waitingSince: _w, lastError: _e, ...draft } = draftOf(record, input.instanceId, now);
  return { ...draft, status: 'configured', configName: input.configName, targetVersion: input.version, attempts: 0 };
}

/** The instance is gone: whatever is in flight is dropped. Nothing can change a closed record back. */
export function close(record: InstanceRecord | undefined, input: { instanceId: string }, now: number): Next {
  if (!record) return unchanged('no record');
  if (record.status === 'closed' && !record.inFlight) return unchanged('already closed');
  const { inFlight: _inFlight, ...rest } = draftOf(record, input.instanceId, now);
  return { ...rest, status: 'closed' };
}
