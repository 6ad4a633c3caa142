/**
 * The one place SDK exceptions become the typed errors of lib/errors.ts. Adapters wrap every
 * call in `callAws`; nothing above lib/aws ever sees an SDK exception. Mapping is by the
 * error's `name` (EC2 has no modelled exception classes, so `instanceof` would not work; IAM's
 * are named after the class, e.g. NoSuchEntityException for the NoSuchEntity code) and by HTTP
 * status for 5xx.
 * Anything not recognised is rethrown unchanged so that it surfaces as-is.
 */
import {
  AlreadyExistsError,
  ConflictError,
  FleetwatchError,
  IamNotPropagatedError,
  IncorrectStateError,
  NotFoundError,
  NotYetManagedError,
  ServiceUnavailableError,
  ThrottledError,
  type ErrorContext,
} from '../errors.js';

/** What a call was about, so that the mapped error names it. */
export interface AwsCallContext {
  /** The API operation, e.g. "SendCommand"; it leads the message. */
  operation: string;
  instanceId?: string;
  /** A batch call: the error names the id the AWS message mentions, else the only one. */
  instanceIds?: readonly string[];
  commandId?: string;
  /** A parameter, log group, role, profile, table or queue. */
  resource?: string;
}

type TypedErrorClass = new (message: string, context: ErrorContext) => FleetwatchError;

const NOT_FOUND = new Set([
  'InvalidInstanceID.NotFound', // EC2
  'InvalidAssociationID.NotFound', // EC2 profile associations
  'NoSuchEntity', // IAM
  'NoSuchEntityException', // IAM as the SDK throws it: the modelled class for the NoSuchEntity code
  'ParameterNotFound', // SSM
  'ParameterVersionNotFound', // SSM "name:version"
  'ResourceNotFoundException', // Logs, DynamoDB
  'ParentNotFoundException', // Organizations: an OU or root id that is not in the organization
]);

const THROTTLED = new Set([
  'Throttling', // IAM
  'ThrottlingException', // SSM, Logs, EventBridge, SQS (JSON protocol), DynamoDB
  'RequestLimitExceeded', // EC2, DynamoDB account-level
  'TooManyRequestsException', // SSM
  'ProvisionedThroughputExceededException', // DynamoDB
  'RequestThrottled', // SQS (query protocol)
]);

const INCORRECT_STATE = new Set(['IncorrectState', 'IncorrectInstanceState']);

/** Errors AWS raises for its own trouble when no HTTP status came back (or a modelled one of its own). */
const UNAVAILABLE = new Set(['InternalError', 'InternalFailure', 'InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException', 'TimeoutError']);
/** Socket-level failures the SDK retried already (Node's error codes). */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * EC2 answers AssociateIamInstanceProfile with InvalidParameterValue ("Value (…) for parameter
 * iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name") while a new profile
 * is still propagating from IAM, which takes several seconds.
 */
const IAM_NOT_PROPAGATED = /instance ?profile/i;

/** `i-` followed by 8 or 17 hex digits: the two EC2 instance id formats. */
const INSTANCE_ID = /\bi-(?:[0-9a-f]{17}|[0-9a-f]{8})\b/g;

function classify(name: string, message: string, status: number | undefined, code: string | undefined): TypedErrorClass | undefined {
  if (NOT_FOUND.has(name)) return NotFoundError;
  if (name === 'ResourceAlreadyExistsException') return AlreadyExistsError;
  if (THROTTLED.has(name)) return ThrottledError;
  // SSM's code for an instance it does not (yet) know; not EC2's InvalidInstanceID.* family.
  if (name === 'InvalidInstanceId') return NotYetManagedError;
  if (INCORRECT_STATE.has(name)) return IncorrectStateError;
  if (name === 'InvalidParameterValue' && IAM_NOT_PROPAGATED.test(message)) return IamNotPropagatedError;
  if (name === 'ConditionalCheckFailedException') return ConflictError;
  if ((status !== undefined && status >= 500) || UNAVAILABLE.has(name) || (code !== undefined && NETWORK_CODES.has(code))) {
    return ServiceUnavailableError;
  }
  return undefined;
}

/** The instance a batch error is about: the one the AWS message names, else the only one asked about. */
function instanceOf(context: AwsCallContext, message: string): string | undefined {
  if (context.instanceId) return context.instanceId;
  const ids = context.instanceIds ?? [];
  const named = message.match(INSTANCE_ID)?.find((id) => ids.includes(id));
  return named ?? (ids.length === 1 ? ids[0] : undefined);
}

/** The typed error for an SDK error, or the error itself (unchanged) when it is not one we know. */
export function mapAwsError(error: unknown, context: AwsCallContext): unknown {
  if (!(error instanceof Error) || error instanceof FleetwatchError) return error;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: unknown }).code;
  const Typed = classify(error.name, error.message, status, typeof code === 'string' ? code : undefined);
  if (!Typed) return error;

  const instanceId = instanceOf(context, error.message);
  const batch = !instanceId && context.instanceIds?.length ? context.instanceIds.join(',') : undefined;
  const resource = context.resource ?? batch;
  const about = [instanceId, context.commandId, resource].filter(Boolean).join(' ');
  return new Typed(`${context.operation}${about ? ` ${about}` : ''}: ${error.name}: ${error.message}`, {
    cause: error,
    ...(instanceId && { instanceId }),
    ...(context.commandId && { commandId: context.commandId }),
    ...(resource && { resource }),
  });
}

/** Runs one AWS call (or a whole paginated read) and maps whatever it throws. */
export async function callAws<T>(context: AwsCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapAwsError(error, context);
  }
}

/** For reads whose port contract says "undefined when it does not exist". */
export async function undefinedIfNotFound<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
