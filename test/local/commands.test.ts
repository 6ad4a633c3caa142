import { describe, expect, it } from 'vitest';
import { failFraction, takes } from '../../local/outcomes.js';
import type { CommandEvent } from '../../local/world/commands.js';
import { TERMINAL_INVOCATION_STATUSES } from '../../lib/ports.js';
import { DOCUMENT, MINUTE, PARAMETER, PROFILE, account, configure } from './helpers.js';

async function managedFleet(count: number, options: Parameters<typeof account>[0] = {}) {
  const sim = account({ registrationDelayMs: 0, ...options });
  const ids = sim.launchFleet(count, () => ({ profileName: PROFILE }));
  await sim.clock.sleep(1);
  return { sim, ids, ports: sim.ports() };
}

describe('Run Command', () => {
  it('installs and configures the agent at the requested version, with status events on the way', async () => {
    const { sim, ids, ports } = await managedFleet(1);
    const v2 = sim.putParameter(PARAMETER, JSON.stringify({ metrics: {} }));
    const events: CommandEvent[] = [];
    sim.onCommandEvent((event) => events.push(event));
    const [sent] = await ports.ssm.sendCommand({ documentName: DOCUMENT, instanceIds: ids, parameters: configure(v2) });
    expect((await ports.ssm.listCommandInvocations(sent!.commandId))[0]?.status).toBe('Pending');
    await sim.clock.runUntilIdle();
    expect(events.map((e) => e.status)).toEqual(['InProgress', 'Success']);
    expect(events[1]).toMatchObject({ commandId: sent!.commandId, instanceId: ids[0], documentName: DOCUMENT });
    const [invocation] = await ports.ssm.listCommandInvocations(sent!.commandId);
    expect(invocation).toMatchObject({ status: 'Success', statusDetails: 'Success' });
    expect(sim.agent(ids[0]!)).toMatchObject({
      installed: true,
      running: true,
      configParameter: PARAMETER,
      configVersion: v2,
      configLocation: `${PARAMETER}:${v2}`,
    });
  });

  it('fails configure on an instance without the agent', async () => {
    const { sim, ids, ports } = await managedFleet(1);
    const [sent] = await ports.ssm.sendCommand({ documentName: DOCUMENT, instanceIds: ids, parameters: configure(1, false) });
    await sim.clock.runUntilIdle();
    const [invocation] = await ports.ssm.listCommandInvocations(sent!.commandId);
    expect(invocation).toMatchObject({ status: 'Failed' });
    expect(invocation!.output).toContain('not installed');
    expect(sim.agent(ids[0]!).configVersion).toBeUndefined();
  });

  it('fails a policy-chosen 3% with the given error text, repeatably per seed', async () => {
    const run = async () => {
      const { sim, ids, ports } = await managedFleet(1000, { seed: 42, commandOutcome: failFraction(0.03, 'E: disk full') });
      const sent = await ports.ssm.sendCommand({ documentName: DOCUMENT, instanceIds: ids, parameters: configure(1), maxErrors: '100%' });
      expect(sent).toHaveLength(20);
      expect(sim.calls.SendCommand).toBe(20);
      await sim.clock.runUntilIdle();
      const invocations = (await Promise.all(sent.map((s) => ports.ssm.listCommandInvocations(s.commandId)))).flat();
      const failed = invocations.filter((i) => i.status === 'Failed');
      expect(failed.every((i) => i.output === 'E: disk full')).toBe(true);
      expect(invocations.filter((i) => i.status === 'Success')).toHaveLength(1000 - failed.length);
      return failed.map((i) => i.instanceId);
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(10);
    expect(first.length).toBeLessThan(55);
    expect(await run()).toEqual(first);
  });

  it('ends the invocation of an instance terminated mid-flight as Failed / Terminated', async () => {
    const { sim, ids, ports } = await managedFleet(2, { commandOutcome: takes(10 * MINUTE) });
    const [sent] = await ports.ssm.sendCommand({ documentName: DOCUMENT, instanceIds: ids, parameters: configure(1) });
    await sim.clock.sleep(MINUTE);
    expect((await ports.ssm.listCommandInvocations(sent!.commandId)).map((i) => i.status)).toEqual(['InProgress', 'InProgress']);
    sim.terminate(ids[0]!);
    const [gone, kept] = await ports.ssm.listCommandInvocations(sent!.commandId);
    expect(gone).toMatchObject({ instanceId: ids[0], status: 'Failed', statusDetails: 'Terminated' });
    expect(kept!.status).toBe('InProgress');
    await sim.clock.runUntilIdle();
    expect((await ports.ssm.listCommandInvocations(sent!.commandId))[1]!.status).toBe('Success');
    expect(sim.command(sent!.commandId)!.status).toBe('Failed');
    // EC2 still describes the terminated instance for a while, then forgets it.
    expect((await ports.ec2.describeInstances([ids[0]!]))[0]?.state).toBe('terminated');
    await sim.clock.sleep(61 * MINUTE);
    expect(await ports.ec2.describeInstances([ids[0]!])).toEqual([]);
  });

  it('runs at most MaxConcurrency invocations at a time', async () => {
    const { sim, ids, ports } = await managedFleet(10);
    let running = 0;
    let peak = 0;
    sim.onCommandEvent((event) => {
      if (event.status === 'InProgress') peak = Math.max(peak, ++running);
      else if (TERMINAL_INVOCATION_STATUSES.has(event.status)) running--;
    });
    await ports.ssm.sendCommand({ documentName: DOCUMENT, instanceIds: ids, parameters: configure(1), maxConcurrency: '20%' });
    await sim.clock.runUntilIdle();
    expect(peak).toBe(2);
    expect(sim.stats().invocations).toEqual({ Success: 10 });
  });

  it('refuses a configuration parameter the instance role cannot read', async () => {
    const { sim, ids, ports } = await managedFleet(1);
    sim.putParameter('other-config', '{}');
    const [sent] = await ports.ssm.sendCommand({
      documentName: DOCUMENT,
      instanceIds: ids,
      parameters: { agentAction: ['configure'], configurationLocation: ['other-config'], installAgent: ['yes'] },
    });
    await sim.clock.runUntilIdle();
    expect((await ports.ssm.listCommandInvocations(sent!.commandId))[0]!.output).toContain('AccessDenied');
  });
});
