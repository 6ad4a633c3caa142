/** IamPort: GetInstanceProfile, then ListAttachedRolePolicies (100 a page) for its role. */
import type { IamPort } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { arnsOf } from './arns.js';
import { paginate } from './paginate.js';

export function iamPort(account: AccountBackend, layer: CallLayer): IamPort {
  const { iam } = account;
  const arns = arnsOf(account);
  return {
    async getProfileRole(profileName) {
      // NoSuchEntity on GetInstanceProfile means "no such profile": undefined, as the port says.
      const profile = await layer.call('GetInstanceProfile', () => {
        const found = iam.profiles.get(profileName);
        return found && { profileName: found.profileName, roleName: found.roleName };
      }, profileName, [{ action: 'iam:GetInstanceProfile', resource: arns.instanceProfile(profileName) }]);
      if (!profile) return undefined;
      const { roleName } = profile;
      if (roleName === undefined) return { profileName, attachedPolicyArns: [] };
      const attachedPolicyArns = await paginate(
        layer,
        'ListAttachedRolePolicies',
        LIMITS.attachedPoliciesPage,
        () => [...iam.requireRole(roleName).policyArns],
        (arn) => arn,
        [{ action: 'iam:ListAttachedRolePolicies', resource: arns.role(roleName) }],
      );
      return { profileName, roleName, attachedPolicyArns };
    },

    attachRolePolicy: (roleName, policyArn) =>
      layer.call('AttachRolePolicy', () => account.attachRolePolicy(roleName, policyArn), roleName, [
        { action: 'iam:AttachRolePolicy', resource: arns.role(roleName), context: { 'iam:PolicyARN': policyArn } },
      ]),
  };
}
