/**
 * Sections 2 and 3: n new instances launched at once with the selector tag after the deploy,
 * onboarded by their running events alone (rules connected, worker draining the queue). Measured:
 * the time from the running event to the agent configured, against each instance's own floor;
 * throttling errors surfaced; control-plane and data-plane calls per instance, by operation; and
 * what onboarding cost, from bench/prices.ts.
 */
import { PLANE_OF, SERVICE_OF, type Plane } from '../local/calls.js';
import { DEFAULT_RATES, type Operation, type SimulatedAccount } from '../local/index.js';
import { costOf, describeCost, totalUsd, type CostLine } from './cost.js';
import { against, fmt, type Row, type Section } from './report.js';
import { benchStack, LATENCY_MS, MINUTE, percentile, sum } from './fleet.js';

const REGISTRATION_DELAY_MS = 2 * MINUTE;
/** SendCommand to InProgress, and InProgress to Success: the simulated command's own time. */
const COMMAND_TIMING = { deliveryDelayMs: 2_000, durationMs: 30_000 };
/** The simulated account's association settle time (associating -> associated), SimulatedAccount's default. */
const ASSOCIATION_SETTLE_MS = 2_000;
/** Log group creation and its retention are one-off per log group, not per instance: counted apart. */
const LOG_GROUP_WRITES: Operation[] = ['CreateLogGroup', 'PutRetentionPolicy'];
/** The targets. */
const TARGETS = { controlCalls: 1.5, dataCalls: 6, p50: 1.15, p95: 1.5 };

export interface OnboardingResult {
  n: number;
  configured: number;
  calls: Partial<Record<Operation, number>>;
  throttled: Partial<Record<Operation, number>>;
  throttlingErrors: number;
  throttlingErrorsByOperation: Partial<Record<Operation, number>>;
  /** Per instance, in launch order: running event to configured, and its own floor (ms). */
  times: number[];
  floors: number[];
  /** Per instance: registered (SSM) to configured (ms); the command's own time is part of it. */
  registeredToConfigured: number[];
  /** Per instance: how much later than its slot in EC2's association rate its association was made (ms). */
  associationLag: number[];
  workItems: number;
  cost: CostLine[];
  realMs: number;
}

/**
 * EC2 admits AssociateIamInstanceProfile from a bucket of 200, refilled at 5 a second: the k-th
 * association (0-based) of a storm cannot happen before max(0, k - 199) / 5 seconds.
 */
function associationSlotMs(k: number): number {
  const { capacity, refillPerSecond } = DEFAULT_RATES.AssociateIamInstanceProfile;
  return (Math.max(0, k + 1 - capacity) / refillPerSecond) * 1000;
}

/** The order in which each instance's managed profile was associated (the simulated account numbers associations). */
function associationRank(account: SimulatedAccount, ids: string[]): Map<string, number> {
  const order = ids
    .map((id) => ({ id, seq: parseInt(account.ec2.activeAssociationOf(id)?.associationId.replace(/^iip-assoc-/, '') ?? 'Infinity', 16) }))
    .sort((a, b) => a.seq - b.seq);
  return new Map(order.map(({ id }, rank) => [id, rank]));
}

export async function onboard(n: number): Promise<OnboardingResult> {
  const { account, stack } = benchStack({ seed: 9, registrationDelayMs: REGISTRATION_DELAY_MS });
  // The deploy's parameter events start (empty) rollouts: let them finish before counting.
  await stack.settle();
  account.resetCalls();
  stack.invocations.length = 0;
  const eventsBefore = account.events.published.length;
  const { settings } = stack;
  const configs = settings.configNames;
  const launchedAt = account.clock.now();
  const realStart = performance.now();
  const ids = account.launchFleet(n, (i) => ({
    tags: { Name: `new-${i}`, [settings.selectorTagKey]: configs[i % configs.length]! },
    platform: configs[i % configs.length] === 'windows' ? 'windows' : 'linux',
  }));
  await stack.settle();
  const realMs = performance.now() - realStart;

  const stats = account.stats();
  const rank = associationRank(account, ids);
  const fixedMs = ASSOCIATION_SETTLE_MS + REGISTRATION_DELAY_MS + COMMAND_TIMING.deliveryDelayMs + COMMAND_TIMING.durationMs;
  const configuredAt = (id: string) => account.agent(id).configuredAt ?? Infinity;
  const registeredAt = (id: string) => account.registration.registered.get(id)?.registeredAt ?? Infinity;
  return {
    n,
    configured: ids.filter((id) => Number.isFinite(configuredAt(id))).length,
    calls: stats.calls,
    throttled: stats.throttled,
    throttlingErrors: sum(stats.throttlingErrors),
    throttlingErrorsByOperation: stats.throttlingErrors,
    times: ids.map((id) => configuredAt(id) - launchedAt),
    floors: ids.map((id) => associationSlotMs(rank.get(id) ?? n) + fixedMs),
    registeredToConfigured: ids.map((id) => configuredAt(id) - registeredAt(id)),
    // Registration comes a fixed settle + delay after the AssociateIamInstanceProfile call.
    associationLag: ids.map((id) => registeredAt(id) - ASSOCIATION_SETTLE_MS - REGISTRATION_DELAY_MS - launchedAt - associationSlotMs(rank.get(id) ?? n)),
    workItems: account.queue.sent.filter((message) => 'instanceId' in message.body).length,
    cost: costOf({ calls: stats.calls, invocations: stack.invocations, eventEntries: account.events.published.length - eventsBefore }),
    realMs,
  };
}

/** Calls of one plane per instance, log group writes left out. */
function planeCalls(calls: Partial<Record<Operation, number>>, plane: Plane): [Operation, number][] {
  return (Object.entries(calls) as [Operation, number][])
    .filter(([operation]) => PLANE_OF[SERVICE_OF[operation]] === plane && !LOG_GROUP_WRITES.includes(operation))
    .sort(([, a], [, b]) => b - a);
}

const counts = (byOperation: Partial<Record<Operation, number>>) =>
  Object.entries(byOperation).map(([operation, count]) => `${operation} ${fmt(count ?? 0)}`).join(', ') || 'none';

const byOperation = (entries: [Operation, number][], n: number) => entries.map(([operation, count]) => `${operation} ${(count / n).toFixed(2)}`).join(', ');

/** Quantile of the per-instance ratios time / own floor. */
function ratioPercentile(result: OnboardingResult, p: number): number {
  const ratios = result.times.map((time, i) => time / result.floors[i]!).sort((a, b) => a - b);
  return percentile(ratios, p);
}

function ratioRow(metric: string, result: OnboardingResult, p: number, target: number | undefined): Row {
  const ratio = ratioPercentile(result, p);
  const floor = percentile([...result.floors].sort((a, b) => a - b), p) / 1000;
  const time = percentile([...result.times].sort((a, b) => a - b), p) / 1000;
  return {
    metric,
    measured: fmt(time, 1),
    floor: fmt(floor, 1),
    ratio: `${ratio.toFixed(2)}x`,
    target: target === undefined ? '-' : `<= ${target}x`,
    ok: target === undefined ? '-' : ratio <= target + 1e-9 ? 'yes' : 'NO',
  };
}

export function onboardingSection(result: OnboardingResult): Section {
  const { n } = result;
  const control = planeCalls(result.calls, 'control');
  const data = planeCalls(result.calls, 'data');
  const logGroupWrites = LOG_GROUP_WRITES.map((operation) => [operation, result.calls[operation] ?? 0] as [Operation, number]);
  const usd = totalUsd(result.cost);
  const commandMs = COMMAND_TIMING.deliveryDelayMs + COMMAND_TIMING.durationMs;
  const noticeLag = result.registeredToConfigured.map((ms) => ms - commandMs).sort((a, b) => a - b);
  const associationLag = [...result.associationLag].sort((a, b) => a - b);
  const seconds = (sorted: number[], p: number) => fmt(percentile(sorted, p) / 1000, 1);
  const label = `${fmt(n)}:`;
  const rows: Row[] = [
    against(`instances configured (of ${fmt(n)})`, result.configured, { text: fmt(n) }),
    ratioRow(`${label} running event to configured, p50 (s) / own floor`, result, 50, TARGETS.p50),
    ratioRow(`${label} running event to configured, p95 (s) / own floor`, result, 95, TARGETS.p95),
    ratioRow(`${label} running event to configured, max (s) / own floor`, result, 100, undefined),
    against(`${label} throttling errors surfaced`, result.throttlingErrors, { max: 0 }),
    against(`${label} control-plane calls per instance (EC2, SSM, IAM, Logs, CloudWatch)`, sum(Object.fromEntries(control)) / n, { max: TARGETS.controlCalls }, 2),
    against(`${label} data-plane calls per instance (DynamoDB, SQS, EventBridge)`, sum(Object.fromEntries(data)) / n, { max: TARGETS.dataCalls }, 2),
    against('work items (worker reconciles) per instance', result.workItems / n, {}, 2),
    { ...against(`${label} dollars per 1,000 onboarded instances`, 0), measured: `$${((usd / n) * 1000).toFixed(4)}` },
    against('real time (ms)', result.realMs),
  ];
  return {
    title: `Onboarding ${fmt(n)} new instances launched at once, by their running events`,
    rows,
    notes: [
      `Launched at once with the selector tag (the three configurations in turn) and no instance profile. Each instance's own floor: its ` +
        `place in EC2's association rate (the k-th AssociateIamInstanceProfile of the storm no earlier than max(0, k - 199) / 5 s: a bucket ` +
        `of 200, 5 a second; k = the order its profile was associated in), + ${ASSOCIATION_SETTLE_MS / 1000} s association settle + ` +
        `${REGISTRATION_DELAY_MS / 1000} s SSM registration + the command's own ${(COMMAND_TIMING.deliveryDelayMs + COMMAND_TIMING.durationMs) / 1000} s. ` +
        `Ratios are per instance (time / own floor), their p50/p95; the seconds shown are the p50/p95 of times and of floors. Latency ${LATENCY_MS} ms per call.`,
      `Control-plane calls per instance by operation: ${byOperation(control, n)}; log group writes, one-off per log group and left out: ${byOperation(logGroupWrites, n)}.`,
      `Data-plane calls per instance by operation: ${byOperation(data, n)}.`,
      `Throttled and retried: ${counts(result.throttled)}. Throttling errors surfaced: ${counts(result.throttlingErrorsByOperation)}.`,
      `Where the time above the floor goes, p50 / p95 over instances: the association made later than its slot in EC2's rate ` +
        `${seconds(associationLag, 50)} / ${seconds(associationLag, 95)} s; SSM registration noticed late (registered to configured, beyond the ` +
        `command's own ${commandMs / 1000} s) ${seconds(noticeLag, 50)} / ${seconds(noticeLag, 95)} s.`,
      `Cost per 1,000 instances by item: ${describeCost(result.cost, 1000 / n)}.`,
    ],
  };
}
