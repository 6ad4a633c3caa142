/** LogsPort: DescribeLogGroups by prefix (50 a page), CreateLogGroup, PutRetentionPolicy. */
import { NotFoundError } from '../../lib/errors.js';
import type { LogsPort } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { anyResource, arnsOf, resourceTags } from './arns.js';
import { paginate } from './paginate.js';

export function logsPort(account: AccountBackend, layer: CallLayer): LogsPort {
  const { logs, clock } = account;
  const arns = arnsOf(account);
  /** A change to an existing group: authorised on the group, whose tags IAM sees as aws:ResourceTag/<key>. */
  const onGroup = (action: string, name: string) => () => [{ action, resource: arns.logGroup(name), context: resourceTags(logs.groups.get(name)?.tags ?? {}) }];
  return {
    describeLogGroups: (namePrefix) =>
      paginate(layer, 'DescribeLogGroups', LIMITS.logGroupsPage, () => logs.namesWithPrefix(namePrefix), (name) => logs.toLogGroup(name), anyResource('logs:DescribeLogGroups')),

    createLogGroup: (input) =>
      layer.call(
        'CreateLogGroup',
        () => {
          logs.create(input, clock.now());
        },
        input.name,
        [
          // Tags given at creation are authorised as aws:RequestTag and need logs:TagResource too.
          { action: 'logs:CreateLogGroup', resource: arns.logGroup(input.name), context: { ...resourceTags(input.tags, ['aws:RequestTag']), 'aws:TagKeys': Object.keys(input.tags) } },
          ...(Object.keys(input.tags).length ? [{ action: 'logs:TagResource', resource: arns.logGroup(input.name), context: { ...resourceTags(input.tags, ['aws:RequestTag']), 'aws:TagKeys': Object.keys(input.tags) } }] : []),
        ],
      ),

    listTags: (logGroupArn) => {
      const name = logGroupArn.slice(logs.arnPrefix.length);
      return layer.call(
        'ListTagsForResource',
        () => {
          const group = logs.groups.get(name);
          if (!group) throw new NotFoundError(`ResourceNotFoundException: log group ${name} does not exist`, { resource: name });
          return { ...group.tags };
        },
        name,
        [{ action: 'logs:ListTagsForResource', resource: arns.logGroup(name) }],
      );
    },

    putRetentionPolicy: (name, retentionInDays) =>
      layer.call('PutRetentionPolicy', () => logs.putRetention(name, retentionInDays), name, onGroup(retentionInDays > 0 ? 'logs:PutRetentionPolicy' : 'logs:DeleteRetentionPolicy', name)),
  };
}
