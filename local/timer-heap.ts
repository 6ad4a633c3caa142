/**
 * A binary min-heap of timers ordered by (due time, insertion order), so that timers due at the
 * same virtual instant fire in the order they were set, as setTimeout does for equal delays.
 */
export interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class TimerHeap {
  private readonly items: Timer[] = [];
  private live = 0;

  /** Timers not yet fired nor cancelled. */
  get size(): number {
    return this.live;
  }

  push(timer: Timer): void {
    const items = this.items;
    items.push(timer);
    this.live++;
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  cancel(timer: Timer): void {
    if (timer.cancelled) return;
    timer.cancelled = true;
    this.live--;
  }

  /** The earliest live timer, dropping cancelled ones on the way. */
  peek(): Timer | undefined {
    while (this.items.length && this.items[0]!.cancelled) this.removeTop();
    return this.items[0];
  }

  pop(): Timer | undefined {
    const top = this.peek();
    if (!top) return undefined;
    this.removeTop();
    this.live--;
    // Marked so that a late cancel() of a fired timer does not miscount.
    top.cancelled = true;
    return top;
  }

  clear(): void {
    this.items.length = 0;
    this.live = 0;
  }

  private removeTop(): void {
    const items = this.items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
      if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
      if (smallest === i) return;
      [items[i], items[smallest]] = [items[smallest]!, items[i]!];
      i = smallest;
    }
  }
}
