/** IamPort on the IAM API. */
import { AttachRolePolicyCommand, GetInstanceProfileCommand, paginateListAttachedRolePolicies, type IAMClient } from '@aws-sdk/client-iam';
import type { IamPort } from '../ports.js';
import { collectPages } from './batch.js';
import { callAws, undefinedIfNotFound } from './errors.js';

export function createIamPort(client: IAMClient): IamPort {
  return {
    async getProfileRole(profileName) {
      const profile = await undefinedIfNotFound(
        callAws({ operation: 'GetInstanceProfile', resource: profileName }, async () =>
          (await client.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }))).InstanceProfile,
        ),
      );
      if (!profile) return undefined;
      // An instance profile holds at most one role (IAM limit).
      const roleName = profile.Roles?.[0]?.RoleName;
      if (!roleName) return { profileName, attachedPolicyArns: [] };
      const policies = await callAws({ operation: 'ListAttachedRolePolicies', resource: roleName }, () =>
        collectPages(paginateListAttachedRolePolicies({ client }, { RoleName: roleName }), (page) => page.AttachedPolicies),
      );
      return {
        profileName,
        roleName,
        attachedPolicyArns: policies.flatMap((policy) => (policy.PolicyArn ? [policy.PolicyArn] : [])),
      };
    },

    // IAM's AttachRolePolicy succeeds when the policy is attached already: idempotent as it stands.
    attachRolePolicy: (roleName, policyArn) =>
      callAws({ operation: 'AttachRolePolicy', resource: roleName }, async () => {
        await client.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
      }),
  };
}
