/**
 * Token buckets, as AWS throttles: each request takes a token; the bucket refills at a steady
 * rate up to its capacity; a request that finds it empty is throttled (RequestLimitExceeded,
 * ThrottlingException). Buckets belong to the account and region, so every simulated Lambda that
 * shares the account shares them, as real ones do.
 */
import type { Operation } from './operations.js';

export interface RateLimit {
  /** Tokens the bucket holds when full (the burst). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.capacity;
    this.last = now;
  }

  /** Takes a token if there is one. */
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Tokens available now (fractional while refilling). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.limit.capacity, this.tokens + ((now - this.last) / 1000) * this.limit.refillPerSecond);
      this.last = now;
    }
  }
}

/** EC2 non-mutating (Describe*) actions: a bucket of 100 per API, refilled at 20 per second. */
const EC2_DESCRIBE: RateLimit = { capacity: 100, refillPerSecond: 20 };
/** EC2 mutating actions: a bucket of 200 per API, refilled at 5 per second. */
const EC2_MUTATING: RateLimit = { capacity: 200, refillPerSecond: 5 };
/** CloudWatch Logs CreateLogGroup and DescribeLogGroups: 5 TPS per account and region (adjustable). */
const LOGS_5_TPS: RateLimit = { capacity: 5, refillPerSecond: 5 };
/** CloudWatch Logs DescribeLogStreams: 25 TPS per account and region. */
const LOGS_25_TPS: RateLimit = { capacity: 25, refillPerSecond: 25 };
/** CloudWatch ListMetrics: 25 TPS per account and region. */
const CLOUDWATCH_LIST_METRICS: RateLimit = { capacity: 25, refillPerSecond: 25 };
/** Parameter Store's default throughput: 40 TPS for GetParameter(s) (higher with the paid tier). */
const PARAMETER_STORE_READ: RateLimit = { capacity: 40, refillPerSecond: 40 };
/** Everything else: high enough that fleetwatch's volume never meets it. */
const GENEROUS: RateLimit = { capacity: 1000, refillPerSecond: 1000 };
/**
 * No throttle at all: "Standard queues support a nearly unlimited number of API calls per second,
 * per API action" (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/DistributedQueues.html).
 * A made-up bucket here throttled the running events' enqueues of a 5,000-instance launch storm.
 */
const UNLIMITED = null;

/** Per operation; null: never throttled. */
export const DEFAULT_RATES = {
  DescribeInstances: EC2_DESCRIBE,
  DescribeIamInstanceProfileAssociations: EC2_DESCRIBE,
  AssociateIamInstanceProfile: EC2_MUTATING,
  ReplaceIamInstanceProfileAssociation: EC2_MUTATING,
  GetInstanceProfile: GENEROUS,
  ListAttachedRolePolicies: GENEROUS,
  AttachRolePolicy: GENEROUS,
  DescribeInstanceInformation: GENEROUS,
  GetParameters: PARAMETER_STORE_READ,
  GetParameter: PARAMETER_STORE_READ,
  PutParameter: GENEROUS,
  SendCommand: GENEROUS,
  ListCommandInvocations: GENEROUS,
  // Once per sweep: never near any quota.
  DescribeDocument: GENEROUS,
  DescribeLogGroups: LOGS_5_TPS,
  CreateLogGroup: LOGS_5_TPS,
  // Not in the brief's documented set; left generous rather than guessed.
  PutRetentionPolicy: GENEROUS,
  DescribeLogStreams: LOGS_25_TPS,
  // No documented quota we could cite; left generous rather than guessed.
  ListTagsForResource: GENEROUS,
  ListMetrics: CLOUDWATCH_LIST_METRICS,
  GetItem: GENEROUS,
  BatchGetItem: GENEROUS,
  Scan: GENEROUS,
  PutItem: GENEROUS,
  SendMessageBatch: UNLIMITED,
  PutEvents: GENEROUS,
} satisfies Record<Operation, RateLimit | null>;
