/** Ec2Port over the simulated account: DescribeInstances (1000 a page, ≤ 200 instance-id filter values), profile associations. */
import type { Ec2Port, Instance } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { toAssociation } from '../world/ec2.js';
import { anyResource, arnsOf, resourceTags } from './arns.js';
import { batched, paginate } from './paginate.js';

export function ec2Port(account: AccountBackend, layer: CallLayer): Ec2Port {
  const { ec2, clock, iam } = account;
  const arns = arnsOf(account);
  /** Associate and Replace: on the instance (its tags), and iam:PassRole of the profile's role to EC2. */
  const associating = (action: string, instanceId: string, profileName: string) => () => {
    const roleName = iam.profiles.get(profileName)?.roleName;
    return [
      { action, resource: arns.instance(instanceId), context: resourceTags(ec2.get(instanceId)?.tags ?? {}) },
      ...(roleName === undefined ? [] : [{ action: 'iam:PassRole', resource: arns.role(roleName), context: { 'iam:PassedToService': 'ec2.amazonaws.com' } }]),
    ];
  };
  return {
    describeInstancesByTagKey: (tagKey) =>
      // Filters tag-key and instance-state-name (all but terminated) apply before paging.
      paginate(
        layer,
        'DescribeInstances',
        LIMITS.describeInstancesPage,
        () => {
          const found = [];
          for (const id of ec2.idsWithTagKey(tagKey)) {
            const instance = ec2.get(id);
            if (instance && instance.state !== 'terminated' && tagKey in instance.tags) found.push(instance);
          }
          return found;
        },
        (instance) => ec2.toInstance(instance),
        anyResource('ec2:DescribeInstances'),
      ),

    describeInstances: (instanceIds) =>
      // An instance-id filter, not InstanceIds: unknown ids are left out instead of failing the call.
      batched(layer, 'DescribeInstances', [...new Set(instanceIds)], LIMITS.ec2FilterValues, (batch) => {
        const found: Instance[] = [];
        for (const id of batch) {
          const instance = ec2.get(id);
          if (instance && ec2.visible(instance, clock.now())) found.push(ec2.toInstance(instance));
        }
        return found;
      }, () => anyResource('ec2:DescribeInstances')),

    describeProfileAssociations: (instanceIds) =>
      // The two association states take 2 of the call's 200 filter values, as in lib/aws/ec2.ts.
      batched(layer, 'DescribeIamInstanceProfileAssociations', [...new Set(instanceIds)], LIMITS.ec2FilterValues - 2, (batch) =>
        batch.flatMap((id) => {
          const association = ec2.activeAssociationOf(id);
          return association ? [toAssociation(association)] : [];
        }),
        () => anyResource('ec2:DescribeIamInstanceProfileAssociations'),
      ),

    associateProfile: (instanceId, profileName) =>
      layer.call('AssociateIamInstanceProfile', () => account.serveAssociate(instanceId, profileName), instanceId, associating('ec2:AssociateIamInstanceProfile', instanceId, profileName)),

    replaceProfile: (associationId, profileName, instanceId) =>
      layer.call(
        'ReplaceIamInstanceProfileAssociation',
        () => account.serveReplace(associationId, profileName, instanceId),
        instanceId,
        associating('ec2:ReplaceIamInstanceProfileAssociation', instanceId, profileName),
      ),
  };
}
