import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.js';

const MINUTE = 60_000;

describe('VirtualClock', () => {
  it('finishes a 45-minute sleep in (real) milliseconds, at exactly 45 virtual minutes', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const realStart = performance.now();
    await clock.sleep(45 * MINUTE);
    expect(clock.now() - start).toBe(45 * MINUTE);
    expect(performance.now() - realStart).toBeLessThan(500);
  });

  it('fires timers in due order, equal times in the order they were set', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    const wait = (name: string, ms: number) => clock.sleep(ms).then(() => order.push(`${name}@${ms}`));
    await Promise.all([wait('c', 300), wait('a', 100), wait('b1', 200), wait('b2', 200), wait('z', 0)]);
    expect(order).toEqual(['z@0', 'a@100', 'b1@200', 'b2@200', 'c@300']);
  });

  it('lets the work a timer wakes run before a later timer fires', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const seen: [string, number][] = [];
    const poller = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1000);
        seen.push(['poll', clock.now() - start]);
      }
    })();
    const chain = (async () => {
      await clock.sleep(1500);
      // Set only after 1500 ms: must still come before the poller's 3000 ms tick.
      await clock.sleep(1000);
      seen.push(['chain', clock.now() - start]);
    })();
    await Promise.all([poller, chain]);
    expect(seen).toEqual([
      ['poll', 1000],
      ['poll', 2000],
      ['chain', 2500],
      ['poll', 3000],
    ]);
  });

  it('runs thousands of concurrent sleepers quickly', async () => {
    const clock = new VirtualClock();
    const realStart = performance.now();
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => clock.sleep((i % 100) * 1000)));
    expect(clock.now()).toBeGreaterThan(0);
    expect(performance.now() - realStart).toBeLessThan(2000);
  });

  it('with autoAdvance off, moves only on advance() and runUntilIdle()', async () => {
    const clock = new VirtualClock({ autoAdvance: false, start: 0 });
    const fired: number[] = [];
    clock.setTimer(1000, () => fired.push(1000));
    clock.setTimer(5000, () => fired.push(5000));
    const cancelled = clock.setTimer(3000, () => fired.push(3000));
    cancelled.cancel();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fired).toEqual([]);
    await clock.advance(2000);
    expect(fired).toEqual([1000]);
    expect(clock.now()).toBe(2000);
    expect(clock.pending).toBe(1);
    await clock.runUntilIdle();
    expect(fired).toEqual([1000, 5000]);
    expect(clock.now()).toBe(5000);
  });

  it('runUntilIdle waits for everything scheduled on the clock', async () => {
    const clock = new VirtualClock({ start: 0 });
    let done = false;
    void (async () => {
      await clock.sleep(10 * MINUTE);
      await clock.sleep(10 * MINUTE);
      done = true;
    })();
    await clock.runUntilIdle();
    expect(done).toBe(true);
    expect(clock.now()).toBe(20 * MINUTE);
  });
});
