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
 * How long after its profile is associated an instance becomes reachable by Run Command: the
 * association settles (EC2 associating -> associated, about 2 s) and the SSM agent, retrying for
 * credentials after 2^n s (aws/amazon-ssm-agent core/app/credentialrefresher), connects with the
 * profile's. The simulated account models it as 2 s + 120 s (SimulatedAccount's
 * registrationDelayMs, as `npm run bench` runs it); the first look goes 3 s after that.
 */
export const REGISTRATION_DUE_SECONDS = 125;

/** Once registration is due, looks this often for this long: registration is noticed within 15 s. */
export const REGISTRATION_CADENCE_SECONDS = 15;
export const REGISTRATION_CADENCE_WINDOW_SECONDS = 120;

/** After the cadence window, looks back off to this cap: 45 min of waiting costs about a dozen looks. */
export const REGISTRATION_BACKOFF_CAP_SECONDS = 300;

/**
 * Delay before the next look at an instance waiting for SSM, from when its wait began (its profile
 * associated by this plan, or the record's waitingSince): the first look when registration is due,
 * then every 15 s for two minutes, then half the time waited past due (at least 30 s, at most
 * 300 s). Looking on a fixed ladder instead (30, 60, 120 s) found most instances a minute or more
 * after they registered.
 */
export function registrationLookDelaySeconds(waitingForMs: number): number {
  const waited = Math.max(0, waitingForMs) / 1000;
  const pastDue = waited - REGISTRATION_DUE_SECONDS;
  if (pastDue < 0) return Math.max(REGISTRATION_CADENCE_SECONDS, Math.ceil(-pastDue));
  if (pastDue < REGISTRATION_CADENCE_WINDOW_SECONDS) return REGISTRATION_CADENCE_SECONDS;
  return Math.min(REGISTRATION_BACKOFF_CAP_SECONDS, Math.max(30, Math.ceil(pastDue / 2)));
}

/**
 * Delay before trying again an instance SSM refused a command for although it showed Online (its
 * registration is settling): 30 s doubling, capped at 300 s, by the work item's attempt.
 */
export function registrationDelaySeconds(attempt: number): number {
  return Math.min(300, 30 * 2 ** Math.min(attempt, 10));
}

/**
 * Delay before associating again a profile EC2 throttled (its bucket of 200 refills at 5 a
 * second, so a storm of n launches needs about n / 5 s): 20 s doubling, capped at 300 s, with
 * the work item's attempt. The instance waits on the queue, not in a worker holding a batch.
 */
export function throttledAssociationDelaySeconds(attempt: number): number {
  return Math.min(300, 20 * 2 ** Math.min(attempt, 10));
}

/**
 * How often an org-wide rollout looks at the rollouts of the account-regions it reached while they
 * run: one BatchGetItem and one write a minute, whatever the organization's size. A cell's own
 * rollout moves on by its outcomes; this only decides when the next share of cells starts, and a
 * minute is small next to a wave's command time.
 */
export const ORG_ROLLOUT_POLL_SECONDS = 60;

/**
 * A reached account-region whose own rollout has not moved (no wave, no outcome) for this long no
 * longer holds the org-wide rollout's next step: one broken or throttled member must not stall the
 * organization. A healthy cell's rollout moves with every outcome, minutes apart at most. It still
 * counts toward the threshold, and a rollback still reaches it.
 */
export const ORG_CELL_STALL_MS = 30 * MINUTE_MS;

/**
 * A member account-region the hub could not reach (its stack missing, its role refusing, its API
 * throttling past the SDK's retries): its work items come back after SQS's longest delay, at most
 * this many times, then are dropped with a log line and a count. A missing stack does not appear
 * within seconds, so redelivering at the queue's visibility timeout would be a storm of
 * AssumeRoles that all fail; and the items are derived state: the next scheduled reconcile finds
 * the cell's instances again once it is reachable.
 */
export const MEMBER_UNREACHABLE_RETRY_SECONDS = 900;
export const MEMBER_UNREACHABLE_ATTEMPTS = 3;
