/**
 * One worker execution environment's share of EC2's AssociateIamInstanceProfile rate. EC2 admits
 * a mutating action from a bucket of 200 per account and region, refilled at 5 a second
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, "Request token bucket
 * sizes and refill rates", mutating actions). Up to `workerMaxConcurrency` worker environments
 * draw on that one bucket; each SDK client's own adaptive limiter learns of the others only by
 * being throttled, and in a launch storm a batch then waits inside the SDK for minutes, or fails
 * after six attempts, while the looks queued behind it wait too.
 *
 * So each environment reserves from its own bucket of 1/workerMaxConcurrency of EC2's: the sum of
 * the shares never holds more than EC2's bucket does (a share refills only while EC2's is not
 * full), so associations made no earlier than their reserved slots never find EC2's bucket empty.
 * A slot in the future is not waited for in the invocation: the instance goes back on the queue
 * with the delay to its slot and the slot itself (a reservation already taken from this
 * environment's share, so whichever environment receives it does not take another), or, beyond
 * the reservation horizon, without a slot.
 */
import type { AssociationSlots } from '../ports.js';

/** EC2's bucket for a mutating action (see above). */
export const EC2_MUTATING_RATE = { capacity: 200, refillPerSecond: 5 } as const;

/**
 * The burst is taken at 95%: the service's own sweep and whoever else in the account associates
 * profiles draw on the same bucket. The refill is taken whole: EC2's rate is the floor `npm run
 * bench` measures against, and what is late by a slot is only late, not throttled.
 */
const BURST_SHARE_TAKEN = 0.95;

/** A slot this close is waited for in the invocation rather than through the queue. */
export const SLOT_WAIT_MS = 2_000;

/**
 * How far ahead an environment reserves. Work does not spread evenly over the environments (a
 * batch slowed by a throttled describe leaves the storm to the others), and a share reserved far
 * ahead would hold instances for minutes while other shares sit full. Instances beyond the
 * horizon go back on the queue unreserved, to whichever environment has room when they return.
 */
export const RESERVE_HORIZON_MS = 120_000;

/**
 * A reservation bucket (the generic cell rate algorithm): `theoretical` is when the share would be
 * back to full had nothing been reserved since; a slot is due once the bucket holds a token then.
 */
export class AssociationBudget implements AssociationSlots {
  private readonly intervalMs: number;
  private readonly burstMs: number;
  private theoretical = -Infinity;

  constructor(workerMaxConcurrency: number, rate: { capacity: number; refillPerSecond: number } = EC2_MUTATING_RATE) {
    const capacity = Math.max(1, (rate.capacity * BURST_SHARE_TAKEN) / workerMaxConcurrency);
    this.intervalMs = (1000 * workerMaxConcurrency) / rate.refillPerSecond;
    this.burstMs = (capacity - 1) * this.intervalMs;
  }

  reserve(count: number, now: number, until = Infinity): number[] {
    const slots: number[] = [];
    while (slots.length < count) {
      const slot = Math.max(now, this.theoretical - this.burstMs);
      if (slot > until) break;
      this.theoretical = Math.max(this.theoretical, slot) + this.intervalMs;
      slots.push(slot);
    }
    return slots;
  }
}
