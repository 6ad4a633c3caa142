/**
 * The layer every simulated API call goes through, in the order a real call meets them:
 * the network (virtual latency), the service's throttle (token buckets, with the SDK's retries
 * and backoff on the client side), injected faults, then the service itself. It also counts
 * calls per operation, so tests and benchmarks can assert how many pages and batches a
 * reconcile costs.
 */
import { ServiceUnavailableError, ThrottledError } from '../lib/errors.js';
import { AdaptiveRateLimiter } from './adaptive.js';
import type { VirtualClock } from './clock.js';
import { OPERATIONS, type Operation } from './operations.js';
import type { Random } from './random.js';
import { DEFAULT_RATES, TokenBucket, type RateLimit } from './rate.js';

/**
 * Client-side retry, as the AWS SDK for JavaScript v3 does it. Before retry i (0-based) it waits
 * random() * min(base * 2^i, 20 s), with base 1000 ms after a throttle (50 ms otherwise) in the
 * installed SDK (@smithy/core util-retry). Retries also draw on a per-client retry quota of 500
 * (a throttled retry costs 5; a success refunds what its retry cost, or 1): when the quota runs
 * dry, errors surface without retrying. 'adaptive' adds the client-side rate limiter.
 */
export interface RetryPolicy {
  mode: 'standard' | 'adaptive';
  maxAttempts: number;
  baseDelayMs: number;
  throttlingBaseDelayMs: number;
  maxDelayMs: number;
}

/** The SDK's own defaults: standard mode, 3 attempts. */
export const SDK_DEFAULT_RETRY: RetryPolicy = {
  mode: 'standard',
  maxAttempts: 3,
  baseDelayMs: 50,
  throttlingBaseDelayMs: 1000,
  maxDelayMs: 20_000,
};

export type Service = 'ec2' | 'iam' | 'ssm' | 'logs' | 'cloudwatch' | 'dynamodb' | 'sqs' | 'events';

export const SERVICE_OF: Record<Operation, Service> = {
  DescribeInstances: 'ec2',
  DescribeIamInstanceProfileAssociations: 'ec2',
  AssociateIamInstanceProfile: 'ec2',
  ReplaceIamInstanceProfileAssociation: 'ec2',
  GetInstanceProfile: 'iam',
  ListAttachedRolePolicies: 'iam',
  AttachRolePolicy: 'iam',
  DescribeInstanceInformation: 'ssm',
  GetParameters: 'ssm',
  GetParameter: 'ssm',
  PutParameter: 'ssm',
  SendCommand: 'ssm',
  ListCommandInvocations: 'ssm',
  DescribeLogGroups: 'logs',
  CreateLogGroup: 'logs',
  PutRetentionPolicy: 'logs',
  DescribeLogStreams: 'logs',
  ListMetrics: 'cloudwatch',
  GetItem: 'dynamodb',
  BatchGetItem: 'dynamodb',
  Scan: 'dynamodb',
  PutItem: 'dynamodb',
  SendMessageBatch: 'sqs',
  PutEvents: 'events',
};

/**
 * What lib/aws/clients.ts configures: control-plane clients (EC2, IAM, SSM, Logs) adaptive with
 * 6 attempts, data-plane clients (DynamoDB, SQS, EventBridge) standard with 5.
 */
export const FLEETWATCH_RETRY: Record<Service, RetryPolicy> = {
  ec2: { ...SDK_DEFAULT_RETRY, mode: 'adaptive', maxAttempts: 6 },
  iam: { ...SDK_DEFAULT_RETRY, mode: 'adaptive', maxAttempts: 6 },
  ssm: { ...SDK_DEFAULT_RETRY, mode: 'adaptive', maxAttempts: 6 },
  logs: { ...SDK_DEFAULT_RETRY, mode: 'adaptive', maxAttempts: 6 },
  cloudwatch: { ...SDK_DEFAULT_RETRY, mode: 'adaptive', maxAttempts: 6 },
  dynamodb: { ...SDK_DEFAULT_RETRY, maxAttempts: 5 },
  sqs: { ...SDK_DEFAULT_RETRY, maxAttempts: 5 },
  events: { ...SDK_DEFAULT_RETRY, maxAttempts: 5 },
};

const RETRY_QUOTA = 500;
const THROTTLING_RETRY_COST = 5;

/**
 * Faults injected per operation ('*' for all), as probabilities per call that the error
 * surfaces to the caller, i.e. after the SDK's retries would have given up. (A per-attempt
 * probability would be squared and cubed away by retries and hardly ever test anything.)
 */
export interface FaultRates {
  throttle?: number;
  unavailable?: number;
}
export type FaultConfig = Partial<Record<Operation | '*', FaultRates>>;

export type LatencyConfig = number | Partial<Record<Operation, number>> | ((operation: Operation) => number);

export interface CallOptions {
  /** Virtual round-trip time of one request. Default 20 ms. */
  latencyMs?: LatencyConfig;
  /** Overrides FLEETWATCH_RETRY for every client, or per service. */
  retry?: Partial<RetryPolicy> | Partial<Record<Service, Partial<RetryPolicy>>>;
}

type Counts = Record<Operation, number>;

export interface CallStats {
  /** API calls per operation (each page or batch is one call; retries are not counted again). */
  calls: Partial<Counts>;
  /** Requests per operation including the SDK's retries. */
  requests: Partial<Counts>;
  /** Requests the service throttled (each retry that met an empty bucket counts). */
  throttled: Partial<Counts>;
  /** ThrottledError surfaced to the caller after retries ran out (or injected). */
  throttlingErrors: Partial<Counts>;
  /** Faults injected (throttling or unavailable), per operation. */
  faults: Partial<Counts>;
  totalCalls: number;
}

/** GetParameter and GetParameters draw on one Parameter Store throughput quota. */
const SHARED_BUCKET: Partial<Record<Operation, string>> = { GetParameter: 'ParameterStoreRead', GetParameters: 'ParameterStoreRead' };

function zeroCounts(): Counts {
  return Object.fromEntries(OPERATIONS.map((operation) => [operation, 0])) as Counts;
}

function nonZero(counts: Counts): Partial<Counts> {
  return Object.fromEntries(Object.entries(counts).filter(([, value]) => value > 0)) as Partial<Counts>;
}

/** The account's side: buckets, faults and counters shared by every client of the account. */
export class CallMeter {
  readonly calls = zeroCounts();
  readonly requests = zeroCounts();
  readonly throttled = zeroCounts();
  readonly throttlingErrors = zeroCounts();
  readonly faultCounts = zeroCounts();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly rates: Record<Operation, RateLimit | null>;

  constructor(
    readonly clock: VirtualClock,
    readonly random: Random,
    rates: Partial<Record<Operation, RateLimit | null>> = {},
    public faults: FaultConfig = {},
  ) {
    this.rates = { ...DEFAULT_RATES, ...rates };
  }

  /** Takes a token from the operation's bucket; false when AWS would throttle. null rate: never throttled. */
  admit(operation: Operation): boolean {
    const limit = this.rates[operation];
    if (!limit) return true;
    const key = SHARED_BUCKET[operation] ?? operation;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(limit, this.clock.now());
      this.buckets.set(key, bucket);
    }
    return bucket.tryTake(this.clock.now());
  }

  /** The fault to inject into this call, if the dice say so. */
  fault(operation: Operation): 'throttle' | 'unavailable' | undefined {
    const rates = this.faults[operation] ?? this.faults['*'];
    if (!rates) return undefined;
    const roll = this.random();
    const throttle = rates.throttle ?? 0;
    if (roll < throttle) return 'throttle';
    if (roll < throttle + (rates.unavailable ?? 0)) return 'unavailable';
    return undefined;
  }

  stats(): CallStats {
    let totalCalls = 0;
    for (const value of Object.values(this.calls)) totalCalls += value;
    return {
      calls: nonZero(this.calls),
      requests: nonZero(this.requests),
      throttled: nonZero(this.throttled),
      throttlingErrors: nonZero(this.throttlingErrors),
      faults: nonZero(this.faultCounts),
      totalCalls,
    };
  }

  reset(): void {
    for (const counts of [this.calls, this.requests, this.throttled, this.throttlingErrors, this.faultCounts]) {
      for (const operation of OPERATIONS) counts[operation] = 0;
    }
  }
}

/** One SDK client's retry state: its retry quota and, in adaptive mode, its rate limiter. */
interface ClientState {
  policy: RetryPolicy;
  quota: number;
  limiter?: AdaptiveRateLimiter;
}

function isPerService(retry: NonNullable<CallOptions['retry']>): retry is Partial<Record<Service, Partial<RetryPolicy>>> {
  return Object.keys(retry).some((key) => key in FLEETWATCH_RETRY);
}

/** The client's side: one per `ports()` (a Lambda's SDK clients), with its latency and retry settings. */
export class CallLayer {
  private readonly clients = new Map<Service, ClientState>();
  private readonly latency: (operation: Operation) => number;

  constructor(
    private readonly meter: CallMeter,
    options: CallOptions = {},
  ) {
    const retry = options.retry ?? {};
    for (const service of Object.keys(FLEETWATCH_RETRY) as Service[]) {
      const override = isPerService(retry) ? retry[service] : retry;
      const policy = { ...FLEETWATCH_RETRY[service], ...override };
      this.clients.set(service, {
        policy,
        quota: RETRY_QUOTA,
        ...(policy.mode === 'adaptive' && { limiter: new AdaptiveRateLimiter(meter.clock) }),
      });
    }
    const latency = options.latencyMs ?? 20;
    this.latency =
      typeof latency === 'function'
        ? latency
        : typeof latency === 'number'
          ? () => latency
          : (operation) => latency[operation] ?? 20;
  }

  /**
   * One API call (one page, one batch). `serve` runs at the service, after the request's latency
   * and only once the request got past the throttle; its typed errors pass through unchanged.
   */
  async call<T>(operation: Operation, serve: () => T, resource?: string): Promise<T> {
    const { meter } = this;
    const clock = meter.clock;
    const client = this.clients.get(SERVICE_OF[operation])!;
    const { policy, limiter } = client;
    meter.calls[operation]++;
    const fault = meter.fault(operation);
    let retryCost = 0;
    for (let attempt = 0; ; attempt++) {
      if (limiter) await limiter.acquire();
      meter.requests[operation]++;
      const latency = this.latency(operation);
      if (latency > 0) await clock.sleep(latency);
      if (fault) {
        meter.faultCounts[operation]++;
        if (fault === 'throttle') {
          meter.throttlingErrors[operation]++;
          throw new ThrottledError(`${operation}: Rate exceeded (injected fault)`, { resource });
        }
        throw new ServiceUnavailableError(`${operation}: Service Unavailable (injected fault)`, { resource });
      }
      if (meter.admit(operation)) {
        limiter?.update(false);
        client.quota = Math.min(RETRY_QUOTA, client.quota + (retryCost || 1));
        return serve();
      }
      meter.throttled[operation]++;
      limiter?.update(true);
      if (attempt + 1 >= policy.maxAttempts || client.quota < THROTTLING_RETRY_COST) {
        meter.throttlingErrors[operation]++;
        const why = attempt + 1 >= policy.maxAttempts ? `after ${policy.maxAttempts} attempts` : 'and the retry quota is exhausted';
        throw new ThrottledError(`${operation}: Rate exceeded ${why}`, { resource });
      }
      client.quota -= THROTTLING_RETRY_COST;
      retryCost = THROTTLING_RETRY_COST;
      await clock.sleep(Math.floor(meter.random() * Math.min(policy.throttlingBaseDelayMs * 2 ** attempt, policy.maxDelayMs)));
    }
  }
}
