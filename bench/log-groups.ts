/**
 * Section 3: 2,000 log groups created through the executor (a plan of 2,000 create-log-group
 * actions, lib/apply/execute.ts's own concurrency and the ports' retries) against CreateLogGroup's
 * 5 TPS per account and region: 2,000 / 5 = 400 s is the floor.
 */
import { testSettings } from '../lib/config.js';
import { execute } from '../lib/apply/execute.js';
import type { Action } from '../lib/planning/plan.js';
import { DEFAULT_RATES, SimulatedAccount } from '../local/index.js';
import { againstFloor, against, fmt, type Section } from './report.js';
import { LATENCY_MS, sum } from './fleet.js';

export async function logGroupSection(n: number): Promise<Section> {
  const account = new SimulatedAccount({ seed: 3, latencyMs: LATENCY_MS });
  const settings = testSettings({ accountId: account.accountId, region: account.region });
  const actions: Action[] = Array.from({ length: n }, (_, i) => ({
    kind: 'create-log-group',
    logGroupName: `/fleetwatch/bench/app-${String(i).padStart(4, '0')}`,
    retentionInDays: settings.defaultRetentionDays,
    logGroupClass: settings.logGroupClass,
    instanceIds: [],
    reason: 'log group missing',
    detail: 'bench',
  }));
  const rate = DEFAULT_RATES.CreateLogGroup.refillPerSecond;
  const floorSeconds = n / rate;

  const start = account.clock.now();
  const realStart = performance.now();
  const outcomes = await execute(actions, account.ports(), settings);
  const realMs = performance.now() - realStart;
  const seconds = (account.clock.now() - start) / 1000;
  const stats = account.stats();
  const failed = outcomes.filter((outcome) => outcome.status === 'failed');

  return {
    title: `Creating ${fmt(n)} log groups at ${rate} TPS`,
    rows: [
      againstFloor(`simulated time (s), floor ${fmt(n)} / ${rate} TPS`, seconds, floorSeconds, 1.1, 1),
      against('throttling errors that reached the caller', sum(stats.throttlingErrors), { max: 0 }),
      against('actions failed', failed.length, { max: 0 }),
      against('log groups that exist, with retention', [...account.logs.groups.values()].filter((g) => g.retentionInDays === settings.defaultRetentionDays).length, { text: fmt(n) }),
      { ...against('CreateLogGroup calls / requests (throttled and retried)', 0), measured: `${fmt(stats.calls.CreateLogGroup ?? 0)} / ${fmt(stats.requests.CreateLogGroup ?? 0)}` },
      against('real time (ms)', realMs),
    ],
    notes: [
      `One plan of ${fmt(n)} create-log-group actions applied by lib/apply/execute.ts (10 at a time; each also sets retention), ` +
        `through the simulated ports with the SDK's adaptive retry (6 attempts); CreateLogGroup bucket ${DEFAULT_RATES.CreateLogGroup.capacity}, ` +
        `refill ${rate}/s; latency ${LATENCY_MS} ms per call.`,
      ...(failed.length ? [`first failure: ${failed[0]!.detail}`] : []),
    ],
  };
}
