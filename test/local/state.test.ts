import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../lib/errors.js';
import { SimulatedAccount } from '../../local/account.js';

const draft = (instanceId: string, now = 0) => ({ instanceId, status: 'pending' as const, attempts: 0, updatedAt: now });

describe('state table', () => {
  it('creates only when absent and updates only at the revision read', async () => {
    const sim = new SimulatedAccount();
    const { state } = sim.ports();
    const first = await state.put(draft('i-1'), undefined);
    expect(first.revision).toBe(1);
    await expect(state.put(draft('i-1'), undefined)).rejects.toThrow(ConflictError);
    const second = await state.put({ ...draft('i-1'), attempts: 1 }, 1);
    expect(second.revision).toBe(2);
    const stale = await state.put({ ...draft('i-1'), attempts: 9 }, 1).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ConflictError).instanceId).toBe('i-1');
    expect(await state.get('i-1')).toMatchObject({ attempts: 1, revision: 2 });
    expect(sim.stats().conflicts).toBe(2);
  });

  it('lets exactly one of two racing writers win', async () => {
    const sim = new SimulatedAccount();
    const a = sim.ports();
    const b = sim.ports();
    await a.state.put(draft('i-1'), undefined);
    const results = await Promise.allSettled([a.state.put({ ...draft('i-1'), status: 'in-flight' }, 1), b.state.put({ ...draft('i-1'), status: 'failed' }, 1)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(1);
  });

  it('hands out copies: mutating what was read changes nothing stored', async () => {
    const sim = new SimulatedAccount();
    const { state } = sim.ports();
    await state.put({ ...draft('i-1'), inFlight: { claimId: 'claim-0', commandId: 'c', action: 'configure', sentAt: 0, leaseExpiresAt: 1 } }, undefined);
    const read = (await state.get('i-1'))!;
    read.inFlight!.commandId = 'mutated';
    expect((await state.get('i-1'))!.inFlight!.commandId).toBe('c');
    expect(await state.get('i-1')).not.toHaveProperty('lastError');
  });

  it('keeps rollouts in the same table, apart from instance records, and scans in 1000-item pages', async () => {
    const sim = new SimulatedAccount();
    const { state, rollouts } = sim.ports();
    for (let i = 0; i < 2500; i++) await state.put(draft(`i-${i}`), undefined);
    await rollouts.put({ configName: 'web', version: 2, status: 'in-progress', total: 3, sent: 0, succeeded: 0, failed: 0, startedAt: 0, updatedAt: 0 }, undefined);
    sim.resetCalls();
    expect(await state.list()).toHaveLength(2500);
    expect(sim.calls.Scan).toBe(3);
    expect(await rollouts.list()).toEqual([expect.objectContaining({ configName: 'web', revision: 1 })]);
    expect(await rollouts.get('web')).not.toHaveProperty('instanceId');
    await expect(rollouts.put({ ...(await rollouts.get('web'))!, status: 'completed' }, 0)).rejects.toThrow(ConflictError);
  });
});
