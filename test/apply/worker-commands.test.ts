/**
 * The worker's commands go to all their instances at once: the instances of a worker's batch are
 * together only because their events arrived together, and maxConcurrency is the rollouts' rate
 * control. At the stage's 10%, a command to three new instances ran them one after another.
 */
import { describe, expect, it } from 'vitest';
import { deployedStack, MINUTE, selectorTags } from '../scenarios/helpers.js';

describe("the worker's commands", () => {
  it('run on every instance of the command at once, whatever the stage maxConcurrency', async () => {
    const { account, stack } = deployedStack({ seed: 5 }, { settings: { maxConcurrency: '10%' } });
    await stack.settle();
    const ids = Array.from({ length: 3 }, () =>
      account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId,
    );
    await stack.settle();
    const commands = new Set(ids.map((id) => account.invocationsOn(id)[0]!.command));
    expect([...commands].map((command) => [command.invocations.length, command.maxConcurrency])).toEqual([[3, 3]]);
    const ended = ids.map((id) => account.invocationsOn(id)[0]!.endedAt!);
    expect(Math.max(...ended) - Math.min(...ended)).toBeLessThan(5_000);
  });
});
