/**
 * The AWS SDK's client-side rate limiter for retryMode 'adaptive', run on virtual time: the very
 * DefaultRateLimiter the installed SDK clients use (@smithy/core/retry, util-retry/
 * DefaultRateLimiter.js), not a copy, so an SDK upgrade that changes it changes the simulated
 * account and the bench with it. After the first throttle it sends through its own token
 * bucket, cutting its rate to 70% of the measured send rate on each throttle (CUBIC) and growing
 * it back on success. It belongs to one SDK client, so every operation of that client slows
 * down together.
 *
 * The limiter reads the time from its getCurrentTimeInSeconds() and waits for tokens in its
 * acquireTokenBucket(), which sleeps through a process-wide setTimeout. A subclass answers the
 * first from the virtual clock and runs the second's loop on it: that loop (refill, sleep for the
 * missing tokens at the fill rate, take) is the one piece written here, and
 * test/local/adaptive.test.ts holds it to the SDK's behaviour on the same script of sends and
 * throttles.
 */
import { DefaultRateLimiter } from '@smithy/core/retry';
import type { VirtualClock } from './clock.js';

/** The limiter's private members the virtual-time loop uses (TypeScript-private only). */
interface BucketState {
  enabled: boolean;
  availableTokens: number;
  fillRate: number;
  refillTokenBucket(): void;
}
type LimiterApi = Pick<DefaultRateLimiter, 'getSendToken' | 'updateClientSendingRate'>;

for (const member of ['getCurrentTimeInSeconds', 'acquireTokenBucket', 'refillTokenBucket']) {
  if (typeof (DefaultRateLimiter.prototype as unknown as Record<string, unknown>)[member] !== 'function') {
    throw new Error(`The installed SDK's DefaultRateLimiter has no ${member}(): local/adaptive.ts must follow its new shape.`);
  }
}

// Typed as a plain constructor: TypeScript would not let a subclass declare members the base
// declares private, though at run time they are ordinary methods.
const Base = DefaultRateLimiter as unknown as new () => LimiterApi;

/** The SDK limiter on a virtual clock. A class per clock: the base constructor reads the time before a field could be set. */
function virtualLimiter(clock: VirtualClock): LimiterApi {
  return new (class extends Base {
    getCurrentTimeInSeconds(): number {
      return clock.now() / 1000;
    }

    async acquireTokenBucket(amount: number): Promise<void> {
      const bucket = this as unknown as BucketState;
      if (!bucket.enabled) return;
      bucket.refillTokenBucket();
      while (amount > bucket.availableTokens) {
        await clock.sleep(((amount - bucket.availableTokens) / bucket.fillRate) * 1000);
        bucket.refillTokenBucket();
      }
      bucket.availableTokens -= amount;
    }
  })();
}

export class AdaptiveRateLimiter {
  private readonly limiter: LimiterApi;

  constructor(clock: VirtualClock) {
    this.limiter = virtualLimiter(clock);
  }

  /** Waits for a send token (no wait until the client has been throttled once). */
  acquire(): Promise<void> {
    return this.limiter.getSendToken();
  }

  /** After every response: throttled or not (what the SDK's adaptive retry strategy tells its limiter). */
  update(throttled: boolean): void {
    this.limiter.updateClientSendingRate(throttled ? { errorType: 'THROTTLING' } : {});
  }
}
