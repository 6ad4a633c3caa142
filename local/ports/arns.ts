/**
 * The ARNs and condition keys IAM sees for the simulated account's resources, for the record of
 * authorizations (local/calls.ts Authorization). The table and the queue carry fixed names here:
 * the permissions test maps the template's StateTable and WorkQueue to them.
 */
import type { Authorization } from '../calls.js';
import type { AccountBackend } from './backend.js';

export const SIMULATED_TABLE_NAME = 'fleetwatch-state';
export const SIMULATED_QUEUE_NAME = 'fleetwatch-work';
export const EVENT_BUS_NAME = 'default';

type Tags = Record<string, string>;

/** Condition keys of a resource's tags: aws:ResourceTag/<key> (and ssm:resourceTag/<key> where SSM reads them). */
export function resourceTags(tags: Tags, prefixes: readonly string[] = ['aws:ResourceTag']): Record<string, string> {
  const context: Record<string, string> = {};
  for (const prefix of prefixes) for (const [key, value] of Object.entries(tags)) context[`${prefix}/${key}`] = value;
  return context;
}

export function arnsOf(account: Pick<AccountBackend, 'accountId' | 'region'>) {
  const { accountId, region } = account;
  const regional = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
  return {
    instance: (instanceId: string) => regional('ec2', `instance/${instanceId}`),
    parameter: (name: string) => regional('ssm', `parameter/${name}`),
    document: (name: string) => regional('ssm', `document/${name}`),
    /** A document AWS owns (e.g. a Distributor package): its ARN names no account. */
    awsDocument: (name: string) => `arn:aws:ssm:${region}::document/${name}`,
    role: (roleName: string) => `arn:aws:iam::${accountId}:role/${roleName}`,
    instanceProfile: (profileName: string) => `arn:aws:iam::${accountId}:instance-profile/${profileName}`,
    logGroup: (name: string) => regional('logs', `log-group:${name}`),
    table: regional('dynamodb', `table/${SIMULATED_TABLE_NAME}`),
    queue: regional('sqs', SIMULATED_QUEUE_NAME),
    eventBus: regional('events', `event-bus/${EVENT_BUS_NAME}`),
  };
}

/** Actions without resource-level permissions are authorised on "*". */
export const anyResource = (action: string): Authorization[] => [{ action, resource: '*' }];
