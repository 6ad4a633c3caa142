/**
 * Issue 16's scenarios: the agent's own version pinned by the stage, upgraded across 1,000
 * instances in waves under the same rate control and stop threshold as a configuration, rolled
 * back to the previous version when too many fail, and reported per instance from the agent's own
 * `-a status` output.
 */
import { describe, expect, it } from 'vitest';
import { AGENT_ROLLOUT } from '../../lib/ports.js';
import { fleetStatus } from '../../lib/entry/status.js';
import { failFraction, type CommandOutcomePolicy, type SimulatedAccount } from '../../local/index.js';
import { deployedStack, FLEET_RUN_TIMEOUT, MINUTE, peakOverlap, selectorTags } from './helpers.js';

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

/** The agent's rollout of NEW stopped at maxErrors, and every instance that took NEW is back on OLD, its record saying so. */
function expectRolledBackToOld(account: SimulatedAccount, ids: string[]): void {
  const rollout = account.rollout(AGENT_ROLLOUT);
  expect(rollout).toMatchObject({ version: NEW, goodVersion: OLD, status: 'rolled-back' });
  expect(rollout!.reason).toMatch(/more than maxErrors 5%/);
  const tookNew = ids.filter((id) => installsOf(account, [id], NEW).some((i) => 'status' in i && (i as { status: string }).status === 'Success'));
  expect(tookNew.length).toBeGreaterThan(0);
  for (const id of ids) expect(account.agent(id).version, id).toBe(OLD);
  for (const id of tookNew) expect(account.record(id)).toMatchObject({ agentVersion: OLD, status: 'configured' });
}

const installsOf = (account: { invocationsOn(id: string): { command: { parameters: Record<string, string[]>; requestedAt: number }; endedAt?: number }[] }, ids: string[], version: string) =>
  ids.flatMap((id) => account.invocationsOn(id).filter((i) => i.command.parameters.agentVersion?.[0] === version));

describe('1,000 instances upgrading the agent with 3% failing', () => {
  it('completes in waves within maxConcurrency; every instance on the new version but the few that failed, which say why; status counts versions', FLEET_RUN_TIMEOUT, async () => {
    const { account, stack, ids } = await fleetOnOld(1_000, 41);
    account.setCommandOutcome(upgradeFails(0.03));
    stack.redeploy({ agentVersion: NEW });
    await stack.reconcile(); // the first reconcile after the deploy (the schedule's, or an operator's) starts it
    await stack.settle();
    const rollout = account.rollout(AGENT_ROLLOUT);

    // Completes, from the version the fleet ran before.
    expect(rollout).toMatchObject({ version: NEW, goodVersion: OLD, status: 'completed', total: 1_000 });

    // Leaves every instance on the new version but the few that failed, which keep the old one and say why.
    const onNew = ids.filter((id) => account.agent(id).version === NEW);
    const onOld = ids.filter((id) => account.agent(id).version === OLD);
    expect(onNew.length + onOld.length).toBe(1_000);
    expect(onOld.length).toBeGreaterThan(0);
    expect(onOld.length).toBeLessThanOrEqual(50); // maxErrors 5% of 1,000
    for (const id of onOld) expect(account.record(id)?.lastError).toContain('install failed');

    // Records the version each instance reported, as the agent reported it.
    for (const id of ids) expect(account.record(id)?.agentVersion, id).toBe(account.agent(id).version);

    // Goes out in waves within maxConcurrency.
    const installs = installsOf(account, ids, NEW);
    const peak = peakOverlap(installs.map((i) => [i.command.requestedAt, i.endedAt ?? Infinity]));
    expect(peak).toBeGreaterThan(50);
    expect(peak).toBeLessThanOrEqual(100);

    // Counts instances per agent version in status (the CLI and reconcile {"mode":"status"} alike).
    const stillOld = ids.filter((id) => account.agent(id).version === OLD).length;
    const status = await fleetStatus(stack.ports(), stack.settings);
    expect(status.agent).toMatchObject({ setting: NEW, standingVersion: NEW, rollout: { version: NEW, status: 'completed' } });
    expect(status.agent?.versions).toEqual({ [NEW]: 1_000 - stillOld, [OLD]: stillOld });
    const invoked = (await stack.invokeReconcile({ mode: 'status' })) as { agent: { versions: Record<string, number> } };
    expect(invoked.agent.versions).toEqual(status.agent!.versions);
  });
});

describe('1,000 instances upgrading the agent with 30% failing', () => {
  it('stops at the threshold, puts every instance back on the previous version, and keeps it from sweeps and new instances', FLEET_RUN_TIMEOUT, async () => {
    const { account, stack, ids } = await fleetOnOld(1_000, 42);
    account.setCommandOutcome(upgradeFails(0.3));
    stack.redeploy({ agentVersion: NEW });
    await stack.reconcile();
    await stack.settle();
    // Stops at the threshold; puts every instance that took the new version back on the previous one.
    expectRolledBackToOld(account, ids);
    expect(installsOf(account, ids, NEW).length).toBeLessThan(500);

    // Keeps the rolled-back version from sweeps and new instances.
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

/**
 * agentVersion latest: a fleet on Distributor's OLD, swept once (the sweep records OLD as the
 * version that stands, sending nothing), then Distributor publishes NEW.
 */
async function latestFleetOnOld(size: number, seed: number) {
  const { account, stack } = deployedStack({ seed, latestAgentVersion: OLD }, { settings: { maxConcurrency: '10%', maxErrors: '5%' } });
  await stack.settle();
  const ids = Array.from({ length: size }, () =>
    account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId,
  );
  await stack.settle();
  const commandsBefore = ids.reduce((sum, id) => sum + account.invocationsOn(id).length, 0);
  await stack.reconcile();
  await stack.settle();
  expect(account.rollout(AGENT_ROLLOUT)).toMatchObject({ version: OLD, status: 'completed', sent: 0 });
  expect(ids.reduce((sum, id) => sum + account.invocationsOn(id).length, 0)).toBe(commandsBefore);
  for (const id of ids) expect(account.agent(id).version, id).toBe(OLD);
  return { account, stack, ids };
}

describe('agentVersion latest: Distributor publishes a new agent version', () => {
  it('the next sweep reads it once, starts the agent rollout from the version the fleet ran, and the fleet converges on it in waves', FLEET_RUN_TIMEOUT, async () => {
    const { account, stack, ids } = await latestFleetOnOld(200, 44);
    account.setCommandOutcome(upgradeFails(0.03));
    account.publishAgentVersion(NEW);

    // Nothing notices before a sweep: the worker's reconciles do not ask Distributor.
    account.resetCalls();
    await stack.reconcile({ scope: { instanceIds: ids.slice(0, 5) } });
    expect(account.calls.DescribeDocument ?? 0).toBe(0);
    expect(account.rollout(AGENT_ROLLOUT)).toMatchObject({ version: OLD, status: 'completed' });

    // The sweep asks once, whatever the fleet's size, and starts the rollout.
    await stack.reconcile();
    expect(account.calls.DescribeDocument).toBe(1);
    expect(account.rollout(AGENT_ROLLOUT)).toMatchObject({ version: NEW, goodVersion: OLD, status: 'in-progress' });
    await stack.settle();

    expect(account.rollout(AGENT_ROLLOUT)).toMatchObject({ version: NEW, goodVersion: OLD, status: 'completed', total: 200 });
    const onOld = ids.filter((id) => account.agent(id).version === OLD);
    expect(ids.filter((id) => account.agent(id).version === NEW).length + onOld.length).toBe(200);
    expect(onOld.length).toBeLessThanOrEqual(10); // maxErrors 5% of 200
    for (const id of onOld) expect(account.record(id)?.lastError).toContain('install failed');
    for (const id of ids) expect(account.record(id)?.agentVersion, id).toBe(account.agent(id).version);

    // In waves within maxConcurrency (10% of 200).
    const peak = peakOverlap(installsOf(account, ids, NEW).map((i) => [i.command.requestedAt, i.endedAt ?? Infinity]));
    expect(peak).toBeGreaterThan(10);
    expect(peak).toBeLessThanOrEqual(20);

    // New instances get the new version by name; the next sweep starts nothing.
    const late = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    expect(account.invocationsOn(late).at(-1)!.command.parameters.agentVersion).toEqual([NEW]);
    const revision = account.rollout(AGENT_ROLLOUT)!.revision;
    await stack.reconcile();
    await stack.settle();
    expect(account.rollout(AGENT_ROLLOUT)!.revision).toBe(revision);
    const status = await fleetStatus(stack.ports(), stack.settings);
    expect(status.agent).toMatchObject({ setting: 'latest', standingVersion: NEW, rollout: { version: NEW, status: 'completed' } });
  });

  it('a VersionName that is not a version (shell metacharacters) starts nothing and reaches no command', async () => {
    const { account, stack, ids } = await latestFleetOnOld(3, 46);
    account.publishAgentVersion('1.3; reboot');
    await stack.reconcile();
    await stack.settle();
    expect(account.rollout(AGENT_ROLLOUT)).toMatchObject({ version: OLD, status: 'completed' });
    const parameters = ids.flatMap((id) => account.invocationsOn(id).map((i) => JSON.stringify(i.command.parameters)));
    expect(parameters.filter((p) => p.includes('reboot'))).toEqual([]);
  });

  it('with 30% of upgrades failing, stops at the threshold and puts every instance back on the version it ran; the version stays held back', FLEET_RUN_TIMEOUT, async () => {
    const { account, stack, ids } = await latestFleetOnOld(200, 45);
    account.setCommandOutcome(upgradeFails(0.3));
    account.publishAgentVersion(NEW);
    await stack.reconcile();
    await stack.settle();
    expectRolledBackToOld(account, ids);

    // Distributor still names NEW: later sweeps leave it held back, and new instances get OLD by name.
    const late = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    await stack.reconcile();
    await stack.settle();
    expect(account.agent(late).version).toBe(OLD);
    expect(account.rollout(AGENT_ROLLOUT)).toMatchObject({ version: NEW, status: 'rolled-back' });
    const status = await fleetStatus(stack.ports(), stack.settings);
    expect(status.agent).toMatchObject({ setting: 'latest', standingVersion: OLD, heldBack: { version: NEW } });
    expect(status.agent?.versions).toEqual({ [OLD]: 201 });
  });
});
