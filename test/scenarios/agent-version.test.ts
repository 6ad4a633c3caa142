/**
 * Issue 16's scenarios: the agent's own version pinned by the stage, upgraded across 1,000
 * instances in waves under the same rate control and stop threshold as a configuration, rolled
 * back to the previous version when too many fail, and reported per instance from the agent's own
 * `-a status` output.
 */
import { describe, expect, it } from 'vitest';
import { AGENT_ROLLOUT } from '../../lib/ports.js';
import { fleetStatus } from '../../lib/entry/status.js';
import { failFraction, type CommandOutcomePolicy } from '../../local/index.js';
import { deployedStack, MINUTE, peakOverlap, selectorTags } from './helpers.js';

const OLD = '1.300031.1b100';
const NEW = '1.300032.2b361';

/** 1,000 instances onboarded with the stage pinned at OLD (Distributor's newest is NEW by then). */
async function fleetOnOld(size: number, seed: number) {
  const { account, stack } = deployedStack({ seed, latestAgentVersion: NEW }, { settings: { agentVersion: OLD, maxConcurrency: '10%', maxErrors: '5%' } });
  await stack.settle();
  const ids = Array.from({ length: size }, () =>
    account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId,
  );
  await stack.settle();
  for (const id of ids) expect(account.agent(id).version, id).toBe(OLD);
  return { account, stack, ids };
}

/** Fails this fraction of the installs of NEW; every other command runs on its merits. */
const upgradeFails = (fraction: number): CommandOutcomePolicy => {
  const fail = failFraction(fraction, 'E! Distributor: AmazonCloudWatchAgent install failed: package script exited 1');
  return (context) => (context.parameters.agentVersion?.[0] === NEW ? fail(context) : undefined);
};

const installsOf = (account: { invocationsOn(id: string): { command: { parameters: Record<string, string[]>; requestedAt: number }; endedAt?: number }[] }, ids: string[], version: string) =>
  ids.flatMap((id) => account.invocationsOn(id).filter((i) => i.command.parameters.agentVersion?.[0] === version));

describe('1,000 instances upgrading the agent with 3% failing', async () => {
  const { account, stack, ids } = await fleetOnOld(1_000, 41);
  account.setCommandOutcome(upgradeFails(0.03));
  stack.redeploy({ agentVersion: NEW });
  await stack.reconcile(); // the first reconcile after the deploy (the schedule's, or an operator's) starts it
  await stack.settle();
  const rollout = account.rollout(AGENT_ROLLOUT);

  it('completes, from the version the fleet ran before', () => {
    expect(rollout).toMatchObject({ version: NEW, goodVersion: OLD, status: 'completed', total: 1_000 });
  });

  it('leaves every instance on the new version but the few that failed, which keep the old one and say why', () => {
    const onNew = ids.filter((id) => account.agent(id).version === NEW);
    const onOld = ids.filter((id) => account.agent(id).version === OLD);
    expect(onNew.length + onOld.length).toBe(1_000);
    expect(onOld.length).toBeGreaterThan(0);
    expect(onOld.length).toBeLessThanOrEqual(50); // maxErrors 5% of 1,000
    for (const id of onOld) expect(account.record(id)?.lastError).toContain('install failed');
  });

  it('records the version each instance reported, as the agent reported it', () => {
    for (const id of ids) expect(account.record(id)?.agentVersion, id).toBe(account.agent(id).version);
  });

  it('goes out in waves within maxConcurrency', () => {
    const installs = installsOf(account, ids, NEW);
    const peak = peakOverlap(installs.map((i) => [i.command.requestedAt, i.endedAt ?? Infinity]));
    expect(peak).toBeGreaterThan(50);
    expect(peak).toBeLessThanOrEqual(100);
  });

  it('counts instances per agent version in status (the CLI and reconcile {"mode":"status"} alike)', async () => {
    const onOld = ids.filter((id) => account.agent(id).version === OLD).length;
    const status = await fleetStatus(stack.ports(), stack.settings);
    expect(status.agent).toMatchObject({ setting: NEW, standingVersion: NEW, rollout: { version: NEW, status: 'completed' } });
    expect(status.agent?.versions).toEqual({ [NEW]: 1_000 - onOld, [OLD]: onOld });
    const invoked = (await stack.invokeReconcile({ mode: 'status' })) as { agent: { versions: Record<string, number> } };
    expect(invoked.agent.versions).toEqual(status.agent!.versions);
  });
});

describe('1,000 instances upgrading the agent with 30% failing', async () => {
  const { account, stack, ids } = await fleetOnOld(1_000, 42);
  account.setCommandOutcome(upgradeFails(0.3));
  stack.redeploy({ agentVersion: NEW });
  await stack.reconcile();
  await stack.settle();
  const rollout = account.rollout(AGENT_ROLLOUT);

  it('stops at the threshold', () => {
    expect(rollout).toMatchObject({ version: NEW, goodVersion: OLD, status: 'rolled-back' });
    expect(rollout!.reason).toMatch(/more than maxErrors 5%/);
    expect(installsOf(account, ids, NEW).length).toBeLessThan(500);
  });

  it('puts every instance that took the new version back on the previous one', () => {
    const tookNew = ids.filter((id) => installsOf(account, [id], NEW).some((i) => 'status' in i && (i as { status: string }).status === 'Success'));
    expect(tookNew.length).toBeGreaterThan(0);
    for (const id of ids) expect(account.agent(id).version, id).toBe(OLD);
    for (const id of tookNew) expect(account.record(id)).toMatchObject({ agentVersion: OLD, status: 'configured' });
  });

  it('keeps the rolled-back version from sweeps and new instances', async () => {
    const late = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    const report = await stack.reconcile();
    await stack.settle();
    expect(account.agent(late).version).toBe(OLD);
    expect(report.byReason['agent version drift'] ?? 0).toBe(0);
    const status = await fleetStatus(stack.ports(), stack.settings);
    expect(status.agent).toMatchObject({ setting: NEW, standingVersion: OLD, heldBack: { version: NEW } });
    expect(status.agent?.versions).toEqual({ [OLD]: 1_001 });
  });
});

describe('onDeselect uninstall', () => {
  it('stops the agent and removes its package (Distributor Uninstall); the record says deselected with no agent', async () => {
    const { account, stack } = deployedStack({ seed: 43 }, { settings: { onDeselect: 'uninstall', agentVersion: OLD } });
    await stack.settle();
    const id = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    expect(account.agent(id)).toMatchObject({ installed: true, version: OLD });
    account.tag(id, stack.settings.selectorTagKey, undefined);
    await stack.settle();
    expect(account.agent(id)).toMatchObject({ installed: false, running: false });
    expect(account.agent(id).version).toBeUndefined();
    expect(account.record(id)).toMatchObject({ status: 'deselected' });
    expect(account.record(id)?.agentVersion).toBeUndefined();
    const last = account.invocationsOn(id).at(-1)!;
    expect(last.command.parameters).toMatchObject({ agentAction: ['stop'], uninstallAgent: ['yes'], installAgent: ['no'] });
  });
});
