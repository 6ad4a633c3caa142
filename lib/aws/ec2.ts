/** Ec2Port on the EC2 API. */
import {
  AssociateIamInstanceProfileCommand,
  paginateDescribeIamInstanceProfileAssociations,
  paginateDescribeInstances,
  ReplaceIamInstanceProfileAssociationCommand,
  type EC2Client,
  type Filter,
  type IamInstanceProfileAssociation,
  type Instance as SdkInstance,
} from '@aws-sdk/client-ec2';
import type { AssociationState, Ec2Port, Instance, InstanceState, ProfileAssociation } from '../ports.js';
import { chunk, collectPages } from './batch.js';
import { callAws } from './errors.js';

/**
 * EC2 rejects a call carrying more than 200 filter values in all (FilterLimitExceeded). A call by
 * ids fills what its other filters leave: the fewest calls against EC2's describe bucket.
 */
const MAX_FILTER_VALUES = 200;
/** describeInstances by ids: the instance-id filter alone. */
const IDS_PER_INSTANCES_CALL = MAX_FILTER_VALUES;

/** DescribeInstances and DescribeIamInstanceProfileAssociations accept 5..1000 per page; fewer pages, fewer tokens from EC2's describe bucket (100, refill 20/s). */
const PAGE_SIZE = 1000;

/** Every state but terminated: a terminated instance stays visible for up to an hour and needs nothing. */
const LIVE_STATES: InstanceState[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** Only these hold or are about to hold the instance's profile; disassociated ones linger in the API. */
const HOLDING_STATES: AssociationState[] = ['associating', 'associated'];
/** describeProfileAssociations: the instance-id filter beside the two state values. */
const IDS_PER_ASSOCIATIONS_CALL = MAX_FILTER_VALUES - HOLDING_STATES.length;

export function createEc2Port(client: EC2Client): Ec2Port {
  const describe = (filters: Filter[]) =>
    collectPages(paginateDescribeInstances({ client, pageSize: PAGE_SIZE }, { Filters: filters }), (page) =>
      (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []),
    );

  return {
    describeInstancesByTagKey: (tagKey) =>
      callAws({ operation: 'DescribeInstances', resource: `tag-key ${tagKey}` }, async () =>
        (
          await describe([
            { Name: 'tag-key', Values: [tagKey] },
            { Name: 'instance-state-name', Values: LIVE_STATES },
          ])
        ).map(toInstance),
      ),

    async describeInstances(instanceIds) {
      const found: Instance[] = [];
      // By filter, not InstanceIds: one unknown id in InstanceIds fails the whole call with
      // InvalidInstanceID.NotFound, while a filter simply leaves it out.
      for (const ids of chunk(unique(instanceIds), IDS_PER_INSTANCES_CALL)) {
        const page = await callAws({ operation: 'DescribeInstances', instanceIds: ids }, () =>
          describe([{ Name: 'instance-id', Values: ids }]),
        );
        found.push(...page.map(toInstance));
      }
      return found;
    },

    async describeProfileAssociations(instanceIds) {
      const found: ProfileAssociation[] = [];
      for (const ids of chunk(unique(instanceIds), IDS_PER_ASSOCIATIONS_CALL)) {
        const page = await callAws({ operation: 'DescribeIamInstanceProfileAssociations', instanceIds: ids }, () =>
          collectPages(
            paginateDescribeIamInstanceProfileAssociations(
              { client, pageSize: PAGE_SIZE },
              {
                Filters: [
                  { Name: 'instance-id', Values: ids },
                  { Name: 'state', Values: HOLDING_STATES },
                ],
              },
            ),
            (result) => result.IamInstanceProfileAssociations,
          ),
        );
        found.push(...page.map(toAssociation));
      }
      return found;
    },

    associateProfile: (instanceId, profileName) =>
      callAws({ operation: 'AssociateIamInstanceProfile', instanceId, resource: profileName }, async () => {
        const result = await client.send(
          new AssociateIamInstanceProfileCommand({ InstanceId: instanceId, IamInstanceProfile: { Name: profileName } }),
        );
        return toAssociation(result.IamInstanceProfileAssociation ?? {});
      }),

    replaceProfile: (associationId, profileName, instanceId) =>
      callAws({ operation: 'ReplaceIamInstanceProfileAssociation', instanceId, resource: associationId }, async () => {
        const result = await client.send(
          new ReplaceIamInstanceProfileAssociationCommand({
            AssociationId: associationId,
            IamInstanceProfile: { Name: profileName },
          }),
        );
        return toAssociation(result.IamInstanceProfileAssociation ?? {});
      }),
  };
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function toInstance(instance: SdkInstance): Instance {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  return {
    instanceId: instance.InstanceId ?? '',
    state: (instance.State?.Name ?? 'pending') as InstanceState,
    tags,
    // EC2 sets Platform only for Windows, and sends "windows" although the SDK's type says "Windows".
    platform: instance.Platform?.toLowerCase() === 'windows' ? 'windows' : 'linux',
    // EC2 answers "" rather than nothing once an instance has no private address (e.g. terminated).
    ...(instance.PrivateIpAddress && { privateIpAddress: instance.PrivateIpAddress }),
    ...(instance.PrivateDnsName && { privateDnsName: instance.PrivateDnsName }),
  };
}

function toAssociation(association: IamInstanceProfileAssociation): ProfileAssociation {
  return {
    associationId: association.AssociationId ?? '',
    instanceId: association.InstanceId ?? '',
    profileArn: association.IamInstanceProfile?.Arn ?? '',
    state: (association.State ?? 'associating') as AssociationState,
  };
}
