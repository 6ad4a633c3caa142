/**
 * Schemas of the EventBridge events fleetwatch's rules deliver (their shapes as AWS documents them).
 * The rules already filter on source and detail-type; these schemas check what the code relies on,
 * so a malformed or unexpected event is rejected with a reason instead of half-handled.
 */
import { InvalidInputError } from '../errors.js';
import { INSTANCE_ID_PATTERN } from '../model/ids.js';
import * as z from '../schema.js';

const instanceId = z.string().check(z.regex(INSTANCE_ID_PATTERN, 'is not an EC2 instance id'));

const envelope = <S extends string, D extends string, T extends z.ZodMiniType>(source: S, detailType: D, detail: T) =>
  z.object({
    source: z.literal(source),
    'detail-type': z.literal(detailType),
    id: z.optional(z.string()),
    time: z.optional(z.string()),
    // EventBridge always sets both; they are compared with the deployment's (parseEvent).
    account: z.string(),
    region: z.string(),
    resources: z.optional(z.array(z.string())),
    detail,
  });

export const ec2StateChangeSchema = envelope(
  'aws.ec2',
  'EC2 Instance State-change Notification',
  z.object({
    'instance-id': instanceId,
    state: z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']),
  }),
);

export const tagChangeSchema = z.extend(
  envelope(
    'aws.tag',
    'Tag Change on Resource',
    z.object({
      'changed-tag-keys': z.array(z.string()),
      service: z.literal('ec2'),
      'resource-type': z.literal('instance'),
      tags: z.optional(z.record(z.string(), z.string())),
    }),
  ),
  {
    // The instance is only in `resources`: arn:aws:ec2:region:account:instance/i-…
    resources: z.array(z.string()).check(z.minLength(1)),
  },
);

export const parameterChangeSchema = envelope(
  'aws.ssm',
  'Parameter Store Change',
  z.object({
    operation: z.enum(['Create', 'Update', 'Delete', 'LabelParameterVersion']),
    name: z.string().check(z.minLength(1)),
    type: z.optional(z.string()),
  }),
);

const commandStatus = z.enum(['Pending', 'InProgress', 'Delayed', 'Success', 'Cancelled', 'TimedOut', 'Failed', 'Cancelling']);

export const commandInvocationSchema = envelope(
  'aws.ssm',
  'EC2 Command Invocation Status-change Notification',
  z.object({
    'command-id': z.string().check(z.minLength(1)),
    'document-name': z.string().check(z.minLength(1)),
    'instance-id': instanceId,
    status: commandStatus,
  }),
);

/** Where the stage is deployed: an event from anywhere else is not about its fleet. */
export interface Deployment {
  accountId: string;
  region: string;
}

/**
 * Parses an event or throws InvalidInputError naming every field that is off. An event of another
 * account or region is refused too: a rule on the default bus sees only its own account's events,
 * but a cross-account bus target or anyone allowed to invoke the function could send one, and its
 * instance ids and parameter names would be taken for this deployment's.
 */
export function parseEvent<T extends z.ZodMiniType>(schema: T, event: unknown, what: string, deployment: Deployment): z.infer<T> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
    throw new InvalidInputError(`malformed ${what} event: ${problems.join('; ')}`);
  }
  const { account, region } = parsed.data as { account: string; region: string };
  if (account !== deployment.accountId) throw new InvalidInputError(`${what} event of account ${account}, not this deployment's ${deployment.accountId}`);
  if (region !== deployment.region) throw new InvalidInputError(`${what} event of region ${region}, not this deployment's ${deployment.region}`);
  return parsed.data;
}

/** arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc… → i-0abc…, or undefined when not an instance ARN. */
export function instanceIdFromArn(arn: string): string | undefined {
  const match = /:instance\/(i-[0-9a-f]+)$/.exec(arn);
  return match && INSTANCE_ID_PATTERN.test(match[1]!) ? match[1] : undefined;
}
