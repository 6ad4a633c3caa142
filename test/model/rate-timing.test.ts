/** SendCommand's rate control as SSM reads it, and the service's backoffs. */
import { describe, expect, it } from 'vitest';
import { allowedErrorsFor, concurrencyFor } from '../../lib/model/rate.js';
import { registrationDelaySeconds, registrationLookDelaySeconds, retryDelaySeconds } from '../../lib/model/timing.js';

describe('rate control', () => {
  it.each([
    ['10%', 1_000, 100],
    ['10%', 5, 1], // rounds up: at least one target runs
    ['1%', 150, 2],
    ['25', 1_000, 25], // a plain count, not a percentage
    ['25', 10, 25],
    ['0', 10, 1],
  ])('concurrency %s of %i is %i', (rate, total, expected) => expect(concurrencyFor(rate, total)).toBe(expected));

  it.each([
    ['5%', 1_000, 50],
    ['5%', 10, 0], // rounds down: 5% of 10 allows no error
    ['5%', 39, 1],
    ['25', 1_000, 25],
    ['0', 1_000, 0],
  ])('allowed errors %s of %i is %i', (rate, total, expected) => expect(allowedErrorsFor(rate, total)).toBe(expected));
});

describe('backoffs', () => {
  it('retries a failed command after 60 s doubling, at most 900 s', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(retryDelaySeconds)).toEqual([60, 60, 120, 240, 480, 900, 900]);
  });

  it('looks at a waiting instance when registration is due, then every 15 s for two minutes, then backs off to 300 s', () => {
    const after = (seconds: number) => registrationLookDelaySeconds(seconds * 1000);
    expect([0, 100, 118, 125, 200, 244].map(after)).toEqual([125, 25, 15, 15, 15, 15]);
    expect([245, 325, 725, 5_000].map(after)).toEqual([60, 100, 300, 300]);
  });

  it('tries again an instance SSM refused a command for after 30 s doubling, at most 300 s', () => {
    expect([0, 1, 2, 3, 4, 20].map(registrationDelaySeconds)).toEqual([30, 60, 120, 240, 300, 300]);
  });
});
