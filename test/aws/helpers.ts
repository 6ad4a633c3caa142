/** Shared test fixtures for the lib/aws adapter tests. */
import { createAwsPorts } from '../../lib/aws/clients.js';
import { testSettings } from '../../lib/config.js';
import type { Clock } from '../../lib/clock.js';
import type { Log, Ports } from '../../lib/ports.js';

export const TABLE = 'fleetwatch-dev-state';
export const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/fleetwatch-dev-work';

/** Ports built by the real composition root; tests mock the SDK clients under them with aws-sdk-client-mock. */
export function awsPorts(log?: Log, clock?: Clock): Ports {
  return createAwsPorts({ ...testSettings(), stateTableName: TABLE, workQueueUrl: QUEUE_URL }, { ...(log && { log }), ...(clock && { clock }) });
}

/** An error shaped as the SDK throws it: `name` is the AWS error code, `$metadata` carries the HTTP status. */
export function awsError(name: string, message = `${name} happened`, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 },
  });
}

/** n distinct, well-formed instance ids. */
export function instanceIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
}
