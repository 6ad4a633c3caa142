/**
 * `fleetwatch redrive`: puts a stage's failed work back (README "Re-driving failed work").
 *
 * - The work queue's dead-letter queue: an SQS message move task back to its source queue, the
 *   work queue (SQS's own redrive; it runs on after this returns).
 * - The failed-event queue, the on-failure destination of the EventBridge-invoked functions: each
 *   message is Lambda's invocation record; its event (requestPayload) is sent again to its function
 *   (requestContext.functionArn) as an asynchronous invoke, then the message is deleted. A message
 *   that cannot be sent stays on the queue and is reported.
 *
 * Safe to repeat: every state write is conditional on the revision it read, so an item handled
 * twice changes nothing twice.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface RedriveClients {
  sqs: SQSClient;
  lambda: LambdaClient;
}

export interface RedriveResult {
  deadLetterQueue: string;
  /** Work items on the dead-letter queue when the move task started (SQS's approximate count). */
  workItemsMoved: number;
  failedEventQueue: string;
  eventsRedriven: number;
  /** One line per message left on the failed-event queue: its id and why. */
  eventsLeft: string[];
}

/** How long a received failed event stays hidden while it is sent again: a failure reappears after it. */
const VISIBILITY_SECONDS = 300;

export async function redrive(stage: string, { sqs, lambda }: RedriveClients): Promise<RedriveResult> {
  const prefix = `fleetwatch-${stage}`;
  const deadLetterQueue = `${prefix}-work-dlq`;
  const failedEventQueue = `${prefix}-event-failures`;

  const dlqUrl = await queueUrl(sqs, deadLetterQueue);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }));
  const workItemsMoved = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  // No destination: SQS moves the messages back to the queue they came from, the work queue.
  if (workItemsMoved > 0) await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: Attributes?.QueueArn }));

  const eventsUrl = await queueUrl(sqs, failedEventQueue);
  let eventsRedriven = 0;
  const eventsLeft: string[] = [];
  for (;;) {
    // Long polling (WaitTimeSeconds > 0) asks every SQS server: a short poll can answer empty early.
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: eventsUrl, MaxNumberOfMessages: 10, VisibilityTimeout: VISIBILITY_SECONDS, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      try {
        const { functionArn, event } = invocationRecord(message, prefix);
        await lambda.send(new InvokeCommand({ FunctionName: functionArn, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(event)) }));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: eventsUrl, ReceiptHandle: message.ReceiptHandle }));
        eventsRedriven++;
      } catch (error) {
        eventsLeft.push(`${message.MessageId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  return { deadLetterQueue, workItemsMoved, failedEventQueue, eventsRedriven, eventsLeft };
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  return QueueUrl!;
}

/**
 * The function and event of Lambda's invocation record, only for a function of this stage: a
 * message someone put on the queue by hand must not get any function invoked.
 */
function invocationRecord(message: Message, prefix: string): { functionArn: string; event: unknown } {
  let record: { requestContext?: { functionArn?: unknown }; requestPayload?: unknown };
  try {
    record = JSON.parse(message.Body ?? '');
  } catch {
    throw new Error('not a Lambda invocation record (its body is not JSON)');
  }
  const functionArn = record.requestContext?.functionArn;
  if (typeof functionArn !== 'string' || !functionArn.includes(`:function:${prefix}-`)) {
    throw new Error(`not an invocation record of a ${prefix} function (requestContext.functionArn ${JSON.stringify(functionArn)})`);
  }
  if (record.requestPayload === undefined) throw new Error('the invocation record holds no requestPayload');
  return { functionArn, event: record.requestPayload };
}
