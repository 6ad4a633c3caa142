/**
 * Issue 13's hostile inputs through the functions' own handlers on the simulated account: each
 * reaches the code the way an attacker (or a confused neighbour) could send it, and each must be
 * refused or ignored without changing anything it should not.
 */
import { describe, expect, it } from 'vitest';
import { parameterName } from '../../lib/config.js';
import { SERVICE_EVENTS } from '../../lib/model/service-events.js';
import { REPORTING_GRACE_MS } from '../../lib/model/timing.js';
import { deployedStack, MINUTE, selectorTags, successfulCommands } from './helpers.js';

/** A stack with one onboarded instance selecting `default`. */
async function onboarded(seed: number) {
  const { account, stack } = deployedStack({ seed });
  await stack.settle();
  const instanceId = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName }).instanceId;
  await stack.settle();
  expect(account.record(instanceId)?.status).toBe('configured');
  return { account, stack, instanceId };
}

describe('events from outside the deployment', () => {
  it.each([
    ['account', { account: '999999999999' }],
    ['region', { region: 'us-east-1' }],
  ])('an event of another %s is rejected, and nothing is enqueued', async (what, origin) => {
    const { account, stack } = deployedStack({ seed: 3 });
    stack.disconnectRules();
    const instanceId = account.launchInstance({ tags: selectorTags(stack, 'default') }).instanceId;
    stack.deliver({
      version: '0',
      id: 'forged',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: account.accountId,
      region: account.region,
      time: new Date(account.clock.now()).toISOString(),
      resources: [],
      detail: { 'instance-id': instanceId, state: 'running' },
      ...origin,
    });
    await stack.settle();
    expect(stack.rejected.map((r) => r.reason)).toEqual([expect.stringContaining(`${what} `)]);
    expect(account.record(instanceId)).toBeUndefined();
  });
});

describe('a command-status event for a command no record waits on', () => {
  it('is ignored after reading the record: no throw, no retry, nothing changed', async () => {
    const { account, stack, instanceId } = await onboarded(5);
    const before = account.record(instanceId);
    stack.emit(
      'aws.ssm',
      'EC2 Command Invocation Status-change Notification',
      { 'command-id': '11111111-2222-3333-4444-555555555555', 'document-name': stack.settings.documentName, 'instance-id': instanceId, status: 'Failed' },
      [],
    );
    await stack.settle();
    expect(stack.lost).toEqual([]);
    expect(stack.logs.filter((line) => line.level === 'error')).toEqual([]);
    expect(stack.effects.at(-1)).toMatchObject({ effect: 'outcome', instanceId, outcome: 'ignored' });
    expect(account.record(instanceId)).toEqual(before);
  });
});

describe('a forged parameter Delete', () => {
  it('does not publish Configuration Deleted while the parameter still exists', async () => {
    const { account, stack } = await onboarded(7);
    const name = parameterName(stack.settings, 'default');
    stack.emit('aws.ssm', 'Parameter Store Change', { operation: 'Delete', name, type: 'String', description: '' }, []);
    await stack.settle();
    expect(account.parameters.latest(name)).toBeDefined();
    expect(account.published.filter((event) => event.detailType === SERVICE_EVENTS.configurationDeleted)).toEqual([]);
    expect(stack.effects.at(-1)).toMatchObject({ effect: 'ignored', reason: expect.stringContaining('still exists') });
  });

  it('a real Delete still publishes it', async () => {
    const { account, stack } = await onboarded(8);
    account.deleteParameter(parameterName(stack.settings, 'default'));
    await stack.settle();
    expect(account.published.filter((event) => event.detailType === SERVICE_EVENTS.configurationDeleted)).toHaveLength(1);
  });
});

describe('a forged "restart a silent agent" work item', () => {
  it('restarts nothing when the worker finds the agent reporting', async () => {
    const { account, stack, instanceId } = await onboarded(9);
    await account.clock.sleep(REPORTING_GRACE_MS + MINUTE);
    const commands = successfulCommands(account, stack, instanceId);
    // What the sweep's fan-out sends, sent by someone else who can write to the queue.
    account.queue.send({ instanceIds: [instanceId], silence: { [instanceId]: 'forged: no metrics' }, reason: 'sweep fan-out', attempt: 0 }, 0);
    await stack.settle();
    expect(successfulCommands(account, stack, instanceId)).toBe(commands);
    expect(account.record(instanceId)?.silenceRestartAt).toBeUndefined();
  });

  it('still restarts an agent that is silent', async () => {
    const { account, stack, instanceId } = await onboarded(10);
    account.silenceAgent(instanceId, 'until-restart');
    await account.clock.sleep(REPORTING_GRACE_MS + MINUTE);
    account.queue.send({ instanceIds: [instanceId], silence: { [instanceId]: 'no metrics' }, reason: 'sweep fan-out', attempt: 0 }, 0);
    await stack.settle();
    expect(account.record(instanceId)?.silenceRestartAt).toBeDefined();
  });
});
