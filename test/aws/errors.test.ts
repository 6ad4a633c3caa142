import { describe, expect, it } from 'vitest';
import { callAws, mapAwsError, undefinedIfNotFound } from '../../lib/aws/errors.js';
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
} from '../../lib/errors.js';
import { awsError } from './helpers.js';

const INSTANCE = 'i-0123456789abcdef0';

describe('mapAwsError', () => {
  const table: [name: string, message: string, status: number, expected: typeof FleetwatchError][] = [
    ['InvalidInstanceID.NotFound', `The instance ID '${INSTANCE}' does not exist`, 400, NotFoundError],
    ['InvalidAssociationID.NotFound', 'The association iip-assoc-1 does not exist', 400, NotFoundError],
    // The SDK names IAM's NoSuchEntity code after its modelled class (the contract test found it).
    ['NoSuchEntityException', 'Instance Profile x cannot be found.', 404, NotFoundError],
    ['NoSuchEntity', 'Instance Profile x cannot be found.', 404, NotFoundError],
    ['ParameterNotFound', '', 400, NotFoundError],
    ['ParameterVersionNotFound', '', 400, NotFoundError],
    ['ResourceNotFoundException', 'The specified log group does not exist.', 400, NotFoundError],
    ['ResourceAlreadyExistsException', 'The specified log group already exists', 400, AlreadyExistsError],
    ['Throttling', 'Rate exceeded', 400, ThrottledError],
    ['ThrottlingException', 'Rate exceeded', 400, ThrottledError],
    ['RequestLimitExceeded', 'Request limit exceeded.', 503, ThrottledError],
    ['TooManyRequestsException', '', 400, ThrottledError],
    ['ProvisionedThroughputExceededException', '', 400, ThrottledError],
    ['InvalidInstanceId', 'Instances not in a valid state for account', 400, NotYetManagedError],
    ['IncorrectState', `There is an existing association for instance ${INSTANCE}`, 400, IncorrectStateError],
    [
      'InvalidParameterValue',
      'Value (fleetwatch-dev-agent) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name',
      400,
      IamNotPropagatedError,
    ],
    ['ConditionalCheckFailedException', 'The conditional request failed', 400, ConflictError],
    ['InternalError', 'An internal error has occurred', 500, ServiceUnavailableError],
    ['SomethingNew', 'Service Unavailable', 503, ServiceUnavailableError],
  ];

  it.each(table)('%s → %O, naming the instance and keeping the cause', (name, message, status, expected) => {
    const sdkError = awsError(name, message, status);
    const mapped = mapAwsError(sdkError, { operation: 'SomeCall', instanceId: INSTANCE });
    expect(mapped).toBeInstanceOf(expected);
    const typed = mapped as FleetwatchError;
    expect(typed.name).toBe(expected.name);
    expect(typed.instanceId).toBe(INSTANCE);
    expect(typed.cause).toBe(sdkError);
    expect(typed.message).toContain('SomeCall');
    expect(typed.message).toContain(INSTANCE);
    expect(typed.message).toContain(name);
  });

  it('carries the resource and command id', () => {
    const mapped = mapAwsError(awsError('ParameterNotFound'), { operation: 'GetParameter', resource: 'AmazonCloudWatch-x:3' });
    expect(mapped).toMatchObject({ name: 'NotFoundError', resource: 'AmazonCloudWatch-x:3' });
    const byCommand = mapAwsError(awsError('ThrottlingException'), { operation: 'ListCommandInvocations', commandId: 'cmd-1' });
    expect(byCommand).toMatchObject({ name: 'ThrottledError', commandId: 'cmd-1' });
  });

  it('names the instance of a batch that the AWS message mentions', () => {
    const ids = ['i-0000000000000000a', INSTANCE, 'i-0000000000000000b'];
    const mapped = mapAwsError(awsError('InvalidInstanceId', `Instances [[${INSTANCE}]] not in a valid state`), {
      operation: 'SendCommand',
      instanceIds: ids,
    });
    expect(mapped).toBeInstanceOf(NotYetManagedError);
    expect((mapped as NotYetManagedError).instanceId).toBe(INSTANCE);
  });

  it('names the whole batch when the message names no instance of it', () => {
    const ids = ['i-0000000000000000a', 'i-0000000000000000b'];
    const mapped = mapAwsError(awsError('InvalidInstanceId', 'Instances not in a valid state'), { operation: 'SendCommand', instanceIds: ids });
    expect(mapped).toMatchObject({ instanceId: undefined, resource: ids.join(',') });
  });

  it('maps InvalidParameterValue only when it is about the instance profile', () => {
    const other = awsError('InvalidParameterValue', 'Value (x) for parameter groupId is invalid.');
    expect(mapAwsError(other, { operation: 'X' })).toBe(other);
  });

  it('maps network failures that outlived the retries to ServiceUnavailableError', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(mapAwsError(reset, { operation: 'X' })).toBeInstanceOf(ServiceUnavailableError);
  });

  it('returns unknown errors, non-errors and already typed errors unchanged', () => {
    const denied = awsError('AccessDeniedException', 'not authorized', 403);
    expect(mapAwsError(denied, { operation: 'X', instanceId: INSTANCE })).toBe(denied);
    expect(mapAwsError('boom', { operation: 'X' })).toBe('boom');
    const typed = new ConflictError('lost');
    expect(mapAwsError(typed, { operation: 'X' })).toBe(typed);
  });
});

describe('callAws', () => {
  it('returns the result, or throws the mapped error', async () => {
    await expect(callAws({ operation: 'X' }, async () => 42)).resolves.toBe(42);
    await expect(
      callAws({ operation: 'CreateLogGroup', resource: '/a' }, async () => {
        throw awsError('ResourceAlreadyExistsException');
      }),
    ).rejects.toMatchObject({ name: 'AlreadyExistsError', resource: '/a' });
  });

  it('rethrows an unknown error as it is', async () => {
    const denied = awsError('AccessDenied', 'no', 403);
    await expect(
      callAws({ operation: 'X' }, async () => {
        throw denied;
      }),
    ).rejects.toBe(denied);
  });
});

describe('undefinedIfNotFound', () => {
  it('turns NotFoundError into undefined and lets others through', async () => {
    await expect(undefinedIfNotFound(Promise.reject(new NotFoundError('gone')))).resolves.toBeUndefined();
    await expect(undefinedIfNotFound(Promise.reject(new ThrottledError('slow')))).rejects.toBeInstanceOf(ThrottledError);
    await expect(undefinedIfNotFound(Promise.resolve(1))).resolves.toBe(1);
  });
});
