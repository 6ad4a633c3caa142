/**
 * A binary min-heap of timers ordered by (due time, insertion order), so that timers due at the
 * same virtual instant fire in the order they were set, as setTimeout does for equal delays.
 */
import { MinHeap } from './heap.js';

export interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Timers over a MinHeap, with lazy cancellation: a cancelled timer is dropped when it reaches the top. */
export class TimerHeap {
  private heap = new MinHeap<Timer>(before);
  private live = 0;

  /** Timers not yet fired nor cancelled. */
  get size(): number {
    return this.live;
  }

  push(timer: Timer): void {
    this.heap.push(timer);
    this.live++;
  }

  cancel(timer: Timer): void {
    if (timer.cancelled) return;
    timer.cancelled = true;
    this.live--;
  }

  /** The earliest live timer, dropping cancelled ones on the way. */
  peek(): Timer | undefined {
    while (this.heap.peek()?.cancelled) this.heap.pop();
    return this.heap.peek();
  }

  pop(): Timer | undefined {
    const top = this.peek();
    if (!top) return undefined;
    this.heap.pop();
    this.live--;
    // Marked so that a late cancel() of a fired timer does not miscount.
    top.cancelled = true;
    return top;
  }

  clear(): void {
    this.heap = new MinHeap<Timer>(before);
    this.live = 0;
  }
}
