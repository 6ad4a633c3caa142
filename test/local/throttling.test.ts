import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError, ThrottledError } from '../../lib/errors.js';
import { mapWithConcurrency } from '../../lib/support/concurrency.js';
import { SimulatedAccount } from '../../local/account.js';
import { TokenBucket } from '../../local/rate.js';

describe('token bucket', () => {
  it('allows the burst, then the refill rate', () => {
    const bucket = new TokenBucket({ capacity: 100, refillPerSecond: 20 }, 0);
    let granted = 0;
    for (let i = 0; i < 150; i++) if (bucket.tryTake(0)) granted++;
    expect(granted).toBe(100);
    expect(bucket.tryTake(49)).toBe(false);
    expect(bucket.tryTake(50)).toBe(true);
    expect(bucket.available(10_000)).toBe(100);
  });
});

describe('throttling with the SDK retries', () => {
  it('takes 2,000 CreateLogGroup calls at 5 TPS through in ≥ 399 s virtual, surfacing no throttling error', async () => {
    const sim = new SimulatedAccount({ latencyMs: 20 });
    const { logs } = sim.ports();
    const start = sim.clock.now();
    const realStart = performance.now();
    await mapWithConcurrency(
      Array.from({ length: 2000 }, (_, i) => `/fleetwatch/web/i-${i}`),
      10,
      (name) => logs.createLogGroup({ name, tags: {} }),
    );
    const elapsed = (sim.clock.now() - start) / 1000;
    // A full bucket of 5 goes at once; the other 1,995 need 399 s of refill at 5 per second.
    expect(elapsed).toBeGreaterThanOrEqual(399);
    expect(elapsed).toBeLessThan(480);
    const stats = sim.stats();
    expect(stats.calls.CreateLogGroup).toBe(2000);
    expect(stats.throttlingErrors).toEqual({});
    expect(stats.logGroups).toBe(2000);
    expect(performance.now() - realStart).toBeLessThan(5000);
  });

  it('surfaces ThrottledError with the SDK default retry (standard, 3 attempts) under the same load', async () => {
    const sim = new SimulatedAccount({ retry: { mode: 'standard', maxAttempts: 3 } });
    const { logs } = sim.ports();
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => logs.createLogGroup({ name: `/g/${i}`, tags: {} })));
    const throttled = results.filter((r) => r.status === 'rejected' && r.reason instanceof ThrottledError);
    expect(throttled.length).toBeGreaterThan(0);
    expect(sim.stats().throttlingErrors.CreateLogGroup).toBe(throttled.length);
    expect(sim.stats().throttled.CreateLogGroup).toBeGreaterThan(throttled.length);
  });

  it('gives DescribeInstances a burst of 100 and 20 per second after', async () => {
    const sim = new SimulatedAccount({ latencyMs: 0, retry: { ec2: { mode: 'standard', maxAttempts: 1 } } });
    const { ec2 } = sim.ports();
    const first = await Promise.allSettled(Array.from({ length: 120 }, () => ec2.describeInstances(['i-x'])));
    expect(first.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    await sim.clock.sleep(1000);
    const second = await Promise.allSettled(Array.from({ length: 30 }, () => ec2.describeInstances(['i-x'])));
    expect(second.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    expect(sim.stats().throttlingErrors.DescribeInstances).toBe(30);
  });

  it('injects faults with a seeded PRNG, repeatably', async () => {
    const run = async () => {
      const sim = new SimulatedAccount({ seed: 7, faults: { GetItem: { throttle: 0.05, unavailable: 0.05 } } });
      const { state } = sim.ports();
      const outcomes = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => state.get(`i-${i}`)));
      return outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : o.reason instanceof ThrottledError ? 'T' : o.reason instanceof ServiceUnavailableError ? 'U' : '?'));
    };
    const a = await run();
    expect(a.filter((x) => x === 'T').length).toBeGreaterThan(5);
    expect(a.filter((x) => x === 'U').length).toBeGreaterThan(5);
    expect(a).not.toContain('?');
    expect(await run()).toEqual(a);
  });
});
