/**
 * The AWS SDK's client-side rate limiter for retryMode 'adaptive' (@smithy/core util-retry
 * DefaultRateLimiter), on virtual time. After the first throttle it sends through its own token
 * bucket, cutting its rate to 70% of the measured send rate on each throttle (CUBIC) and growing
 * it back on success. It belongs to one SDK client, so every operation of that client slows
 * down together.
 */
import type { VirtualClock } from './clock.js';

const BETA = 0.7;
const MIN_CAPACITY = 1;
const MIN_FILL_RATE = 0.5;
const SCALE_CONSTANT = 0.4;
const SMOOTH = 0.8;

const precise = (value: number): number => parseFloat(value.toFixed(8));

export class AdaptiveRateLimiter {
  private enabled = false;
  private availableTokens = 0;
  private lastMaxRate = 0;
  private measuredTxRate = 0;
  private requestCount = 0;
  private fillRate = MIN_FILL_RATE;
  private maxCapacity = MIN_CAPACITY;
  private lastThrottleTime: number;
  private lastTimestamp = 0;
  private lastTxRateBucket: number;
  private timeWindow = 0;

  constructor(private readonly clock: VirtualClock) {
    this.lastThrottleTime = this.seconds();
    this.lastTxRateBucket = Math.floor(this.seconds());
  }

  /** Waits for a send token (no wait until the client has been throttled once). */
  async acquire(): Promise<void> {
    if (!this.enabled) return;
    this.refill();
    while (this.availableTokens < 1) {
      await this.clock.sleep(((1 - this.availableTokens) / this.fillRate) * 1000);
      this.refill();
    }
    this.availableTokens -= 1;
  }

  /** After every response: throttled or not. */
  update(throttled: boolean): void {
    this.updateMeasuredRate();
    let rate: number;
    if (throttled) {
      const rateToUse = this.enabled ? Math.min(this.measuredTxRate, this.fillRate) : this.measuredTxRate;
      this.lastMaxRate = rateToUse;
      this.calculateTimeWindow();
      this.lastThrottleTime = this.seconds();
      rate = precise(rateToUse * BETA);
      this.enabled = true;
    } else {
      this.calculateTimeWindow();
      rate = precise(SCALE_CONSTANT * Math.pow(this.seconds() - this.lastThrottleTime - this.timeWindow, 3) + this.lastMaxRate);
    }
    const newRate = Math.min(rate, 2 * this.measuredTxRate);
    this.refill();
    this.fillRate = Math.max(newRate, MIN_FILL_RATE);
    this.maxCapacity = Math.max(newRate, MIN_CAPACITY);
    this.availableTokens = Math.min(this.availableTokens, this.maxCapacity);
  }

  private seconds(): number {
    return this.clock.now() / 1000;
  }

  private refill(): void {
    const timestamp = this.seconds();
    if (!this.lastTimestamp) {
      this.lastTimestamp = timestamp;
      return;
    }
    this.availableTokens = Math.min(this.maxCapacity, this.availableTokens + (timestamp - this.lastTimestamp) * this.fillRate);
    this.lastTimestamp = timestamp;
  }

  private calculateTimeWindow(): void {
    this.timeWindow = precise(Math.pow((this.lastMaxRate * (1 - BETA)) / SCALE_CONSTANT, 1 / 3));
  }

  private updateMeasuredRate(): void {
    const t = this.seconds();
    const bucket = Math.floor(t * 2) / 2;
    this.requestCount++;
    if (bucket > this.lastTxRateBucket) {
      const currentRate = this.requestCount / (bucket - this.lastTxRateBucket);
      this.measuredTxRate = precise(currentRate * SMOOTH + this.measuredTxRate * (1 - SMOOTH));
      this.requestCount = 0;
      this.lastTxRateBucket = bucket;
    }
  }
}
