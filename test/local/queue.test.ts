import { workItemTarget } from '../../lib/ports.js';
import { describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/account.js';
import type { QueueMessage } from '../../local/world/queue.js';

describe('work queue', () => {
  it('clamps delays to SQS 900 s and delivers each item at its due time', async () => {
    const sim = new SimulatedAccount();
    const { queue } = sim.ports();
    const start = sim.clock.now();
    await queue.enqueue([{ instanceId: 'i-late', reason: 'wait', attempt: 3 }], 3600);
    await queue.enqueue([{ instanceId: 'i-soon', reason: 'now', attempt: 0 }], 60);
    expect(sim.queue.sent.map((m) => m.delaySeconds)).toEqual([900, 60]);
    const seen: [string, number][] = [];
    await sim.drain((batch) => {
      for (const message of batch) seen.push([workItemTarget(message.body), (sim.clock.now() - start) / 1000]);
    });
    expect(seen.map(([id]) => id)).toEqual(['i-soon', 'i-late']);
    expect(seen[0]![1]).toBeGreaterThanOrEqual(60);
    expect(seen[1]![1]).toBeGreaterThanOrEqual(900);
    expect(sim.stats().queued).toBe(0);
  });

  it('redelivers failed messages after the visibility timeout and dead-letters them after maxReceiveCount', async () => {
    const sim = new SimulatedAccount();
    await sim.ports().queue.enqueue([
      { instanceId: 'i-ok', reason: 'r', attempt: 0 },
      { instanceId: 'i-bad', reason: 'r', attempt: 0 },
    ]);
    const receives: QueueMessage[] = [];
    await sim.drain(
      (batch) => {
        receives.push(...batch);
        return batch.filter((m) => workItemTarget(m.body) === 'i-bad').map((m) => m.messageId);
      },
      { maxReceiveCount: 3 },
    );
    expect(receives.filter((m) => workItemTarget(m.body) === 'i-bad').map((m) => m.receiveCount)).toEqual([1, 2, 3]);
    expect(sim.queue.deadLetters.map((m) => workItemTarget(m.body))).toEqual(['i-bad']);
  });
});
