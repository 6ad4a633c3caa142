/**
 * CreateLogGroup with the stage's KMS key, denied because the key's policy does not let CloudWatch
 * Logs use the key: the error names the log group, the key and the statement the policy needs.
 */
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsKeyPolicyError } from '../../lib/errors.js';
import { awsError, awsPorts } from './helpers.js';

const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => logs.reset());

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const DENIED = `User: arn:aws:sts::123456789012:assumed-role/fleetwatch-dev-worker/fleetwatch-dev-worker is not authorized to use ${KEY}`;

describe('createLogGroup with a KMS key', () => {
  it('turns AccessDenied into the key-policy statement to add', async () => {
    logs.on(CreateLogGroupCommand).rejects(awsError('AccessDeniedException', DENIED));
    const created = awsPorts().logs.createLogGroup({ name: '/fleetwatch/web/httpd/access', kmsKeyId: KEY, tags: {} });
    await expect(created).rejects.toBeInstanceOf(KmsKeyPolicyError);
    const error = (await created.catch((e: unknown) => e)) as KmsKeyPolicyError;
    expect(error.resource).toBe('/fleetwatch/web/httpd/access');
    expect(error.message).toContain(KEY);
    expect(error.message).toContain('"Principal":{"Service":"logs.eu-west-1.amazonaws.com"}');
    expect(error.message).toContain('"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:eu-west-1:123456789012:log-group:*"');
  });

  it('leaves AccessDenied without a key as it is (a missing grant of the role, not the key)', async () => {
    logs.on(CreateLogGroupCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform logs:CreateLogGroup'));
    const error = await awsPorts().logs.createLogGroup({ name: '/g', tags: {} }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(KmsKeyPolicyError);
    expect((error as Error).name).toBe('AccessDeniedException');
  });
});
