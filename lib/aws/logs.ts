/** LogsPort on the CloudWatch Logs API. */
import {
  CreateLogGroupCommand,
  ListTagsForResourceCommand,
  DeleteRetentionPolicyCommand,
  paginateDescribeLogGroups,
  PutRetentionPolicyCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { logsKeyPolicyStatement, type Settings } from '../config.js';
import { KmsKeyPolicyError } from '../errors.js';
import type { LogGroup, LogGroupClass, LogsPort } from '../ports.js';
import { collectPages } from './batch.js';
import { callAws } from './errors.js';

/** DescribeLogGroups returns at most 50 per page; with 5 TPS per account and region, fewer pages matter. */
const PAGE_SIZE = 50;

const KNOWN_CLASSES: ReadonlySet<string> = new Set<LogGroupClass>(['STANDARD', 'INFREQUENT_ACCESS']);

/**
 * CloudWatch Logs answers CreateLogGroup with AccessDeniedException when the key's policy does not
 * let the logs service use it (the caller's own grants being fine): say which statement is missing.
 */
function refusedKey(error: unknown, kmsKeyId: string | undefined, name: string, deployment: Pick<Settings, 'region' | 'accountId'>): unknown {
  if (!kmsKeyId || (error as { name?: unknown } | null)?.name !== 'AccessDeniedException') return error;
  return new KmsKeyPolicyError(
    `CreateLogGroup ${name} was denied with KMS key ${kmsKeyId} (${(error as Error).message}): the key policy must allow CloudWatch Logs to use it. ` +
      `Add this statement to the key's policy (README "Security"): ${JSON.stringify(logsKeyPolicyStatement(deployment))}`,
    { resource: name, cause: error },
  );
}

export function createLogsPort(client: CloudWatchLogsClient, deployment: Pick<Settings, 'region' | 'accountId'>): LogsPort {
  return {
    describeLogGroups: (namePrefix) =>
      callAws({ operation: 'DescribeLogGroups', resource: namePrefix }, async () => {
        const groups = await collectPages(
          // logGroupNamePrefix must be at least one character: an empty prefix means "all".
          paginateDescribeLogGroups({ client, pageSize: PAGE_SIZE }, namePrefix ? { logGroupNamePrefix: namePrefix } : {}),
          (page) => page.logGroups,
        );
        return groups.flatMap((group): LogGroup[] =>
          group.logGroupName
            ? [
                {
                  name: group.logGroupName,
                  ...(group.logGroupArn && { arn: group.logGroupArn }),
                  ...(group.retentionInDays !== undefined && { retentionInDays: group.retentionInDays }),
                  ...(group.kmsKeyId && { kmsKeyId: group.kmsKeyId }),
                  // DELIVERY groups (vended logs) are not ours to manage; they show as no class.
                  ...(group.logGroupClass && KNOWN_CLASSES.has(group.logGroupClass) && { logGroupClass: group.logGroupClass as LogGroupClass }),
                },
              ]
            : [],
        );
      }),

    createLogGroup: (input) =>
      callAws({ operation: 'CreateLogGroup', resource: input.name }, async () => {
        try {
          await client.send(
            new CreateLogGroupCommand({
              logGroupName: input.name,
              ...(input.kmsKeyId && { kmsKeyId: input.kmsKeyId }),
              ...(input.logGroupClass && { logGroupClass: input.logGroupClass }),
              tags: input.tags,
            }),
          );
        } catch (error) {
          throw refusedKey(error, input.kmsKeyId, input.name, deployment);
        }
      }),

    listTags: (logGroupArn) =>
      callAws({ operation: 'ListTagsForResource', resource: logGroupArn }, async () => {
        const result = await client.send(new ListTagsForResourceCommand({ resourceArn: logGroupArn }));
        return result.tags ?? {};
      }),

    putRetentionPolicy: (name, retentionInDays) =>
      callAws({ operation: retentionInDays > 0 ? 'PutRetentionPolicy' : 'DeleteRetentionPolicy', resource: name }, async () => {
        // PutRetentionPolicy has no "never expire" value; -1 (config's never-expire) removes the policy.
        if (retentionInDays <= 0) await client.send(new DeleteRetentionPolicyCommand({ logGroupName: name }));
        else await client.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays }));
      }),
  };
}
