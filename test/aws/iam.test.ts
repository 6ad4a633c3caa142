import { AttachRolePolicyCommand, GetInstanceProfileCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsError, awsPorts } from './helpers.js';

const iam = mockClient(IAMClient);
beforeEach(() => iam.reset());

const profile = (roles: { RoleName: string }[]) => ({
  InstanceProfile: {
    InstanceProfileName: 'web',
    InstanceProfileId: 'AIPA1',
    Arn: 'arn:aws:iam::123456789012:instance-profile/web',
    Path: '/',
    CreateDate: new Date(0),
    Roles: roles.map((role) => ({ ...role, Path: '/', RoleId: 'AROA1', Arn: `arn:aws:iam::123456789012:role/${role.RoleName}`, CreateDate: new Date(0) })),
  },
});

describe('getProfileRole', () => {
  it('reads the role of the profile and every page of its attached policies', async () => {
    iam.on(GetInstanceProfileCommand).resolves(profile([{ RoleName: 'web-role' }]));
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolvesOnce({ AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/A' }], IsTruncated: true, Marker: 'm1' })
      .resolvesOnce({ AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/B' }], IsTruncated: false });

    const role = await awsPorts().iam.getProfileRole('web');

    expect(role).toEqual({ profileName: 'web', roleName: 'web-role', attachedPolicyArns: ['arn:aws:iam::aws:policy/A', 'arn:aws:iam::aws:policy/B'] });
    expect(iam).toHaveReceivedCommandWith(GetInstanceProfileCommand, { InstanceProfileName: 'web' });
    expect(iam).toHaveReceivedCommandTimes(ListAttachedRolePoliciesCommand, 2);
    expect(iam).toHaveReceivedCommandWith(ListAttachedRolePoliciesCommand, { RoleName: 'web-role' });
  });

  it('gives a profile without a role and no policies', async () => {
    iam.on(GetInstanceProfileCommand).resolves(profile([]));
    expect(await awsPorts().iam.getProfileRole('web')).toEqual({ profileName: 'web', attachedPolicyArns: [] });
    expect(iam).not.toHaveReceivedCommand(ListAttachedRolePoliciesCommand);
  });

  it('gives undefined when the profile does not exist', async () => {
    iam.on(GetInstanceProfileCommand).rejects(awsError('NoSuchEntityException', 'Instance Profile web cannot be found.', 404));
    expect(await awsPorts().iam.getProfileRole('web')).toBeUndefined();
  });

  it('maps IAM throttling to ThrottledError naming the profile', async () => {
    iam.on(GetInstanceProfileCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    await expect(awsPorts().iam.getProfileRole('web')).rejects.toMatchObject({ name: 'ThrottledError', resource: 'web' });
  });
});

describe('attachRolePolicy', () => {
  it('attaches the policy to the role', async () => {
    iam.on(AttachRolePolicyCommand).resolves({});
    await awsPorts().iam.attachRolePolicy('web-role', 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy');
    expect(iam).toHaveReceivedCommandExactlyOnceWith(AttachRolePolicyCommand, {
      RoleName: 'web-role',
      PolicyArn: 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
    });
  });
});
