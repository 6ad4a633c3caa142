/**
 * IAM roles and instance profiles. IAM is eventually consistent: a new instance profile exists
 * for IAM at once but EC2 does not see it for several seconds, answering "Invalid IAM Instance
 * Profile name" meanwhile. `visibleAt` models that window.
 */
import { AlreadyExistsError, NotFoundError } from '../../lib/errors.js';
import type { ProfileRole } from '../../lib/ports.js';

export interface SimRole {
  roleName: string;
  arn: string;
  policyArns: Set<string>;
}

export interface SimProfile {
  profileName: string;
  arn: string;
  roleName?: string;
  createdAt: number;
  /** EC2 can associate it from then on. */
  visibleAt: number;
}

export class IamWorld {
  readonly roles = new Map<string, SimRole>();
  readonly profiles = new Map<string, SimProfile>();

  constructor(private readonly accountId: string) {}

  createRole(roleName: string, policyArns: readonly string[] = []): SimRole {
    if (this.roles.has(roleName)) throw new AlreadyExistsError(`EntityAlreadyExists: role ${roleName}`, { resource: roleName });
    const role: SimRole = { roleName, arn: `arn:aws:iam::${this.accountId}:role/${roleName}`, policyArns: new Set(policyArns) };
    this.roles.set(roleName, role);
    return role;
  }

  createInstanceProfile(profileName: string, now: number, propagationDelayMs: number): SimProfile {
    if (this.profiles.has(profileName)) {
      throw new AlreadyExistsError(`EntityAlreadyExists: instance profile ${profileName}`, { resource: profileName });
    }
    const profile: SimProfile = {
      profileName,
      arn: `arn:aws:iam::${this.accountId}:instance-profile/${profileName}`,
      createdAt: now,
      visibleAt: now + propagationDelayMs,
    };
    this.profiles.set(profileName, profile);
    return profile;
  }

  /** AddRoleToInstanceProfile: a profile holds at most one role. */
  addRoleToInstanceProfile(profileName: string, roleName: string): void {
    const profile = this.requireProfile(profileName);
    this.requireRole(roleName);
    if (profile.roleName && profile.roleName !== roleName) {
      throw new AlreadyExistsError(`LimitExceeded: profile ${profileName} already holds role ${profile.roleName}`, {
        resource: profileName,
      });
    }
    profile.roleName = roleName;
  }

  /** Idempotent, as IAM's AttachRolePolicy is. Returns whether anything changed. */
  attachRolePolicy(roleName: string, policyArn: string): boolean {
    const role = this.requireRole(roleName);
    if (role.policyArns.has(policyArn)) return false;
    role.policyArns.add(policyArn);
    return true;
  }

  detachRolePolicy(roleName: string, policyArn: string): boolean {
    return this.requireRole(roleName).policyArns.delete(policyArn);
  }

  profileRole(profileName: string): ProfileRole | undefined {
    const profile = this.profiles.get(profileName);
    if (!profile) return undefined;
    const role = profile.roleName === undefined ? undefined : this.roles.get(profile.roleName);
    return {
      profileName,
      ...(role && { roleName: role.roleName }),
      attachedPolicyArns: role ? [...role.policyArns] : [],
    };
  }

  /** Whether the profile's role carries the policy. */
  profileHasPolicy(profileName: string, policyArn: string): boolean {
    const roleName = this.profiles.get(profileName)?.roleName;
    return roleName !== undefined && (this.roles.get(roleName)?.policyArns.has(policyArn) ?? false);
  }

  /** Profiles holding this role (a role may sit in several). */
  profilesWithRole(roleName: string): string[] {
    return [...this.profiles.values()].filter((profile) => profile.roleName === roleName).map((profile) => profile.profileName);
  }

  requireRole(roleName: string): SimRole {
    const role = this.roles.get(roleName);
    if (!role) throw new NotFoundError(`NoSuchEntity: role ${roleName}`, { resource: roleName });
    return role;
  }

  requireProfile(profileName: string): SimProfile {
    const profile = this.profiles.get(profileName);
    if (!profile) throw new NotFoundError(`NoSuchEntity: instance profile ${profileName}`, { resource: profileName });
    return profile;
  }
}
