/**
 * The work-queue worker: one instance per message, reconciled with the same plan and execute as
 * `reconcile`. Partial batch failures: a failed message goes back alone, and after the queue's
 * maxReceiveCount it lands in the DLQ with its last error in the log.
 */
import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseWorkItem } from '../lib/work-item.js';
import { handleWorkItem } from '../lib/onboarding.js';
import { InvalidInputError } from '../lib/errors.js';
import { workItemTarget } from '../lib/ports.js';
import { logger, metrics, runtime } from './runtime.js';

const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<void> {
  const { ports, settings } = runtime();
  let item;
  try {
    item = parseWorkItem(record.body);
  } catch (error) {
    // A body we cannot read will never become readable: log it, count it, and let it go.
    if (!(error instanceof InvalidInputError)) throw error;
    logger.warn('work item rejected', { reason: error.message, messageId: record.messageId });
    metrics.addMetric('EventsRejected', 'Count', 1);
    return;
  }
  const key = 'instanceId' in item ? { instanceId: item.instanceId } : { workItem: workItemTarget(item) };
  logger.appendKeys(key);
  try {
    const result = await handleWorkItem(ports, settings, item);
    if (result.notFound) logger.info('instance not found; nothing to do', { reason: item.reason });
    for (const line of result.lines) logger.info(`${line.action}: ${line.detail}`, { ...line });
    if (result.failed > 0) {
      // Failing the message makes SQS deliver it again; after maxReceiveCount it lands in the DLQ.
      const details = result.lines.filter((l) => l.outcome === 'failed').map((l) => l.outcomeDetail);
      throw new Error(`${result.failed} action(s) failed for ${workItemTarget(item)}: ${details.join('; ')}`);
    }
  } finally {
    logger.removeKeys(Object.keys(key));
  }
}

export const handler = middy(async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, processRecord, processor, { context }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
