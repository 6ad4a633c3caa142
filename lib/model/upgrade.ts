/**
 * Records written by earlier releases, read by this one. A deployed stage's table keeps its items
 * across a deploy, so every shape an earlier release wrote is read here for at least one release
 * after it changed. Both state ports pass every record they read through `upgradeRecord`.
 *
 * Until this release an in-flight command held one `commandId` string: the claim ("claim-<ms>")
 * until SendCommand returned, then the SSM command id. It is now two fields, `claimId` and
 * `commandId`. The claim of a command already bound was "claim-<sentAt>" (both were taken from
 * the same clock reading), so it is rebuilt from `sentAt`.
 */
import type { InFlightCommand, InstanceRecord } from '../ports.js';
import { CLAIM_PREFIX, claimIdAt } from './lifecycle.js';

/** The in-flight command as releases before the claimId field wrote it. */
type StoredInFlight = Omit<InFlightCommand, 'claimId'> & { claimId?: string };

export function upgradeRecord(stored: Omit<InstanceRecord, 'inFlight'> & { inFlight?: StoredInFlight }): InstanceRecord {
  const inFlight = stored.inFlight;
  if (!inFlight || inFlight.claimId !== undefined) return stored as InstanceRecord;
  const { commandId, ...rest } = inFlight;
  const unbound = commandId === undefined || commandId.startsWith(CLAIM_PREFIX);
  return {
    ...stored,
    inFlight: unbound ? { ...rest, claimId: commandId ?? claimIdAt(inFlight.sentAt) } : { ...rest, claimId: claimIdAt(inFlight.sentAt), commandId },
  };
}
