/**
 * The layer every simulated API call goes through, in the order a real call meets them:
 * the network (virtual latency), the service's throttle (token buckets, with the SDK's retries
 * and backoff on the client side), injected faults, then the service itself. It also counts
 * calls per operation, so tests and benchmarks can assert how many pages and batches a
 * reconcile costs.
 */
import { DEFAULT_MAX_ATTEMPTS, INITIAL_RETRY_TOKENS, MAXIMUM_RETRY_DELAY, NO_RETRY_INCREMENT, Retry } from '@smithy/core/retry';
import { ServiceUnavailableError, ThrottledError } from '../lib/errors.js';
import { AdaptiveRateLimiter } from './adaptive.js';
import type { VirtualClock } from './clock.js';
import { OPERATIONS, type Operation } from './operations.js';
import type { Random } from './random.js';
import { DEFAULT_RATES, TokenBucket, type RateLimit } from './rate.js';

/**
 * Client-side retry, as the installed AWS SDK for JavaScript v3 does it (@smithy/core/retry,
 * util-retry/StandardRetryStrategy.js), with the SDK's own constants imported rather than copied.
 * Before retry i (0-based) it waits random() * min(base * 2^i, 20 s), with base
 * Retry.throttlingDelay() after a throttle (Retry.delay() otherwise). Retries also draw on a
 * per-client retry quota (INITIAL_RETRY_TOKENS; a throttled retry costs Retry.throttlingCost(); a
 * success refunds what its last retry cost, or NO_RETRY_INCREMENT): when the quota runs dry,
 * errors surface without retrying. 'adaptive' adds the SDK's client-side rate limiter
 * (adaptive.ts). test/local/retry.test.ts holds ClientRetry to StandardRetryStrategy.
 */
export interface RetryPolicy {
  mode: 'standard' | 'adaptive';
  maxAttempts: number;
  baseDelayMs: number;
  throttlingBaseDelayMs: number;
  maxDelayMs: number;
}

/** The SDK's own defaults: standard mode, DEFAULT_MAX_ATTEMPTS attempts. */
export const SDK_DEFAULT_RETRY: RetryPolicy = {
  mode: 'standard',
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  baseDelayMs: Retry.delay(),
  throttlingBaseDelayMs: Retry.throttlingDelay(),
  maxDelayMs: MAXIMUM_RETRY_DELAY,
};

/**
 * One SDK client's retry state. The simulated account retries only throttles (injected faults
 * surface as the SDK's final error), so only the throttling branch of the strategy is here.
 */
export class ClientRetry {
  private quota = INITIAL_RETRY_TOKENS;

  constructor(
    readonly policy: RetryPolicy,
    private readonly random: () => number,
  ) {}

  /** The retry quota left (StandardRetryStrategy.getCapacity()). */
  get capacity(): number {
    return this.quota;
  }

  /**
   * After attempt `attempt` (0-based) of a call was throttled: the wait before the next attempt,
   * or 'attempts' / 'quota' when the SDK gives up and the error surfaces.
   */
  afterThrottle(attempt: number): number | 'attempts' | 'quota' {
    if (attempt + 1 >= this.policy.maxAttempts) return 'attempts';
    const cost = Retry.throttlingCost();
    if (this.quota < cost) return 'quota';
    this.quota -= cost;
    return Math.floor(this.random() * Math.min(this.policy.throttlingBaseDelayMs * 2 ** attempt, this.policy.maxDelayMs));
  }

  /** A call succeeded after `retries` throttled retries: the quota gets back what the last one cost. */
  recordSuccess(retries: number): void {
    this.quota = Math.min(INITIAL_RETRY_TOKENS, this.quota + (retries > 0 ? Retry.throttlingCost() : NO_RETRY_INCREMENT));
  }
}

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
  DescribeDocument: 'ssm',
  DescribeLogGroups: 'logs',
  CreateLogGroup: 'logs',
  PutRetentionPolicy: 'logs',
  DescribeLogStreams: 'logs',
  ListTagsForResource: 'logs',
  ListMetrics: 'cloudwatch',
  GetItem: 'dynamodb',
  BatchGetItem: 'dynamodb',
  Scan: 'dynamodb',
  PutItem: 'dynamodb',
  SendMessageBatch: 'sqs',
  PutEvents: 'events',
};

/**
 * Control-plane APIs are the rate-limited ones that decide how fast a fleet can be onboarded (and
 * are free or nearly so); data-plane APIs are fleetwatch's own table, queue and bus, priced per
 * request and limited far above its volume.
 */
export type Plane = 'control' | 'data';
export const PLANE_OF: Record<Service, Plane> = {
  ec2: 'control',
  iam: 'control',
  ssm: 'control',
  logs: 'control',
  cloudwatch: 'control',
  dynamodb: 'data',
  sqs: 'data',
  events: 'data',
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

/**
 * What IAM evaluates for one request: the action, the resource ARN and the condition keys of the
 * request that fleetwatch's policies test (resource tags, iam:PassedToService, events:source...).
 * One API call may need several (AssociateIamInstanceProfile also needs iam:PassRole; SendCommand
 * is authorised on the document and on each instance).
 */
export interface Authorization {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

/** An authorization as a function made it: test/iam/permissions.test.ts evaluates these against the function's role. */
export interface AuthorizedCall extends Authorization {
  /** The function whose SDK clients made the call (its key in serverless/iam.cjs), or undefined outside the stack. */
  caller: string | undefined;
  operation: Operation;
}

/** The authorizations of one call: a list, or one computed when the request reaches the service (a page, a batch). */
export type Authorize = Authorization[] | (() => Authorization[]);

export interface CallOptions {
  /** The function these clients belong to (its key in serverless/iam.cjs), for the record of authorizations. */
  caller?: string;
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
  /** Every distinct authorization made, when recording (off by default: a 10,000-instance run would keep them all). */
  private authorizations: Map<string, AuthorizedCall> | undefined;

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

  /** Starts keeping every distinct authorization the calls need (recordedAuthorizations() reads them). */
  recordAuthorizations(): void {
    this.authorizations ??= new Map();
  }

  recordedAuthorizations(): AuthorizedCall[] {
    return [...(this.authorizations?.values() ?? [])];
  }

  authorize(caller: string | undefined, operation: Operation, authorize: Authorize | undefined): void {
    if (!this.authorizations) return;
    for (const authorization of typeof authorize === 'function' ? authorize() : (authorize ?? [])) {
      const call = { caller, operation, ...authorization };
      this.authorizations.set(JSON.stringify(call), call);
    }
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

/** One SDK client: its retry state and, in adaptive mode, its rate limiter. */
interface ClientState {
  retry: ClientRetry;
  limiter?: AdaptiveRateLimiter;
}

function isPerService(retry: NonNullable<CallOptions['retry']>): retry is Partial<Record<Service, Partial<RetryPolicy>>> {
  return Object.keys(retry).some((key) => key in FLEETWATCH_RETRY);
}

/** The client's side: one per `ports()` (a Lambda's SDK clients), with its latency and retry settings. */
export class CallLayer {
  private readonly clients = new Map<Service, ClientState>();
  private readonly latency: (operation: Operation) => number;
  private readonly caller: string | undefined;

  constructor(
    private readonly meter: CallMeter,
    options: CallOptions = {},
  ) {
    this.caller = options.caller;
    const retry = options.retry ?? {};
    for (const service of Object.keys(FLEETWATCH_RETRY) as Service[]) {
      const override = isPerService(retry) ? retry[service] : retry;
      const policy = { ...FLEETWATCH_RETRY[service], ...override };
      this.clients.set(service, {
        retry: new ClientRetry(policy, meter.random),
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
   * `authorize`: what IAM checks for the request, recorded once per call (retries are the same request).
   */
  async call<T>(operation: Operation, serve: () => T, resource?: string, authorize?: Authorize): Promise<T> {
    const { meter } = this;
    const clock = meter.clock;
    const client = this.clients.get(SERVICE_OF[operation])!;
    const { retry, limiter } = client;
    meter.calls[operation]++;
    meter.authorize(this.caller, operation, authorize);
    const fault = meter.fault(operation);
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
        retry.recordSuccess(attempt);
        return serve();
      }
      meter.throttled[operation]++;
      limiter?.update(true);
      const wait = retry.afterThrottle(attempt);
      if (typeof wait !== 'number') {
        meter.throttlingErrors[operation]++;
        const why = wait === 'attempts' ? `after ${retry.policy.maxAttempts} attempts` : 'and the retry quota is exhausted';
        throw new ThrottledError(`${operation}: Rate exceeded ${why}`, { resource });
      }
      await clock.sleep(wait);
    }
  }
}
