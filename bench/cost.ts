/**
 * What a run cost in dollars, from bench/prices.ts: the Lambda invocations the simulated stack
 * recorded (their virtual run time at each function's memory), and the priced requests among
 * the API calls the simulated account counted. Assumptions where the account does not count the
 * unit AWS bills are stated next to them and in the bench notes.
 */
import type { Operation } from '../local/index.js';
import type { Invocation } from '../local/stack.js';
import { dollars, type PriceName } from './prices.js';
import { functionMemoryMb } from './serverless-yml.js';

export interface CostInput {
  calls: Partial<Record<Operation, number>>;
  invocations: readonly Invocation[];
  /** Entries put on the bus (EventBridge bills each entry, not each PutEvents call). */
  eventEntries: number;
  /** Items a Scan read (the account counts pages, AWS bills by size). */
  scannedItems?: number;
}

export interface CostLine {
  item: string;
  units: number;
  usd: number;
}

/** The Lambda event source mapping receives a worker batch and deletes what succeeded: two SQS requests per invocation. */
const SQS_REQUESTS_PER_WORKER_BATCH = 2;
/** State records and rollout items are well under 1 KB; a Scan reads them eventually consistent, 4 KB per half unit. */
const ASSUMED_ITEM_BYTES = 512;

export function costOf(input: CostInput): CostLine[] {
  const memory = functionMemoryMb();
  const calls = (operation: Operation) => input.calls[operation] ?? 0;
  let gbSeconds = 0;
  for (const invocation of input.invocations) gbSeconds += ((memory[invocation.name] ?? 0) / 1024) * (Math.ceil(invocation.ms) / 1000);
  const workerBatches = input.invocations.filter((invocation) => invocation.name === 'worker').length;
  const line = (item: string, price: PriceName, units: number): CostLine => ({ item, units, usd: dollars(price, units) });
  return [
    line('Lambda invocations', 'lambdaRequest', input.invocations.length),
    line('Lambda GB-seconds', 'lambdaArmGbSecond', gbSeconds),
    // Reads are strongly consistent (lib/aws/state.ts): one unit per item. BatchGetItem is counted
    // one unit per call, as the account does not count its keys: a lower bound.
    line('DynamoDB write units (PutItem)', 'dynamodbWriteRequestUnit', calls('PutItem')),
    line(
      'DynamoDB read units (GetItem, BatchGetItem, Scan)',
      'dynamodbReadRequestUnit',
      calls('GetItem') + calls('BatchGetItem') + ((input.scannedItems ?? 0) * ASSUMED_ITEM_BYTES) / 4096 / 2,
    ),
    line('SQS requests (sends, worker receives and deletes)', 'sqsRequest', calls('SendMessageBatch') + SQS_REQUESTS_PER_WORKER_BATCH * workerBatches),
    line('EventBridge custom events', 'eventBridgeCustomEvent', input.eventEntries),
    line('CloudWatch API requests (ListMetrics)', 'cloudWatchApiRequest', calls('ListMetrics')),
  ];
}

export function totalUsd(lines: readonly CostLine[]): number {
  return lines.reduce((total, line) => total + line.usd, 0);
}

/** "Lambda GB-seconds $0.0123, ..." for the notes, largest first. */
export function describeCost(lines: readonly CostLine[], scale = 1): string {
  return [...lines]
    .filter((line) => line.usd > 0)
    .sort((a, b) => b.usd - a.usd)
    .map((line) => `${line.item} $${(line.usd * scale).toFixed(4)}`)
    .join(', ');
}
