/**
 * A worker environment's share of EC2's association rate, and what the executor does with it:
 * associate what is due, send the rest back holding its slot (in groups that return as one
 * batch), and beyond the horizon send it back unreserved.
 */
import { describe, expect, it } from 'vitest';
import { AssociationBudget, EC2_MUTATING_RATE, RESERVE_HORIZON_MS } from '../../lib/apply/association-budget.js';
import { execute } from '../../lib/apply/execute.js';
import { testSettings } from '../../lib/config.js';
import type { Action } from '../../lib/planning/plan.js';
import type { Ports, WorkItem } from '../../lib/ports.js';
import { TokenBucket } from '../../local/rate.js';

const T0 = 1_000_000;

describe('AssociationBudget', () => {
  it('gives one environment of ten a tenth of the burst (less 5%) at once, then one slot per 2 s', () => {
    const slots = new AssociationBudget(10).reserve(22, T0);
    expect(slots.slice(0, 19)).toEqual(Array(19).fill(T0));
    expect(slots.slice(19).map((slot) => slot - T0)).toEqual([2_000, 4_000, 6_000]);
  });

  it('refills while idle, never beyond its share of the burst', () => {
    const budget = new AssociationBudget(10);
    budget.reserve(19, T0);
    expect(budget.reserve(1, T0)).toEqual([T0 + 2_000]);
    // An hour later the share is full again: 19 at once, not 1,800.
    const later = T0 + 3_600_000;
    const slots = budget.reserve(20, later);
    expect(slots.filter((slot) => slot === later)).toHaveLength(19);
    expect(slots[19]).toBe(later + 2_000);
  });

  it('reserves nothing past `until`', () => {
    const budget = new AssociationBudget(10);
    expect(budget.reserve(100, T0, T0 + 10_000)).toHaveLength(19 + 5);
    // What was not reserved was not taken: the next slot follows the last one given.
    expect(budget.reserve(1, T0)).toEqual([T0 + 12_000]);
  });

  it('never lets ten environments, each at its slots, find EC2 bucket empty, however their storms overlap', () => {
    const ec2 = new TokenBucket(EC2_MUTATING_RATE, T0);
    const budgets = Array.from({ length: 10 }, () => new AssociationBudget(10));
    const calls: number[] = [];
    // Environment i gets its storm 7 s after environment i - 1, in rounds of 50 requests.
    budgets.forEach((budget, i) => {
      for (let round = 0; round < 4; round++) calls.push(...budget.reserve(50, T0 + i * 7_000 + round * 30_000));
    });
    calls.sort((a, b) => a - b);
    expect(calls.filter((at) => !ec2.tryTake(at))).toEqual([]);
    expect(calls).toHaveLength(2_000);
  });
});

describe('associations under a share of EC2 rate', () => {
  const ids = Array.from({ length: 25 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
  const actions: Action[] = ids.flatMap((instanceId): Action[] => [
    { kind: 'associate-profile', instanceId, profileName: 'fleetwatch', reason: 'no instance profile', detail: 'associate fleetwatch' },
    { kind: 'wait-for-registration', instanceId, nextLookSeconds: 125, reason: 'not reachable by SSM yet', detail: 'not registered with SSM' },
  ]);

  function recordingPorts() {
    const associated: string[] = [];
    const queued: { items: WorkItem[]; delaySeconds: number | undefined }[] = [];
    let now = T0;
    const ports = {
      clock: { now: () => now, sleep: async (ms: number) => void (now += ms) },
      ec2: { associateProfile: async (instanceId: string) => void associated.push(instanceId) },
      queue: { enqueue: async (items: WorkItem[], delaySeconds?: number) => void queued.push({ items, delaySeconds }) },
      state: { get: async () => undefined, put: async (record: object) => ({ ...record, revision: 1 }) },
    } as unknown as Ports;
    return { ports, associated, queued };
  }

  it('associates the share it holds; the rest go back holding their slots, ten to one delay, and wait no registration meanwhile', async () => {
    const { ports, associated, queued } = recordingPorts();
    // A share of 5.7 at once (60 x 95% / 10) then one slot per 2 s: 5 now, the sixth 0.6 s later
    // (waited for), the other 19 back on the queue.
    const outcomes = await execute(actions, ports, testSettings(), { associationBudget: new AssociationBudget(10, { capacity: 60, refillPerSecond: 5 }) });
    expect(associated).toEqual(ids.slice(0, 6));
    const back = queued.filter(({ items }) => items.some((item) => item.reason === 'association slot reserved'));
    expect(back.map(({ items, delaySeconds }) => [items.length, delaySeconds])).toEqual([
      [10, 21],
      [9, 39],
    ]);
    expect(back[0]!.items[0]).toEqual({ instanceId: ids[6], reason: 'association slot reserved', attempt: 0, associationSlot: T0 + 2_600 });
    // The six associated wait for registration; the 19 sent back do not.
    const waits = queued.filter(({ items }) => items.some((item) => item.reason === 'not reachable by SSM yet'));
    expect(waits.flatMap(({ items }) => items.map((item) => 'instanceId' in item && item.instanceId))).toEqual(ids.slice(0, 6));
    expect(outcomes.filter((outcome) => outcome.action.kind === 'associate-profile' && outcome.status === 'skipped')).toHaveLength(19);
  });

  it('associates an instance that comes back holding a due slot without taking another', async () => {
    const { ports, associated } = recordingPorts();
    const budget = new AssociationBudget(10);
    budget.reserve(1_000, T0, Infinity);
    await execute(actions.slice(0, 2), ports, testSettings(), { associationBudget: budget, reservedSlots: { [ids[0]!]: T0 - 1 } });
    expect(associated).toEqual([ids[0]]);
  });

  it('sends back unreserved what its share cannot take within the horizon, sooner than the horizon', async () => {
    const { ports, associated, queued } = recordingPorts();
    const budget = new AssociationBudget(10);
    budget.reserve(1_000, T0, T0 + RESERVE_HORIZON_MS);
    await execute(actions, ports, testSettings(), { associationBudget: budget, attempts: { [ids[0]!]: 1 } });
    expect(associated).toEqual([]);
    expect(queued.map(({ items, delaySeconds }) => [items.length, delaySeconds])).toEqual([
      [10, 40],
      // One enqueue per delay; the queue sends it ten to a SendMessageBatch, in order.
      [15, 20],
    ]);
    expect(queued[0]!.items[0]).toEqual({ instanceId: ids[0], reason: 'association rate taken', attempt: 2 });
  });

  it('reserves however far ahead for an instance sent back unreserved three times', async () => {
    const { ports, queued } = recordingPorts();
    const budget = new AssociationBudget(10);
    budget.reserve(1_000, T0, T0 + RESERVE_HORIZON_MS);
    await execute(actions.slice(0, 2), ports, testSettings(), { associationBudget: budget, attempts: { [ids[0]!]: 3 } });
    expect(queued).toEqual([
      { items: [{ instanceId: ids[0], reason: 'association slot reserved', attempt: 3, associationSlot: T0 + 122_000 }], delaySeconds: 122 },
    ]);
  });
});
