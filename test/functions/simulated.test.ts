/**
 * The functions as the simulated stack invokes them: the same exported handlers, with the
 * simulated account's runtime. What the scenarios do not reach on their way.
 */
import { describe, expect, it } from 'vitest';
import type { WorkItem } from '../../lib/ports.js';
import { deployedStack, MINUTE, selectorTags } from '../scenarios/helpers.js';

describe('the reconcile function', () => {
  it('returns the fleet status for {"mode":"status"}', async () => {
    const { account, stack } = deployedStack({ seed: 61 });
    account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE });
    await stack.settle();
    const status = (await stack.invokeReconcile({ mode: 'status' })) as { configurations: { configName: string; instances: { current: number } }[] };
    expect(status.configurations.find((c) => c.configName === 'web')?.instances.current).toBe(1);
  });

  it('refuses an input with an unknown key, naming it, before reading anything', async () => {
    const { account, stack } = deployedStack({ seed: 62 });
    account.resetCalls();
    await expect(stack.invokeReconcile({ dryRun: false, confg: 'web' })).rejects.toThrow(/invalid reconcile request/);
    expect(account.stats().totalCalls).toBe(0);
  });
});

describe('the worker function', () => {
  it('drops a message it cannot read, counted, and goes on with the rest of its batch', async () => {
    const { account, stack } = deployedStack({ seed: 63 });
    await stack.settle();
    stack.disconnectRules();
    const id = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    account.queue.send({ instanceId: 'not-an-instance', reason: 'x', attempt: 0 } as WorkItem, 0);
    account.queue.send({ instanceId: id, reason: 'state running', attempt: 0 }, 0);
    await stack.settle();
    expect(stack.metric('EventsRejected')).toBe(1);
    expect(stack.logs.find((line) => line.message === 'work item rejected')?.extra?.reason).toMatch(/instanceId/);
    expect(account.record(id)?.status).toBe('configured');
    expect(account.stats().deadLetters).toBe(0);
  });
});
