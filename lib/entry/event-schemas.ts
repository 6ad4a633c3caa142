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
    region: z.optional(z.string()),
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

export const commandStatusSchema = envelope(
  'aws.ssm',
  'EC2 Command Status-change Notification',
  z.object({
    'command-id': z.string().check(z.minLength(1)),
    'document-name': z.string().check(z.minLength(1)),
    status: commandStatus,
  }),
);

/** Parses an event or throws InvalidInputError naming every field that is off. */
export function parseEvent<T extends z.ZodMiniType>(schema: T, event: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
  throw new InvalidInputError(`malformed ${what} event: ${problems.join('; ')}`);
}

/** arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc… → i-0abc…, or undefined when not an instance ARN. */
export function instanceIdFromArn(arn: string): string | undefined {
  const match = /:instance\/(i-[0-9a-f]+)$/.exec(arn);
  return match && INSTANCE_ID_PATTERN.test(match[1]!) ? match[1] : undefined;
}
