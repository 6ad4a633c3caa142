/**
 * The simulated stack records each Lambda invocation and how long it ran on the virtual clock:
 * what the bench prices (bench/cost.ts).
 */
import { describe, expect, it } from 'vitest';
import { deployedStack, selectorTags } from '../scenarios/helpers.js';

describe('the simulated stack counts invocations', () => {
  it('one instanceState invocation per running event, worker batches and command outcomes, each with its run time', async () => {
    const { account, stack } = deployedStack({ seed: 3, registrationDelayMs: 60_000 });
    await stack.settle();
    stack.invocations.length = 0;
    for (let i = 0; i < 3; i++) account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName });
    await stack.settle();

    const count = (name: string) => stack.invocations.filter((invocation) => invocation.name === name).length;
    expect(count('instanceState')).toBe(3);
    expect(count('commandOutcome')).toBeGreaterThanOrEqual(3);
    expect(count('worker')).toBeGreaterThan(0);
    expect(count('reconcile')).toBe(0);
    // Every worker batch makes API calls at 20 ms each: none runs in no time.
    for (const invocation of stack.invocations.filter((i) => i.name === 'worker')) expect(invocation.ms).toBeGreaterThan(0);

    await stack.reconcile({ dryRun: true });
    expect(stack.invocations.at(-1)).toEqual({ name: 'reconcile', ms: expect.any(Number) });
    expect(stack.invocations.at(-1)!.ms).toBeGreaterThan(0);
  });

  it('an event no rule targets invokes nothing', async () => {
    const { stack } = deployedStack({ seed: 4 });
    await stack.settle();
    stack.invocations.length = 0;
    stack.emit('aws.ec2', 'Some Other Notification', {}, []);
    await stack.settle();
    expect(stack.invocations).toEqual([]);
    expect(stack.rejected).toHaveLength(1);
  });
});
