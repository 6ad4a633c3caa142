/**
 * Typed errors. Every error names the resource it is about (instance, command, parameter,
 * log group, role) so that a log line or a DLQ message says what failed without a stack trace.
 * Adapters in lib/aws map SDK errors onto these; domain code only ever sees these.
 */

export interface ErrorContext {
  instanceId?: string;
  commandId?: string;
  resource?: string;
  cause?: unknown;
}

export class FleetwatchError extends Error {
  readonly instanceId?: string;
  readonly commandId?: string;
  readonly resource?: string;

  constructor(message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.instanceId = context.instanceId;
    this.commandId = context.commandId;
    this.resource = context.resource;
  }

  /** Plain fields for a structured log line or a state-table record. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      ...(this.instanceId && { instanceId: this.instanceId }),
      ...(this.commandId && { commandId: this.commandId }),
      ...(this.resource && { resource: this.resource }),
    };
  }
}

/** The resource does not exist. On delete this is success (an ensure). */
export class NotFoundError extends FleetwatchError {}
/** The resource exists already. On create this is success (an ensure). */
export class AlreadyExistsError extends FleetwatchError {}
/** AWS throttled the call after the SDK's own retries ran out. Retry later. */
export class ThrottledError extends FleetwatchError {}
/** The instance is not (yet) registered with SSM: SendCommand answers InvalidInstanceId. */
export class NotYetManagedError extends FleetwatchError {}
/** A role or instance profile exists but EC2 does not see it yet (IAM is eventually consistent). */
export class IamNotPropagatedError extends FleetwatchError {}
/** The instance is in a state that does not allow the call (e.g. a second profile association). */
export class IncorrectStateError extends FleetwatchError {}
/** A conditional write lost: someone else changed the record first. */
export class ConflictError extends FleetwatchError {}
/** AWS answered with a 5xx or a transient network failure that outlived the SDK's retries. */
export class ServiceUnavailableError extends FleetwatchError {}
/** Stage settings are wrong. Raised once, at cold start, naming every problem. */
export class ConfigError extends FleetwatchError {
  constructor(readonly problems: string[]) {
    super(`invalid stage settings:\n  - ${problems.join('\n  - ')}`);
  }
}
/** An agent configuration does not pass the validator. `problems` name the JSON path of each. */
export class InvalidAgentConfigError extends FleetwatchError {
  constructor(
    readonly configName: string,
    readonly problems: string[],
    context: ErrorContext = {},
  ) {
    super(`agent configuration ${configName} is invalid:\n  - ${problems.join('\n  - ')}`, {
      resource: configName,
      ...context,
    });
  }
}
/** Input to a function (an event, a reconcile request) does not match its schema. */
export class InvalidInputError extends FleetwatchError {}

/** CreateLogGroup with the stage's KMS key was refused: the key's policy does not let CloudWatch Logs use it. */
export class KmsKeyPolicyError extends FleetwatchError {}

/** Errors worth retrying later: the same call may succeed once AWS catches up. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof ThrottledError ||
    error instanceof ServiceUnavailableError ||
    error instanceof IamNotPropagatedError ||
    error instanceof NotYetManagedError ||
    error instanceof ConflictError
  );
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Why a member account-region cannot be worked on (organization mode). Each is reported per cell
 * and not retried within the invocation: a missing stack does not appear by retrying.
 */
export type MemberUnreachableReason =
  | 'role-missing' //      AssumeRole: the execution role does not exist (member stack not deployed there)
  | 'access-denied' //     AssumeRole or a call in the member refused (trust policy, SCP)
  | 'throttled' //         the member's API kept throttling after the SDK's retries
  | 'out-of-scope'; //     the account or region is not in the stage's organization scope

/** A member account-region fleetwatch cannot reach; `resource` is "<account>/<region>". */
export class MemberUnreachableError extends FleetwatchError {
  constructor(
    readonly account: string,
    readonly region: string,
    readonly reason: MemberUnreachableReason,
    detail: string,
    cause?: unknown,
  ) {
    super(`member ${account}/${region} unreachable (${reason}): ${detail}`, { resource: `${account}/${region}`, cause });
  }
}
