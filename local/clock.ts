/**
 * A virtual clock for the simulated account. lib/ only ever waits through Clock.sleep, so time
 * can jump: when every pending task is parked on the clock, nothing else can happen before the
 * earliest timer, and the clock moves straight to it. A 45-minute SSM registration window then
 * costs a few hundred event-loop turns, not 45 minutes.
 *
 * Idleness is detected with setImmediate: its callback runs only after the microtask queue is
 * empty, i.e. after every `await` that could still make progress has run. Work waiting on real
 * I/O (a file read, a socket) is invisible to this check; the simulated account does none.
 */
import type { Clock } from '../lib/clock.js';
import { TimerHeap, type Timer } from './timer-heap.js';

export interface VirtualClockOptions {
  /** Virtual epoch ms at construction. Default 2025-01-01T00:00:00Z, so runs are repeatable. */
  start?: number;
  /** Jump to the next timer whenever the process is idle. Default true; false for step-by-step tests. */
  autoAdvance?: boolean;
}

export interface TimerHandle {
  cancel(): void;
}

export const DEFAULT_EPOCH = Date.UTC(2025, 0, 1);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualClock implements Clock {
  private current: number;
  private readonly timers = new TimerHeap();
  private seq = 0;
  private auto: boolean;
  private idleCheckScheduled = false;
  /** advance() in progress: it alone moves time, up to its target. */
  private holds = 0;
  private idleWaiters: (() => void)[] = [];
  private stepCount = 0;

  constructor(options: VirtualClockOptions = {}) {
    this.current = options.start ?? DEFAULT_EPOCH;
    this.auto = options.autoAdvance ?? true;
  }

  now(): number {
    return this.current;
  }

  sleep = (ms: number): Promise<void> => new Promise((resolve) => void this.setTimer(ms, resolve));

  /** Calls fn when virtual time reaches now + ms, rounded up to whole ms (ms ≤ 0 or NaN: now, after what is due). */
  setTimer(ms: number, fn: () => void): TimerHandle {
    // Whole milliseconds, as setTimeout: a fractional delay added to an epoch-sized time can
    // round away and leave a waiting loop spinning at one instant forever.
    const delay = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
    const timer: Timer = { at: this.current + delay, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    this.scheduleIdleCheck();
    return { cancel: () => this.timers.cancel(timer) };
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** How many distinct instants the clock has stepped through (a cost measure for benchmarks). */
  get steps(): number {
    return this.stepCount;
  }

  get autoAdvance(): boolean {
    return this.auto;
  }

  setAutoAdvance(on: boolean): void {
    this.auto = on;
    this.scheduleIdleCheck();
  }

  /**
   * Moves time forward by ms, firing every timer due on the way in order and letting the work
   * each one wakes settle before the next. Resolves with time at exactly now + ms.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms);
    this.holds++;
    try {
      for (;;) {
        await nextTurn();
        if (!this.fireNext(target)) break;
      }
      this.current = Math.max(this.current, target);
    } finally {
      this.holds--;
      this.scheduleIdleCheck();
    }
  }

  /**
   * Resolves once no timer is left and nothing else is runnable. With autoAdvance off it drives
   * the clock itself. A task that sleeps in a loop forever makes this never resolve.
   */
  async runUntilIdle(): Promise<void> {
    if (this.auto) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.scheduleIdleCheck(true);
      });
      return;
    }
    for (;;) {
      await nextTurn();
      if (this.holds === 0 && !this.fireNext(Infinity)) return;
    }
  }

  /** Drops every timer: the tasks waiting on them never resume. For test teardown. */
  dispose(): void {
    this.timers.clear();
    this.auto = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private scheduleIdleCheck(force = false): void {
    if (this.idleCheckScheduled || !this.auto || this.holds > 0) return;
    if (!force && this.timers.size === 0 && this.idleWaiters.length === 0) return;
    this.idleCheckScheduled = true;
    setImmediate(this.onIdle);
  }

  private readonly onIdle = (): void => {
    this.idleCheckScheduled = false;
    if (!this.auto || this.holds > 0) return;
    if (this.fireNext(Infinity)) {
      this.scheduleIdleCheck();
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  /**
   * Fires every timer due at the earliest pending instant (if it is ≤ limit), one instant per
   * call: whatever those timers wake must run before a later instant is considered, since it may
   * set a timer that comes first.
   */
  private fireNext(limit: number): boolean {
    const first = this.timers.peek();
    if (!first || first.at > limit) return false;
    this.current = Math.max(this.current, first.at);
    this.stepCount++;
    for (let timer = this.timers.peek(); timer && timer.at <= this.current; timer = this.timers.peek()) {
      this.timers.pop();
      timer.fn();
    }
    return true;
  }
}
