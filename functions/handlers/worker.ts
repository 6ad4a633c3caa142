/**
 * The work-queue worker. The instance items of an SQS batch are reconciled together, with the same
 * plan and execute as `reconcile` (one observation for the batch); a rollout or a fan-out batch is
 * handled on its own. Partial batch failures: only the messages whose actions failed go back, and
 * after the queue's maxReceiveCount they land in the DLQ, their last error in the log.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { InvalidInputError } from '../../lib/errors.js';
import { organizationOf } from '../../lib/config.js';
import { handleWorkItems } from '../../lib/entry/worker.js';
import { organizationAccess } from '../../lib/organization/route.js';
import { handleOrgWorkItems } from '../../lib/organization/worker.js';
import { workItemTarget, type WorkItem } from '../../lib/ports.js';
import { COMMAND_ID_PATTERN } from '../../lib/model/ids.js';
import { parseWorkItem } from '../../lib/model/work-item.js';
import { lambda, type Environment } from '../handler.js';

export const createHandler = (environment: Environment) =>
  lambda(async (event: SQSEvent, runtime): Promise<SQSBatchResponse> => {
    const { ports, settings } = runtime;
    const items: { messageId: string; item: WorkItem }[] = [];
    for (const record of event.Records) {
      try {
        items.push({ messageId: record.messageId, item: parseWorkItem(record.body) });
      } catch (error) {
        // A body we cannot read will never become readable: log it, count it, and let it go.
        if (!(error instanceof InvalidInputError)) throw error;
        ports.log.warn('work item rejected', { reason: error.message, messageId: record.messageId });
        ports.metrics.count('EventsRejected');
      }
    }
    // An error here (the observation itself failed) fails the whole batch: every item comes back.
    // The organization mode groups the items by account-region and runs this same worker in each.
    const work = items.map(({ item }) => item);
    const results = organizationOf(settings)
      ? await handleOrgWorkItems({ ports, settings, organization: organizationAccess(runtime) }, work)
      : await handleWorkItems(ports, settings, work);
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    results.forEach((result, index) => {
      const { messageId, item } = items[index]!;
      for (const line of result.lines) {
        // Every line names its instance and, for a command that went out, the command id.
        const ids = {
          ...('instanceId' in item ? { instanceId: item.instanceId } : /^i-/.test(line.target) && { instanceId: line.target }),
          ...(line.outcome === 'done' && COMMAND_ID_PATTERN.test(line.outcomeDetail ?? '') && { commandId: line.outcomeDetail }),
        };
        ports.log.info(`${line.action}: ${line.detail}`, { ...line, ...ids, workItem: workItemTarget(item), ...item.cell });
      }
      if (result.failed > 0) {
        const errors = result.lines.filter((line) => line.outcome === 'failed').map((line) => line.outcomeDetail);
        ports.log.warn('work item failed; SQS delivers it again', { workItem: workItemTarget(item), messageId, errors, ...item.cell });
        batchItemFailures.push({ itemIdentifier: messageId });
      }
    });
    return { batchItemFailures };
  }, environment);
