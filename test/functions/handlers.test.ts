/**
 * The Lambda handlers as Lambda calls them: environment read at cold start, the event parsed, one
 * lib function called. The SDK is mocked (aws-sdk-client-mock patches every client instance).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const sqs = mockClient(SQSClient);
const sample = (file: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'events', file), 'utf8'));
const context = { functionName: 'fleetwatch-dev-instanceState', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

beforeAll(() => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    FLEETWATCH_STAGE: 'dev',
    FLEETWATCH_ACCOUNT_ID: '123456789012',
    FLEETWATCH_MANAGED_PROFILE_NAME: 'fleetwatch-dev-agent',
    FLEETWATCH_PARAMETER_PREFIX: 'AmazonCloudWatch-fleetwatch-dev-',
    FLEETWATCH_CONFIG_NAMES: 'default,web,windows',
    FLEETWATCH_DOCUMENT_NAME: 'fleetwatch-dev-agent',
    FLEETWATCH_STATE_TABLE: 'fleetwatch-dev-state',
    FLEETWATCH_WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fleetwatch-dev-work',
    POWERTOOLS_METRICS_NAMESPACE: 'fleetwatch',
    POWERTOOLS_DEV: 'true',
  });
});

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '' }], Failed: [] });
});

describe('instanceState', () => {
  it('enqueues the instance of a running event', async () => {
    const { handler } = await import('../../functions/instance-state.js');
    await handler(sample('ec2-running.json'), context);
    const sent = sqs.commandCalls(SendMessageBatchCommand);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.args[0].input.Entries![0]!.MessageBody!)).toEqual({ instanceId: 'i-0abc1234def567890', reason: 'state running', attempt: 0 });
  });

  it('logs and drops a malformed event without throwing (no retry forever)', async () => {
    const { handler } = await import('../../functions/instance-state.js');
    const { metrics } = await import('../../functions/runtime.js');
    const counted = vi.spyOn(metrics, 'addMetric');
    // POWERTOOLS_DEV: the logger and metrics write through the global console.
    const lines: string[] = [];
    const spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    );
    const malformed = sample('ec2-running.json');
    malformed.detail['instance-id'] = '$(reboot)';
    await expect(handler(malformed, context)).resolves.toEqual({ rejected: expect.stringContaining('detail.instance-id') });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    spies.forEach((spy) => spy.mockRestore());
    const output = lines.join('\n');
    expect(output).toContain('event rejected');
    expect(output).toContain('detail.instance-id: is not an EC2 instance id');
    expect(counted).toHaveBeenCalledWith('EventsRejected', 'Count', 1);
    counted.mockRestore();
  });
});

describe('a rejected event is logged within bounds', () => {
  /** Every line the Powertools logger writes during `run` (POWERTOOLS_DEV: through the console). */
  async function logged(run: () => Promise<unknown>): Promise<string[]> {
    const lines: string[] = [];
    const spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    );
    try {
      await run();
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
    return lines;
  }

  it('an event nested 4,000 deep is rejected without crashing the logger', async () => {
    const { handler } = await import('../../functions/instance-state.js');
    const deep = sample('ec2-running.json');
    let node: Record<string, unknown> = deep.detail;
    for (let level = 0; level < 4_000; level++) node = (node.nested = {}) as Record<string, unknown>;
    deep.detail['instance-id'] = 'not-an-id';
    let result: unknown;
    const lines = await logged(async () => (result = await handler(deep, context)));
    expect(result).toEqual({ rejected: expect.stringContaining('detail.instance-id') });
    expect(lines.join('\n')).toContain('[deeper levels left out]');
  });

  it('a 1 MB event is not logged whole', async () => {
    const { handler } = await import('../../functions/instance-state.js');
    const big = sample('ec2-running.json');
    big.detail['instance-id'] = 'x'.repeat(1_000_000);
    const lines = await logged(() => handler(big, context));
    const text = lines.join('\n');
    expect(text).toContain('event rejected');
    expect(text.length).toBeLessThan(40_000);
  });
});

describe('every handler loads with the stage environment', () => {
  const modules: Record<string, () => Promise<{ handler?: unknown }>> = {
    reconcile: () => import('../../functions/reconcile.js'),
    worker: () => import('../../functions/worker.js'),
    instanceState: () => import('../../functions/instance-state.js'),
    tagChange: () => import('../../functions/tag-change.js'),
    parameterChange: () => import('../../functions/parameter-change.js'),
    commandOutcome: () => import('../../functions/command-outcome.js'),
  };
  it.each(Object.keys(modules))('%s', async (name) => {
    expect(typeof (await modules[name]!()).handler).toBe('function');
  });
});

describe('the deployed runtime', () => {
  it('is built once per execution environment and logs lib/ lines through Powertools', async () => {
    const { runtime, logger } = await import('../../functions/runtime.js');
    expect(runtime()).toBe(runtime());
    const written = (['debug', 'info', 'warn', 'error'] as const).map((level) => vi.spyOn(logger, level).mockImplementation(() => {}));
    const { log } = runtime().ports;
    log.debug('d');
    log.info('i', { a: 1 });
    log.warn('w');
    log.error('e', { b: 2 });
    expect(written.map((spy) => spy.mock.calls[0])).toEqual([['d', {}], ['i', { a: 1 }], ['w', {}], ['e', { b: 2 }]]);
    written.forEach((spy) => spy.mockRestore());
  });
});
