/**
 * EC2 as fleetwatch sees it: instances with state and tags, and IAM instance profile
 * associations. Indexed by id and by tag key, so describing a 100,000-instance fleet by tag key
 * touches only the tagged instances, once.
 */
import { IncorrectStateError, NotFoundError } from '../../lib/errors.js';
import type { Instance, InstanceState, Platform, ProfileAssociation } from '../../lib/ports.js';

export interface SimInstance {
  instanceId: string;
  state: InstanceState;
  tags: Record<string, string>;
  platform: Platform;
  privateIpAddress: string;
  privateDnsName: string;
  launchedAt: number;
  terminatedAt?: number;
  /** This instance's delay from "running with a usable profile" to SSM registration. */
  registrationDelayMs?: number;
}

export interface SimAssociation extends ProfileAssociation {
  profileName: string;
}

/** EC2 keeps a terminated instance visible to Describe* for about an hour. */
export const TERMINATED_VISIBILITY_MS = 60 * 60 * 1000;

/** An association is active while associating or associated: only then does it count. */
function isActive(association: SimAssociation): boolean {
  return association.state === 'associating' || association.state === 'associated';
}

export class Ec2World {
  readonly instances = new Map<string, SimInstance>();
  private readonly byTagKey = new Map<string, Set<string>>();
  readonly associations = new Map<string, SimAssociation>();
  /** Instance id → its active association id. */
  private readonly activeAssociation = new Map<string, string>();
  /** Profile name → instances whose active association names it. */
  readonly instancesByProfile = new Map<string, Set<string>>();
  private instanceCounter = 0;
  private associationCounter = 0;

  constructor(private readonly region: string) {}

  nextInstanceId(): string {
    // Real ids are "i-" and 17 hex digits.
    return `i-${(++this.instanceCounter).toString(16).padStart(17, '0')}`;
  }

  add(instance: Omit<SimInstance, 'privateIpAddress' | 'privateDnsName'> & { privateIpAddress?: string }): SimInstance {
    if (this.instances.has(instance.instanceId)) {
      throw new IncorrectStateError(`instance ${instance.instanceId} exists already`, { instanceId: instance.instanceId });
    }
    const n = this.instances.size + 1;
    const ip = instance.privateIpAddress ?? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    const stored: SimInstance = {
      ...instance,
      tags: { ...instance.tags },
      privateIpAddress: ip,
      privateDnsName: `ip-${ip.replaceAll('.', '-')}.${this.region}.compute.internal`,
    };
    this.instances.set(stored.instanceId, stored);
    for (const key of Object.keys(stored.tags)) this.index(key, stored.instanceId);
    return stored;
  }

  get(instanceId: string): SimInstance | undefined {
    return this.instances.get(instanceId);
  }

  require(instanceId: string): SimInstance {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new NotFoundError(`InvalidInstanceID.NotFound: ${instanceId}`, { instanceId });
    return instance;
  }

  /** Describe* sees every instance but those terminated more than an hour ago. */
  visible(instance: SimInstance, now: number): boolean {
    return instance.terminatedAt === undefined || now - instance.terminatedAt < TERMINATED_VISIBILITY_MS;
  }

  /** Ids of instances carrying the tag key, in launch order. */
  idsWithTagKey(tagKey: string): Iterable<string> {
    return this.byTagKey.get(tagKey) ?? [];
  }

  /** Replaces the whole tag map; returns the keys whose value changed, was added or removed. */
  setTags(instanceId: string, tags: Record<string, string>): string[] {
    const instance = this.require(instanceId);
    const changed = new Set<string>();
    for (const [key, value] of Object.entries(instance.tags)) if (tags[key] !== value) changed.add(key);
    for (const [key, value] of Object.entries(tags)) if (instance.tags[key] !== value) changed.add(key);
    for (const key of Object.keys(instance.tags)) if (!(key in tags)) this.byTagKey.get(key)?.delete(instanceId);
    for (const key of Object.keys(tags)) this.index(key, instanceId);
    instance.tags = { ...tags };
    return [...changed];
  }

  toInstance(instance: SimInstance): Instance {
    return {
      instanceId: instance.instanceId,
      state: instance.state,
      tags: { ...instance.tags },
      platform: instance.platform,
      // EC2 releases the private address of a terminated instance.
      ...(instance.state !== 'terminated' && {
        privateIpAddress: instance.privateIpAddress,
        privateDnsName: instance.privateDnsName,
      }),
    };
  }

  activeAssociationOf(instanceId: string): SimAssociation | undefined {
    const id = this.activeAssociation.get(instanceId);
    return id === undefined ? undefined : this.associations.get(id);
  }

  /** AssociateIamInstanceProfile: a running or stopped instance with no active association. */
  associate(instanceId: string, profileName: string, profileArn: string): SimAssociation {
    const instance = this.require(instanceId);
    if (instance.state !== 'running' && instance.state !== 'stopped') {
      throw new IncorrectStateError(`IncorrectState: instance ${instanceId} is ${instance.state}`, { instanceId });
    }
    if (this.activeAssociationOf(instanceId)) {
      throw new IncorrectStateError(`IncorrectState: there is an existing association for instance ${instanceId}`, {
        instanceId,
      });
    }
    return this.link(instanceId, profileName, profileArn);
  }

  /** ReplaceIamInstanceProfileAssociation: the old association ends, a new one (new id) starts. */
  replace(associationId: string, profileName: string, profileArn: string): SimAssociation {
    const old = this.associations.get(associationId);
    if (!old || !isActive(old)) {
      throw new NotFoundError(`InvalidAssociationID.NotFound: ${associationId}`, { resource: associationId });
    }
    this.unlink(old);
    return this.link(old.instanceId, profileName, profileArn);
  }

  /** Ends the instance's association (on termination, EC2 disassociates the profile). */
  disassociate(instanceId: string): void {
    const association = this.activeAssociationOf(instanceId);
    if (association) this.unlink(association);
  }

  private link(instanceId: string, profileName: string, profileArn: string): SimAssociation {
    const association: SimAssociation = {
      associationId: `iip-assoc-${(++this.associationCounter).toString(16).padStart(17, '0')}`,
      instanceId,
      profileArn,
      profileName,
      state: 'associating',
    };
    this.associations.set(association.associationId, association);
    this.activeAssociation.set(instanceId, association.associationId);
    let set = this.instancesByProfile.get(profileName);
    if (!set) this.instancesByProfile.set(profileName, (set = new Set()));
    set.add(instanceId);
    return association;
  }

  private unlink(association: SimAssociation): void {
    association.state = 'disassociated';
    this.activeAssociation.delete(association.instanceId);
    this.instancesByProfile.get(association.profileName)?.delete(association.instanceId);
  }

  private index(key: string, instanceId: string): void {
    let set = this.byTagKey.get(key);
    if (!set) this.byTagKey.set(key, (set = new Set()));
    set.add(instanceId);
  }
}

export function toAssociation(association: SimAssociation): ProfileAssociation {
  return {
    associationId: association.associationId,
    instanceId: association.instanceId,
    profileArn: association.profileArn,
    state: association.state,
  };
}
