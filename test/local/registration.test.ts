import { describe, expect, it } from 'vitest';
import { IamNotPropagatedError, IncorrectStateError, NotYetManagedError } from '../../lib/errors.js';
import { DOCUMENT, MINUTE, PROFILE, SELECTOR, SSM_CORE_POLICY, account, configure } from './helpers.js';

describe('SSM registration', () => {
  it('registers an instance running with the managed profile after its registration delay', async () => {
    const sim = account();
    const ports = sim.ports();
    const { instanceId } = sim.launchInstance({ tags: { [SELECTOR]: 'web' }, profileName: PROFILE });
    expect(await ports.ssm.describeManagedInstances([instanceId])).toEqual([]);
    await sim.clock.sleep(5 * MINUTE - 1000);
    expect(sim.isManaged(instanceId)).toBe(false);
    await sim.clock.sleep(1000);
    expect(await ports.ssm.describeManagedInstances([instanceId])).toEqual([
      { instanceId, pingStatus: 'Online', platformType: 'Linux' },
    ]);
  });

  it('reports a stopped managed instance as ConnectionLost and refuses commands to it', async () => {
    const sim = account({ registrationDelayMs: 0 });
    const ports = sim.ports();
    const { instanceId } = sim.launchInstance({ profileName: PROFILE });
    await sim.clock.sleep(1);
    sim.setState(instanceId, 'stopped');
    expect((await ports.ssm.describeManagedInstances())[0]?.pingStatus).toBe('ConnectionLost');
    await expect(ports.ssm.sendCommand({ documentName: DOCUMENT, instanceIds: [instanceId], parameters: configure() })).rejects.toThrow(
      NotYetManagedError,
    );
    sim.setState(instanceId, 'running');
    expect((await ports.ssm.describeManagedInstances())[0]?.pingStatus).toBe('Online');
  });

  it('names the unmanaged instance when SendCommand refuses it', async () => {
    const sim = account();
    const { instanceId } = sim.launchInstance({ profileName: PROFILE });
    const error = await sim
      .ports()
      .ssm.sendCommand({ documentName: DOCUMENT, instanceIds: [instanceId], parameters: configure() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotYetManagedError);
    expect((error as NotYetManagedError).instanceId).toBe(instanceId);
    expect((error as Error).message).toContain(instanceId);
  });

  it('does not register without a profile, nor with a role lacking AmazonSSMManagedInstanceCore', async () => {
    const sim = account({ registrationDelayMs: MINUTE });
    sim.createRole('bare');
    sim.createInstanceProfile('foreign', { roleName: 'bare', propagated: true });
    const bare = sim.launchInstance().instanceId;
    const foreign = sim.launchInstance({ profileName: 'foreign' }).instanceId;
    await sim.clock.sleep(60 * MINUTE);
    expect(sim.isManaged(bare)).toBe(false);
    expect(sim.isManaged(foreign)).toBe(false);
    // Attaching the policy to the role makes the agent's next try succeed.
    sim.attachRolePolicy('bare', SSM_CORE_POLICY);
    await sim.clock.sleep(MINUTE);
    expect(sim.isManaged(foreign)).toBe(true);
  });

  it('hides a new instance profile from EC2 while IAM propagates, then associates and registers', async () => {
    const sim = account({ iamPropagationDelayMs: 8000, registrationDelayMs: 2 * MINUTE });
    const ports = sim.ports();
    sim.createRole('new-role', [SSM_CORE_POLICY]);
    sim.createInstanceProfile('new-profile', { roleName: 'new-role' });
    const { instanceId } = sim.launchInstance();
    const error = await ports.ec2.associateProfile(instanceId, 'new-profile').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IamNotPropagatedError);
    expect((error as IamNotPropagatedError).instanceId).toBe(instanceId);
    await sim.clock.sleep(8000);
    const association = await ports.ec2.associateProfile(instanceId, 'new-profile');
    expect(association).toMatchObject({ instanceId, state: 'associating' });
    expect(association.profileArn).toBe('arn:aws:iam::123456789012:instance-profile/new-profile');
    await expect(ports.ec2.associateProfile(instanceId, PROFILE)).rejects.toThrow(IncorrectStateError);
    await sim.clock.sleep(5000);
    expect(await ports.ec2.describeProfileAssociations([instanceId])).toEqual([{ ...association, state: 'associated' }]);
    await sim.clock.sleep(2 * MINUTE);
    expect(sim.isManaged(instanceId)).toBe(true);
  });

  it('replaces an association with a new id and makes the old one disappear', async () => {
    const sim = account();
    const ports = sim.ports();
    sim.createRole('bare');
    sim.createInstanceProfile('foreign', { roleName: 'bare', propagated: true });
    const { instanceId } = sim.launchInstance({ profileName: 'foreign' });
    const [old] = await ports.ec2.describeProfileAssociations([instanceId]);
    const replaced = await ports.ec2.replaceProfile(old!.associationId, PROFILE, instanceId);
    expect(replaced.associationId).not.toBe(old!.associationId);
    const now = await ports.ec2.describeProfileAssociations([instanceId]);
    expect(now.map((a) => a.associationId)).toEqual([replaced.associationId]);
    expect(await ports.iam.getProfileRole(PROFILE)).toMatchObject({ roleName: `${PROFILE}-role` });
    expect(await ports.iam.getProfileRole('nope')).toBeUndefined();
  });
});
