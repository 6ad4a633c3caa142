import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { clampDelaySeconds } from '../../lib/aws/queue.js';
import { FleetwatchError, ServiceUnavailableError } from '../../lib/errors.js';
import type { WorkItem } from '../../lib/ports.js';
import { awsPorts, QUEUE_URL } from './helpers.js';

const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());

const items = (n: number): WorkItem[] => Array.from({ length: n }, (_, i) => ({ instanceId: `i-${i}`, reason: 'sweep', attempt: 0 }));
const entriesOf = (call: number) => sqs.commandCalls(SendMessageBatchCommand)[call]?.args[0].input.Entries ?? [];

describe('enqueue', () => {
  it('sends batches of 10 with the JSON work item as body, each item once', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const work = items(23);

    await awsPorts().queue.enqueue(work, 60);

    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: QUEUE_URL });
    const bodies = calls.flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '')));
    expect(bodies).toEqual(work);
    expect(entriesOf(0).every((entry) => entry.DelaySeconds === 60)).toBe(true);
    expect(new Set(entriesOf(0).map((entry) => entry.Id)).size).toBe(10);
  });

  it.each([
    [undefined, 0],
    [-5, 0],
    [899.6, 900],
    [3600, 900],
  ])('clamps a delay of %s s to %s (SQS allows 0..900)', async (asked, sent) => {
    sqs.on(SendMessageBatchCommand).resolves({});
    await awsPorts().queue.enqueue(items(1), asked);
    expect(entriesOf(0)[0]?.DelaySeconds).toBe(sent);
    expect(clampDelaySeconds(asked)).toBe(sent);
  });

  it('sends failed entries once more and succeeds when they go through', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '2', Code: 'InternalError', SenderFault: false }], Successful: [] })
      .resolvesOnce({ Successful: [] });

    await awsPorts().queue.enqueue(items(3));

    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(entriesOf(1).map((entry: SendMessageBatchRequestEntry) => JSON.parse(entry.MessageBody ?? '').instanceId)).toEqual(['i-2']);
  });

  it('raises an error naming the instances that failed twice', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [
        { Id: '0', Code: 'InternalError', SenderFault: false },
        { Id: '1', Code: 'InternalError', SenderFault: false },
      ],
      Successful: [],
    });

    const enqueuing = awsPorts().queue.enqueue(items(3));

    await expect(enqueuing).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(enqueuing).rejects.toThrow(/i-0: InternalError.*i-1: InternalError/);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
  });

  it('names the one instance, and is not transient, when SQS blames the entry', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'InvalidParameterValue', SenderFault: true }], Successful: [] });
    const enqueuing = awsPorts().queue.enqueue(items(1));
    await expect(enqueuing).rejects.toSatisfy(
      (error) => error instanceof FleetwatchError && !(error instanceof ServiceUnavailableError) && error.instanceId === 'i-0',
    );
  });
});
