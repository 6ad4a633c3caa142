/** The conditional write of a transition: a lost race re-reads and decides again on what is there. */
import { describe, expect, it } from 'vitest';
import { transition } from '../../lib/apply/records.js';
import { ConflictError } from '../../lib/errors.js';
import type { InstanceRecord, StatePort } from '../../lib/ports.js';

const ID = 'i-0123456789abcdef0';
const stale: InstanceRecord = { instanceId: ID, status: 'pending', attempts: 0, updatedAt: 0, revision: 1 };
const fresh: InstanceRecord = { ...stale, status: 'configured', revision: 2 };

describe('transition', () => {
  it('after a conflict, decides again on the record as it now is, and writes on its revision', async () => {
    const seen: (InstanceRecord | undefined)[] = [];
    const puts: (number | undefined)[] = [];
    const state = {
      get: async () => fresh,
      put: async (record: Omit<InstanceRecord, 'revision'>, expected: number | undefined) => {
        puts.push(expected);
        if (expected === 1) throw new ConflictError('lost the race', { instanceId: ID });
        return { ...record, revision: (expected ?? 0) + 1 };
      },
    } as unknown as StatePort;
    const result = await transition({ state, clock: { now: () => 5, sleep: async () => {} } }, ID, (current) => { seen.push(current); return { ...current!, status: 'deselected' }; }, { record: stale });
    expect(seen).toEqual([stale, fresh]);
    expect(puts).toEqual([1, 2]);
    expect(result).toMatchObject({ before: fresh, stored: { status: 'deselected', revision: 3, updatedAt: 5 } });
  });

  it('reports no change with its reason and writes nothing', async () => {
    const state = { get: async () => stale, put: async () => { throw new Error('no write expected'); } } as unknown as StatePort;
    expect(await transition({ state, clock: { now: () => 5, sleep: async () => {} } }, ID, () => ({ unchanged: 'because' }))).toEqual({ before: stale, unchanged: 'because' });
  });
});
