/**
 * Read-modify-write of one instance's state record with a conditional write. Two Lambdas that
 * race on one instance both read revision n; only one write of n+1 lands, the other re-reads
 * and decides again on what is now there. That is what keeps at most one command in flight
 * per instance, and what makes a duplicate or out-of-order event change nothing.
 */
import { ConflictError } from './errors.js';
import type { InstanceRecord, Ports } from './ports.js';

export type RecordDraft = Omit<InstanceRecord, 'revision'>;

/** What `mutate` returns: the new record, or undefined to leave the record as it is. */
export type RecordMutation = (current: InstanceRecord | undefined) => RecordDraft | undefined;

const MAX_CONFLICT_RETRIES = 5;

/**
 * Applies `mutate` with a conditional write; returns the stored record, or undefined when nothing
 * changed. `known` is the record as the caller last read it (`{ record: undefined }`: read, and
 * absent): the first try writes on it without another GetItem, and a conflict re-reads.
 */
export async function updateRecord(
  ports: Pick<Ports, 'state' | 'clock'>,
  instanceId: string,
  mutate: RecordMutation,
  known?: { record: InstanceRecord | undefined },
): Promise<InstanceRecord | undefined> {
  for (let attempt = 0; ; attempt++) {
    const current = attempt === 0 && known ? known.record : await ports.state.get(instanceId);
    const next = mutate(current);
    if (!next) return undefined;
    try {
      return await ports.state.put({ ...next, instanceId, updatedAt: ports.clock.now() }, current?.revision);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}

/** The in-flight id a record holds from the claim until SendCommand returns: "claim-<ms>". */
export const CLAIM_PREFIX = 'claim-';

/**
 * Replaces the claim on an instance's record with the SSM command id it became, so that the
 * outcome event (which names only the command) finds it. Returns the stored record, or undefined
 * when the record no longer holds that claim.
 */
export async function recordCommandId(
  ports: Pick<Ports, 'state' | 'clock'>,
  instanceId: string,
  claimId: string,
  commandId: string,
  known?: { record: InstanceRecord | undefined },
): Promise<InstanceRecord | undefined> {
  return updateRecord(
    ports,
    instanceId,
    (current) => {
      if (!current?.inFlight || current.inFlight.commandId !== claimId) return undefined;
      return { ...draftOf(current, instanceId, 0), inFlight: { ...current.inFlight, commandId } };
    },
    known,
  );
}

/** A fresh record for an instance seen for the first time. */
export function newRecord(instanceId: string, now: number): RecordDraft {
  return { instanceId, status: 'pending', attempts: 0, updatedAt: now };
}

/** The record without its revision, as the start of a draft. */
export function draftOf(record: InstanceRecord | undefined, instanceId: string, now: number): RecordDraft {
  if (!record) return newRecord(instanceId, now);
  const { revision: _revision, ...draft } = record;
  return draft;
}
