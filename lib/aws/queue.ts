/** QueuePort on the SQS work queue. */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { FleetwatchError, ServiceUnavailableError } from '../errors.js';
import { workItemTarget, type QueuePort } from '../ports.js';
import { chunk } from './batch.js';
import { callAws } from './errors.js';

/** SendMessageBatch takes at most 10 entries. */
const BATCH_MAX = 10;
/** SQS allows a per-message DelaySeconds of 0 to 900 (15 minutes); anything else fails the entry. */
const MAX_DELAY_SECONDS = 900;

export function clampDelaySeconds(delaySeconds: number | undefined): number {
  if (delaySeconds === undefined || !Number.isFinite(delaySeconds)) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds)));
}

export function createQueuePort(client: SQSClient, queueUrl: string): QueuePort {
  /** Sends the entries; returns the ones SQS refused, with why. */
  const send = async (entries: SendMessageBatchRequestEntry[], instanceIds: string[]) => {
    const result = await callAws({ operation: 'SendMessageBatch', instanceIds, resource: queueUrl }, () =>
      client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })),
    );
    return result.Failed ?? [];
  };

  return {
    async enqueue(items, delaySeconds) {
      const delay = clampDelaySeconds(delaySeconds);
      for (const batch of chunk(items, BATCH_MAX)) {
        // Entry ids only need to be unique within one request; the index is, even for one instance twice.
        const entries = batch.map((item, index) => ({ Id: String(index), MessageBody: JSON.stringify(item), DelaySeconds: delay }));
        const instanceOf = (id: string | undefined) => (batch[Number(id)] ? workItemTarget(batch[Number(id)]!) : `entry ${id}`);
        const ids = batch.map(workItemTarget);

        // SendMessageBatch succeeds as a call while failing single entries (e.g. a throttled or
        // internal error per entry): send those again once, then give up loudly.
        const firstFailed = new Set((await send(entries, ids)).map((failure) => failure.Id));
        if (firstFailed.size === 0) continue;
        const retry = entries.filter((entry) => firstFailed.has(entry.Id));
        const failed = await send(retry, retry.map((entry) => instanceOf(entry.Id)));
        if (failed.length === 0) continue;

        const failedIds = failed.map((failure) => instanceOf(failure.Id));
        const reasons = failed.map((failure) => `${instanceOf(failure.Id)}: ${failure.Code ?? 'unknown'} ${failure.Message ?? ''}`.trim());
        const message = `SendMessageBatch ${queueUrl}: ${failed.length} work item(s) not enqueued after a retry: ${reasons.join('; ')}`;
        // SenderFault means the entry itself is wrong and will never go through; otherwise it is SQS's trouble.
        const Typed = failed.some((failure) => failure.SenderFault) ? FleetwatchError : ServiceUnavailableError;
        throw new Typed(message, { resource: queueUrl, ...(failedIds.length === 1 && { instanceId: failedIds[0] }) });
      }
    },
  };
}
