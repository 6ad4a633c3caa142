/**
 * The simulated account's client side is pinned to the installed SDK: the retry of throttled
 * calls (local/calls.ts ClientRetry, FLEETWATCH_RETRY) against the retry strategies of the very
 * clients lib/aws/clients.ts builds, and the adaptive rate limiter's virtual-time wait
 * (local/adaptive.ts) against the SDK's DefaultRateLimiter on fake timers, on the same script. An
 * SDK upgrade, or a change of the clients' retry settings, that changes either fails here instead
 * of silently changing the bench.
 */
import { createRequire } from 'node:module';
import { DefaultRateLimiter, StandardRetryStrategy, type StandardRetryStrategy as Strategy } from '@smithy/core/retry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAwsPorts } from '../../lib/aws/clients.js';
import { testSettings } from '../../lib/config.js';
import { AdaptiveRateLimiter } from '../../local/adaptive.js';
import { ClientRetry, FLEETWATCH_RETRY, SDK_DEFAULT_RETRY, type RetryPolicy, type Service } from '../../local/calls.js';
import { DEFAULT_EPOCH, VirtualClock } from '../../local/clock.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('the retry code the simulated account imports', () => {
  it('is the copy the SDK clients themselves load', () => {
    // npm may nest a second @smithy/core under a client after an upgrade; then local/ would follow the wrong one.
    const fromRepository = createRequire(import.meta.url).resolve('@smithy/core/package.json');
    for (const client of ['@aws-sdk/client-ec2', '@aws-sdk/client-ssm', '@aws-sdk/client-cloudwatch-logs', '@aws-sdk/client-dynamodb']) {
      const clientRequire = createRequire(createRequire(import.meta.url).resolve(`${client}/package.json`));
      const sdkCore = createRequire(clientRequire.resolve('@aws-sdk/core/package.json'));
      expect(clientRequire.resolve('@smithy/core/package.json'), client).toBe(fromRepository);
      expect(sdkCore.resolve('@smithy/core/package.json'), `${client}'s @aws-sdk/core`).toBe(fromRepository);
    }
  });
});

type Outcome = number | 'gave up';
type RetryToken = Awaited<ReturnType<Strategy['acquireInitialRetryToken']>>;

/** What the SDK's strategy does for one call throttled `throttles` times then served (or not): each wait, then whether it gave up. */
async function sdkCall(strategy: Strategy, throttles: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let token: RetryToken = await strategy.acquireInitialRetryToken('fleetwatch');
  for (let i = 0; i < throttles; i++) {
    const next = strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING' }).then(
      (renewed) => renewed,
      () => undefined,
    );
    await vi.runAllTimersAsync();
    const renewed = await next;
    if (!renewed) return [...outcomes, 'gave up'];
    outcomes.push((renewed as unknown as { $retryLog: { acquisitionDelay: number } }).$retryLog.acquisitionDelay);
    token = renewed;
  }
  strategy.recordSuccess(token);
  return outcomes;
}

function simulatedCall(retry: ClientRetry, throttles: number): Outcome[] {
  const outcomes: Outcome[] = [];
  for (let attempt = 0; attempt < throttles; attempt++) {
    const wait = retry.afterThrottle(attempt);
    if (typeof wait !== 'number') return [...outcomes, 'gave up'];
    outcomes.push(wait);
  }
  retry.recordSuccess(throttles);
  return outcomes;
}

/** Calls throttled 0-7 times in turn: long enough to run the quota of 500 dry and refill it. */
const THROTTLES_PER_CALL = Array.from({ length: 400 }, (_, i) => [7, 0, 3, 1, 5, 0, 0, 2][i % 8]!);

/** The SDK client classes lib/aws/clients.ts builds, by the simulated account's service names. */
const SERVICE_OF_CLIENT: Record<string, Service> = {
  EC2Client: 'ec2',
  IAMClient: 'iam',
  SSMClient: 'ssm',
  CloudWatchLogsClient: 'logs',
  CloudWatchClient: 'cloudwatch',
  DynamoDBClient: 'dynamodb',
  SQSClient: 'sqs',
  EventBridgeClient: 'events',
};

interface BuiltStrategy {
  mode: string;
  /** AdaptiveRetryStrategy wraps a StandardRetryStrategy: the part that decides waits and give-ups. */
  standardRetryStrategy?: Strategy;
}

/** The retry strategy of each client lib/aws/clients.ts builds, by service. */
async function productionStrategies(): Promise<Map<Service, { mode: string; standard: Strategy }>> {
  const built: { constructor: { name: string }; config: { retryStrategy(): Promise<BuiltStrategy> } }[] = [];
  createAwsPorts(
    { ...testSettings(), stateTableName: 'fleetwatch-dev-state', workQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fleetwatch-dev-work' },
    { instrument: (client) => (built.push(client as never), client) },
  );
  const strategies = new Map<Service, { mode: string; standard: Strategy }>();
  for (const client of built) {
    const service = SERVICE_OF_CLIENT[client.constructor.name];
    if (!service) continue;
    const strategy = await client.config.retryStrategy();
    strategies.set(service, { mode: strategy.mode, standard: strategy.standardRetryStrategy ?? (strategy as unknown as Strategy) });
  }
  return strategies;
}

/** Runs the script of throttled calls through both and compares waits, give-ups and the quota after each call. */
async function expectSameRetries(strategy: Strategy, policy: RetryPolicy): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
  const draws = [0.93, 0.07, 0.5, 0.31, 0.77];
  let sdkDraw = 0;
  vi.spyOn(Math, 'random').mockImplementation(() => draws[sdkDraw++ % draws.length]!);
  let simulatedDraw = 0;
  const retry = new ClientRetry(policy, () => draws[simulatedDraw++ % draws.length]!);

  let gaveUpForQuota = 0;
  for (const throttles of THROTTLES_PER_CALL) {
    const expected = await sdkCall(strategy, throttles);
    const actual = simulatedCall(retry, throttles);
    expect(actual).toEqual(expected);
    expect(retry.capacity).toBe(strategy.getCapacity());
    if (expected.at(-1) === 'gave up' && expected.length < policy.maxAttempts) gaveUpForQuota++;
  }
  // The script must reach the quota branch, or it tests only the attempts limit.
  expect(gaveUpForQuota).toBeGreaterThan(0);
}

describe('throttled retries follow the SDK', () => {
  it('the SDK default (StandardRetryStrategy, 3 attempts): the same waits, the same give-ups, the same quota', async () => {
    await expectSameRetries(new StandardRetryStrategy(SDK_DEFAULT_RETRY.maxAttempts), SDK_DEFAULT_RETRY);
  });

  it.each(Object.keys(FLEETWATCH_RETRY) as Service[])(
    '%s: the mode of the client lib/aws/clients.ts builds, and its strategy\'s waits, give-ups and quota',
    async (service) => {
      const production = (await productionStrategies()).get(service);
      expect(production, `lib/aws/clients.ts builds no client for ${service}`).toBeDefined();
      expect(production!.mode).toBe(FLEETWATCH_RETRY[service].mode);
      await expectSameRetries(production!.standard, FLEETWATCH_RETRY[service]);
    },
  );
});

interface Step {
  at: number;
  kind: 'throttle' | 'success' | 'send';
  count?: number;
}

/** Sends at 20/s, a throttle, a burst that must queue on the bucket, recovery, a second throttle and burst. */
const STEPS: Step[] = [
  ...Array.from({ length: 40 }, (_, i): Step => ({ at: i * 50, kind: 'success' })),
  { at: 2_000, kind: 'throttle' },
  { at: 2_000, kind: 'send', count: 30 },
  ...Array.from({ length: 30 }, (_, i): Step => ({ at: 2_100 + i * 100, kind: 'success' })),
  { at: 4_050, kind: 'throttle' },
  { at: 4_050, kind: 'throttle' },
  { at: 6_000, kind: 'send', count: 20 },
  ...Array.from({ length: 40 }, (_, i): Step => ({ at: 6_000 + i * 250, kind: 'success' })),
];
/** In time order (sort is stable: steps at one instant keep their order). */
const SCRIPT = STEPS.sort((a, b) => a.at - b.at);
const HORIZON_MS = 120_000;

/** When each send of the script got its token, in ms after the start, on the SDK's limiter with fake timers. */
async function sdkTokens(): Promise<number[]> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'Date'], now: DEFAULT_EPOCH });
  const limiter = new DefaultRateLimiter();
  const granted: number[] = [];
  for (const step of SCRIPT) {
    await vi.advanceTimersByTimeAsync(DEFAULT_EPOCH + step.at - Date.now());
    if (step.kind === 'throttle') limiter.updateClientSendingRate({ errorType: 'THROTTLING' });
    else if (step.kind === 'success') limiter.updateClientSendingRate({});
    else for (let i = 0; i < step.count!; i++) void limiter.getSendToken().then(() => granted.push(Date.now() - DEFAULT_EPOCH));
  }
  await vi.advanceTimersByTimeAsync(HORIZON_MS);
  vi.useRealTimers();
  return granted;
}

async function simulatedTokens(): Promise<number[]> {
  const clock = new VirtualClock({ autoAdvance: false });
  const limiter = new AdaptiveRateLimiter(clock);
  const granted: number[] = [];
  for (const step of SCRIPT) {
    await clock.advance(DEFAULT_EPOCH + step.at - clock.now());
    if (step.kind === 'throttle') limiter.update(true);
    else if (step.kind === 'success') limiter.update(false);
    else for (let i = 0; i < step.count!; i++) void limiter.acquire().then(() => granted.push(clock.now() - DEFAULT_EPOCH));
  }
  await clock.advance(HORIZON_MS);
  return granted;
}

describe('the adaptive rate limiter follows the SDK (DefaultRateLimiter)', () => {
  it('grants the same send tokens at the same times, within the 1 ms the timers round', async () => {
    const expected = await sdkTokens();
    const actual = await simulatedTokens();
    expect(expected).toHaveLength(50);
    expect(actual).toHaveLength(expected.length);
    // The bucket must have made some sends wait, or this compares nothing but the throttle bookkeeping.
    expect(expected.filter((at) => at > 2_100).length).toBeGreaterThan(10);
    actual.forEach((at, i) => expect(Math.abs(at - expected[i]!), `send ${i}: ${at} ms vs the SDK's ${expected[i]} ms`).toBeLessThanOrEqual(1));
  });
});
