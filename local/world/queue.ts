/**
 * The SQS work queue, with delays and a dead-letter queue. A message becomes receivable at
 * enqueue time + DelaySeconds (at most 900 s); a message whose handler fails comes back after
 * the visibility timeout and moves to the DLQ after maxReceiveCount receives (the redrive policy).
 */
import type { WorkItem } from '../../lib/ports.js';
import type { VirtualClock } from '../clock.js';
import { MinHeap } from '../heap.js';
import { LIMITS } from '../operations.js';

export interface QueueMessage {
  messageId: string;
  body: WorkItem;
  enqueuedAt: number;
  /** When the message becomes (again) receivable. */
  dueAt: number;
  delaySeconds: number;
  receiveCount: number;
}

/** A message's place in the due-time order; stale once the message's dueAt moved on. */
interface DueEntry {
  dueAt: number;
  seq: number;
  messageId: string;
}

export interface DrainOptions {
  /** Messages handed to the handler at once (the Lambda event source batch size). Default 10. */
  batchSize?: number;
  /** Default 30 s (SQS default visibility timeout). */
  visibilityTimeoutMs?: number;
  /** Receives after which a failing message goes to the DLQ. Default 5. */
  maxReceiveCount?: number;
  /** Stop once virtual time passes this (absolute ms). Default: run until the queue is empty. */
  until?: number;
}

/**
 * A batch handler returns the ids of messages that failed (SQS partial batch response); throwing
 * fails the whole batch.
 */
export type BatchHandler = (messages: QueueMessage[]) => Promise<string[] | void> | string[] | void;

/** The SQS delay a message gets: whole seconds, 0 to 900. */
export function clampDelaySeconds(delaySeconds: number | undefined): number {
  if (delaySeconds === undefined || !Number.isFinite(delaySeconds)) return 0;
  return Math.min(LIMITS.maxDelaySeconds, Math.max(0, Math.round(delaySeconds)));
}

export class QueueWorld {
  /** Messages not yet deleted, by id. */
  readonly messages = new Map<string, QueueMessage>();
  readonly deadLetters: QueueMessage[] = [];
  /** Every message ever sent, in order (for assertions on what was enqueued and with what delay). */
  readonly sent: QueueMessage[] = [];
  private counter = 0;
  private seq = 0;
  private readonly sendListeners = new Set<() => void>();
  private readonly due = new MinHeap<DueEntry>((a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq));

  constructor(private readonly clock: VirtualClock) {}

  send(item: WorkItem, delaySeconds: number | undefined): QueueMessage {
    const delay = clampDelaySeconds(delaySeconds);
    const now = this.clock.now();
    const message: QueueMessage = {
      messageId: `msg-${++this.counter}`,
      body: { ...item },
      enqueuedAt: now,
      dueAt: now + delay * 1000,
      delaySeconds: delay,
      receiveCount: 0,
    };
    this.messages.set(message.messageId, message);
    this.sent.push({ ...message });
    this.schedule(message);
    for (const listener of this.sendListeners) listener();
    return message;
  }

  /** Calls `listener` after every send (the simulated stack wakes its idle pollers); returns the unsubscribe. */
  onSend(listener: () => void): () => void {
    this.sendListeners.add(listener);
    return () => this.sendListeners.delete(listener);
  }

  /** Messages receivable now, oldest due first; each becomes invisible for the visibility timeout. */
  receiveDue(max = 10, visibilityTimeoutMs = 30_000): QueueMessage[] {
    const now = this.clock.now();
    const taken: QueueMessage[] = [];
    while (taken.length < max) {
      const message = this.peekLive();
      if (!message || message.dueAt > now) break;
      this.due.pop();
      message.receiveCount++;
      message.dueAt = now + visibilityTimeoutMs;
      this.schedule(message);
      taken.push({ ...message, body: { ...message.body } });
    }
    return taken;
  }

  /** DeleteMessage: the handler is done with it. */
  delete(messageId: string): void {
    this.messages.delete(messageId);
  }

  /** The message failed: it is receivable again after its visibility timeout, or goes to the DLQ. */
  fail(messageId: string, maxReceiveCount: number): void {
    const message = this.messages.get(messageId);
    if (!message) return;
    if (message.receiveCount >= maxReceiveCount) {
      this.messages.delete(messageId);
      this.deadLetters.push(message);
    }
  }

  /** The earliest time a message becomes receivable, or undefined when the queue is empty. */
  nextDue(): number | undefined {
    return this.peekLive()?.dueAt;
  }

  private schedule(message: QueueMessage): void {
    this.due.push({ dueAt: message.dueAt, seq: this.seq++, messageId: message.messageId });
  }

  /** The earliest live message, dropping entries of deleted messages or superseded due times. */
  private peekLive(): QueueMessage | undefined {
    for (let entry = this.due.peek(); entry; entry = this.due.peek()) {
      const message = this.messages.get(entry.messageId);
      if (message && message.dueAt === entry.dueAt) return message;
      this.due.pop();
    }
    return undefined;
  }

  /**
   * Runs the handler, as the Lambda event source mapping would, until the queue is empty (or
   * `until`), sleeping on the virtual clock while the next message is delayed. Returns how many
   * batches it handled.
   */
  async drain(handler: BatchHandler, options: DrainOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 10;
    const visibility = options.visibilityTimeoutMs ?? 30_000;
    const maxReceives = options.maxReceiveCount ?? 5;
    let batches = 0;
    for (;;) {
      const next = this.nextDue();
      if (next === undefined) return batches;
      if (options.until !== undefined && next > options.until) return batches;
      const now = this.clock.now();
      if (next > now) {
        await this.clock.sleep(next - now);
        continue;
      }
      const batch = this.receiveDue(batchSize, visibility);
      batches++;
      let failed: Set<string>;
      try {
        failed = new Set((await handler(batch)) ?? []);
      } catch {
        failed = new Set(batch.map((message) => message.messageId));
      }
      for (const message of batch) {
        if (failed.has(message.messageId)) this.fail(message.messageId, maxReceives);
        else this.delete(message.messageId);
      }
    }
  }
}
