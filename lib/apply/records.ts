/**
 * Read-modify-write of one instance's state record with a conditional write. Two Lambdas that
 * race on one instance both read revision n; only one write of n+1 lands, the other re-reads
 * and decides again on what is now there. That is what keeps at most one command in flight
 * per instance, and what makes a duplicate or out-of-order event change nothing. What to write
 * is always a transition of lib/model/lifecycle.ts.
 */
import { ConflictError } from '../errors.js';
import { isNoChange, type Next } from '../model/lifecycle.js';
import type { InstanceRecord, Ports } from '../ports.js';

const MAX_CONFLICT_RETRIES = 5;

/** What a transition did: the record before it, and the one stored (or why nothing changed). */
export type Transitioned =
  | { before: InstanceRecord | undefined; stored: InstanceRecord }
  | { before: InstanceRecord | undefined; unchanged: string };

/**
 * Applies `decide` (a lifecycle transition on the current record) with a conditional write.
 * `known` is the record as the caller last read it (`{ record: undefined }`: read, and absent):
 * the first try decides on it without another GetItem, and a conflict re-reads.
 */
export async function transition(
  ports: Pick<Ports, 'state' | 'clock'>,
  instanceId: string,
  decide: (current: InstanceRecord | undefined) => Next,
  known?: { record: InstanceRecord | undefined },
): Promise<Transitioned> {
  for (let attempt = 0; ; attempt++) {
    const current = attempt === 0 && known ? known.record : await ports.state.get(instanceId);
    const next = decide(current);
    if (isNoChange(next)) return { before: current, unchanged: next.unchanged };
    try {
      return { before: current, stored: await ports.state.put({ ...next, instanceId, updatedAt: ports.clock.now() }, current?.revision) };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}

/** The stored record, or undefined when the transition changed nothing. */
export function storedOf(result: Transitioned): InstanceRecord | undefined {
  return 'stored' in result ? result.stored : undefined;
}
