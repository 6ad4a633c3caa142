/**
 * Every "does this instance get a command" decision is the planner's, and a scope touches only
 * what it observed. Both bugs here were found over the wire against an emulator.
 */
import { describe, expect, it } from 'vitest';
import { REQUIRED_POLICY_ARNS, parameterName } from '../../lib/config.js';
import { deployedStack, MINUTE, selectorTags } from './helpers.js';

describe('a rollout and an instance the planner leaves alone', () => {
  it('sends nothing to a foreign-profile instance in report mode, and keeps its drift on record', async () => {
    const { account, stack } = deployedStack({ seed: 41 }, { settings: { profileMode: 'report' } });
    // SSM can reach it (the role has AmazonSSMManagedInstanceCore), the agent could not write.
    account.createRole('app-role', [REQUIRED_POLICY_ARNS[1]]);
    account.createInstanceProfile('app-profile', { roleName: 'app-role', propagated: true });
    const managed = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    const foreign = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: 'app-profile', registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    expect(account.record(foreign)).toMatchObject({ status: 'drift' });
    expect(account.record(managed)).toMatchObject({ status: 'configured', appliedVersion: 1 });

    const name = parameterName(stack.settings, 'web');
    account.putParameter(name, account.parameters.latest(name)!.value.replace('"metrics_collection_interval":60', '"metrics_collection_interval":30'));
    await stack.settle();

    expect(account.rollout('web')).toMatchObject({ version: 2, status: 'completed' });
    expect(account.agent(managed).configVersion).toBe(2);
    expect(account.invocationsOn(foreign)).toEqual([]);
    expect(account.record(foreign)).toMatchObject({ status: 'drift' });
    expect(account.published.filter((event) => event.detail.instanceId === foreign && event.detailType === 'Instance Onboarded')).toEqual([]);
    // The next dry run agrees: nothing new to report, nothing to send.
    expect((await stack.reconcile({ dryRun: true })).actions).toBe(0);
  });
});

describe('a reconcile scoped by configuration and instance ids', () => {
  it('leaves alone a running instance that selects another configuration: no close, its command kept', async () => {
    const { account, stack } = deployedStack({ seed: 42 });
    const id = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    const before = account.record(id)!;
    expect(before).toMatchObject({ status: 'configured', appliedConfig: 'default' });

    const dry = await stack.reconcile({ dryRun: true, scope: { configName: 'web', instanceIds: [id] } });
    expect(dry.lines).toEqual([]);
    const applied = await stack.reconcile({ dryRun: false, scope: { configName: 'web', instanceIds: [id] } });
    expect(applied.actions).toBe(0);
    expect(account.record(id)).toEqual(before);
  });

  it('still closes the record of an id EC2 no longer knows, when the scope names it', async () => {
    const { account, stack } = deployedStack({ seed: 43 });
    const id = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    // No event reaches the stack, and EC2 forgets a terminated instance after about an hour.
    stack.disconnectRules();
    account.terminate(id);
    await account.clock.sleep(2 * 60 * MINUTE);
    const report = await stack.reconcile({ dryRun: false, scope: { instanceIds: [id] } });
    expect(report.byAction['close-record']).toBe(1);
    expect(account.record(id)?.status).toBe('closed');
  });
});
