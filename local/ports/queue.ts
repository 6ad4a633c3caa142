/** QueuePort: SendMessageBatch, 10 messages a call, DelaySeconds clamped to SQS's 0..900. */
import type { QueuePort } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { arnsOf } from './arns.js';
import { batched } from './paginate.js';

export function queuePort(account: AccountBackend, layer: CallLayer): QueuePort {
  return {
    async enqueue(items, delaySeconds) {
      await batched(layer, 'SendMessageBatch', items, LIMITS.sendMessageBatch, (batch) =>
        batch.map((item) => account.queue.send(item, delaySeconds)),
        // SendMessageBatch is authorised as sqs:SendMessage.
        () => [{ action: 'sqs:SendMessage', resource: arnsOf(account).queue }],
      );
    },
  };
}
