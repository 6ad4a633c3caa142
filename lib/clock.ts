/**
 * Time as a dependency. lib/ never calls Date.now() or setTimeout directly, so the simulated
 * account can run a 45-minute SSM registration window on a virtual clock in milliseconds.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
