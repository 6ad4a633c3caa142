/**
 * Section 2: 1,000 new instances launched with the selector tag after the deploy, onboarded by
 * their running events alone (rules connected, worker draining the queue): API calls per
 * instance, and the time from the running event to the agent configured against the SSM
 * registration delay.
 */
import type { Operation } from '../local/index.js';
import { againstFloor, against, fmt, type Row, type Section } from './report.js';
import { benchStack, LATENCY_MS, MINUTE, percentile, sum } from './fleet.js';

const REGISTRATION_DELAY_MS = 2 * MINUTE;
/** SendCommand to InProgress, and InProgress to Success: the simulated command's own time. */
const COMMAND_TIMING = { deliveryDelayMs: 2_000, durationMs: 30_000 };
/** Log group creation and its retention are counted apart (the target leaves them out). */
const LOG_GROUP_WRITES: Operation[] = ['CreateLogGroup', 'PutRetentionPolicy'];
/** The issue's target: calls per onboarded instance beyond log group creation and retries. */
const MAX_CALLS_PER_INSTANCE = 6;

export async function onboardingSection(n: number): Promise<Section> {
  const { account, stack } = benchStack({ seed: 9, registrationDelayMs: REGISTRATION_DELAY_MS });
  // The deploy's parameter events start (empty) rollouts: let them finish before counting.
  await stack.settle();
  account.resetCalls();
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
  const times = ids.map((id) => (account.agent(id).configuredAt ?? Infinity) - launchedAt).sort((a, b) => a - b);
  const configured = times.filter(Number.isFinite).length;
  const perInstance = sum(stats.calls, LOG_GROUP_WRITES) / n;
  const reconciles = account.queue.sent.filter((message) => 'instanceId' in message.body).length;
  const floorMs = REGISTRATION_DELAY_MS + COMMAND_TIMING.deliveryDelayMs + COMMAND_TIMING.durationMs;
  const describeLogGroups = stats.calls.DescribeLogGroups ?? 0;

  const rows: Row[] = [
    against(`instances configured (of ${fmt(n)})`, configured, { text: `${fmt(n)}` }),
    against('API calls per instance, without CreateLogGroup/PutRetentionPolicy', perInstance, { max: MAX_CALLS_PER_INSTANCE }, 1),
    against('work items (worker reconciles) per instance', reconciles / n, {}, 2),
    againstFloor('running event to configured, p50 (s)', percentile(times, 50) / 1000, floorMs / 1000, undefined, 1),
    againstFloor('running event to configured, p95 (s)', percentile(times, 95) / 1000, floorMs / 1000, undefined, 1),
    againstFloor('running event to configured, max (s)', percentile(times, 100) / 1000, floorMs / 1000, undefined, 1),
    againstFloor('DescribeLogGroups calls / time they take at 5 TPS (s)', describeLogGroups / 5, 0, undefined, 1),
    against('throttling errors surfaced', sum(stats.throttlingErrors), { max: 0 }),
    against('real time (ms)', realMs),
  ];
  rows[6] = { ...rows[6]!, measured: `${fmt(describeLogGroups)} / ${fmt(describeLogGroups / 5, 1)}`, floor: '-', ratio: '-' };

  const breakdown = (Object.entries(stats.calls) as [Operation, number][])
    .sort(([, a], [, b]) => b - a)
    .map(([operation, count]) => `${operation} ${(count / n).toFixed(2)}`)
    .join(', ');
  return {
    title: `Onboarding ${fmt(n)} new instances by their running events`,
    rows,
    notes: [
      `Launched at once with the selector tag (the three configurations in turn) and no instance profile; SSM registration ` +
        `${REGISTRATION_DELAY_MS / 1000} s after the managed profile is associated; floor = registration delay + the command's own ` +
        `${(COMMAND_TIMING.deliveryDelayMs + COMMAND_TIMING.durationMs) / 1000} s. Latency ${LATENCY_MS} ms per call.`,
      `Calls per instance by operation: ${breakdown}.`,
      `Throttled and retried: ${Object.entries(stats.throttled).map(([operation, count]) => `${operation} ${fmt(count ?? 0)}`).join(', ') || 'none'}.`,
    ],
  };
}
