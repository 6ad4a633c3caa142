/**
 * Every delay, window, lease and grace period of the service, in one place, with why it is what
 * it is. Per-stage durations (the registration window, the command lease) are settings; these are
 * the service's own.
 */

export const MINUTE_MS = 60_000;

/** A (re)configured agent gets this long to show up in ListMetrics before it counts as silent. */
export const REPORTING_GRACE_MS = 15 * MINUTE_MS;

/** ListMetrics RecentlyActive looks back 3 hours (the only window it offers); the log check uses the same. */
export const REPORTING_WINDOW_MS = 3 * 60 * MINUTE_MS;

/** Clocks of Lambda and SSM agree far closer than this; a claim is taken before its SendCommand. */
export const CLOCK_SKEW_MS = 1_000;

/**
 * When the follow-up of a SendCommand looks at its outcome: SQS's longest delay. An outcome event
 * normally settles the record within a minute or two, and then the check costs one BatchGetItem
 * per ten instances; when the event was lost, the check asks SSM. The sweep is the safety net
 * behind it, but runs hours apart.
 */
export const OUTCOME_CHECK_DELAY_SECONDS = 900;

/** Checks a look takes at a command still running before it leaves the rest to the lease and the sweep. */
export const MAX_OUTCOME_CHECKS = 8;

/** EC2 answers "Invalid IAM Instance Profile name" for some seconds after a profile is created. */
export const IAM_PROPAGATION_RETRY_DELAYS_MS: readonly number[] = [2_000, 5_000, 10_000];

/** How long a warm worker trusts a log group it saw as it should be (see known-log-groups.ts). */
export const KNOWN_LOG_GROUP_TTL_MS = 5 * MINUTE_MS;

/** Delay before retrying a failed command: 60 s doubling, within SQS's 900 s per message. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(900, 60 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Delay before the next look at an instance waiting for SSM: 30 s doubling, capped at 300 s.
 * SQS allows 900 s, but a 5-minute cap bounds the lag between registration and configure, and a
 * 45-minute window still costs at most about a dozen receives per instance.
 */
export function registrationDelaySeconds(attempt: number): number {
  return Math.min(300, 30 * 2 ** Math.min(attempt, 10));
}
