/** LogsPort: DescribeLogGroups by prefix (50 a page), CreateLogGroup, PutRetentionPolicy. */
import type { LogsPort } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { paginate } from './paginate.js';

export function logsPort(account: AccountBackend, layer: CallLayer): LogsPort {
  const { logs, clock } = account;
  return {
    describeLogGroups: (namePrefix) =>
      paginate(layer, 'DescribeLogGroups', LIMITS.logGroupsPage, () => logs.namesWithPrefix(namePrefix), (name) => logs.toLogGroup(name)),

    createLogGroup: (input) =>
      layer.call(
        'CreateLogGroup',
        () => {
          logs.create(input, clock.now());
        },
        input.name,
      ),

    putRetentionPolicy: (name, retentionInDays) =>
      layer.call('PutRetentionPolicy', () => logs.putRetention(name, retentionInDays), name),
  };
}
