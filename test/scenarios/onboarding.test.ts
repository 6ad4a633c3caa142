/**
 * Issue 7's scenarios: instances onboarded by events alone, through the work queue and the worker,
 * with events duplicated, out of order, missing or malformed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alwaysFail, takes } from '../../local/index.js';
import { deployedStack, expectConverged, FLEET_RUN_TIMEOUT, MINUTE, selectorTags, successfulCommands } from './helpers.js';

const sample = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'events', file), 'utf8'));

/** 200 instances launched after the deploy, a third without a profile, onboarded by their events alone. */
async function twoHundredLaunched() {
  const { account, stack } = deployedStack({ seed: 11 });
  await stack.settle();
  const started = account.clock.now();
  const launched = new Map<string, string>();
  for (let index = 0; index < 200; index++) {
    const configName = index % 4 === 3 ? 'web' : 'default';
    const id = account.launchInstance({
      tags: selectorTags(stack, configName),
      // A third without a profile; SSM registration 1 to 35 minutes after a usable profile.
      ...(index % 3 !== 0 && { profileName: stack.settings.managedProfileName }),
      registrationDelayMs: (1 + (index % 35)) * MINUTE,
    }).instanceId;
    launched.set(id, configName);
  }
  await stack.settle();
  return { account, stack, started, launched };
}

describe('200 instances launched with the selector tag', () => {
  it('all converge within the registration window, one configure and one Instance Onboarded each, nothing lost', FLEET_RUN_TIMEOUT, async () => {
    const { account, stack, started, launched } = await twoHundredLaunched();

    // All converge, with exactly one successful configure each.
    for (const [id, configName] of launched) {
      expectConverged(account, stack, id, configName);
      expect(successfulCommands(account, stack, id), id).toBe(1);
    }

    // All converge inside the 45-minute registration window.
    const latest = Math.max(...[...launched.keys()].map((id) => account.agent(id).configuredAt ?? Infinity));
    expect(latest - started).toBeLessThan(45 * MINUTE);

    // Leaves nothing in the DLQ, loses no event and reports nothing unreachable.
    expect(account.queue.deadLetters).toEqual([]);
    expect(stack.lost).toEqual([]);
    expect(stack.metric('InstancesUnreachable')).toBe(0);
    expect(stack.metric('InstancesOnboarded')).toBe(200);

    // Publishes one Instance Onboarded event per instance.
    const onboarded = account.published.filter((event) => event.detailType === 'Instance Onboarded');
    expect(new Set(onboarded.map((event) => event.detail.instanceId))).toEqual(new Set(launched.keys()));
    expect(onboarded).toHaveLength(200);
  });
});

describe('every event delivered three times, some out of order', () => {
  it('sends no extra command and ends in the same state', async () => {
    const { account, stack } = deployedStack({ seed: 12 }, { eventCopies: 3, eventJitterMs: 90_000 });
    await stack.settle();
    const ids = Array.from({ length: 30 }, (_, index) =>
      account.launchInstance({
        tags: selectorTags(stack, 'default'),
        ...(index % 2 === 0 && { profileName: stack.settings.managedProfileName }),
        registrationDelayMs: 2 * MINUTE,
      }).instanceId,
    );
    // running, stopped, running: the stop and the second start race the first start's work.
    for (const id of ids.slice(0, 10)) {
      account.setState(id, 'stopped');
      account.setState(id, 'running');
    }
    await stack.settle();
    for (const id of ids) {
      expectConverged(account, stack, id, 'default');
      expect(successfulCommands(account, stack, id), id).toBe(1);
    }
    // Each outcome was recorded once: by its event, or by a worker that asked SSM first. Every one
    // of the three copies of each outcome event was handled, and the late ones changed nothing.
    expect(stack.metric('InstancesOnboarded')).toBe(30);
    const outcomes = stack.effects.filter((effect) => effect.effect === 'outcome');
    expect(outcomes).toHaveLength(90);
    expect(outcomes.filter((effect) => effect.effect === 'outcome' && effect.outcome === 'applied').length).toBeLessThanOrEqual(30);
    expect(account.queue.deadLetters).toEqual([]);
  });
});

describe('an instance terminated while its command is in flight', () => {
  it('closes the record with no error storm', async () => {
    const { account, stack } = deployedStack({ seed: 13, commandOutcome: takes(10 * MINUTE) });
    await stack.settle();
    const id = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle(3 * MINUTE);
    expect(account.record(id)?.inFlight).toBeDefined();
    account.terminate(id);
    await stack.settle();
    expect(account.record(id)).toMatchObject({ status: 'closed' });
    expect(account.record(id)?.inFlight).toBeUndefined();
    expect(stack.logs.filter((line) => line.level === 'error')).toEqual([]);
    expect(account.queue.deadLetters).toEqual([]);
    expect(account.invocationsOn(id).filter((invocation) => invocation.command.documentName === stack.settings.documentName)).toHaveLength(1);
  });
});

describe('command outcome events that never arrive', () => {
  it('are settled from SSM by the outcome check 15 minutes after the command, not hours later by a sweep', async () => {
    const { account, stack } = deployedStack({ seed: 18 }, { dropCommandEvents: 1 });
    await stack.settle();
    const ok = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    const bad = account.launchInstance({
      tags: selectorTags(stack, 'web'),
      profileName: stack.settings.managedProfileName,
      registrationDelayMs: MINUTE,
      commandOutcome: alwaysFail('amazon-cloudwatch-agent-ctl: E! config translation failed'),
    }).instanceId;
    const launchedAt = account.clock.now();
    await stack.settle();

    expectConverged(account, stack, ok, 'default');
    expect(account.agent(ok).configuredAt! - launchedAt).toBeLessThan(5 * MINUTE);
    expect(account.record(ok)?.inFlight).toBeUndefined();
    // Each failure settled by its check, retried with backoff, and given up on at the third.
    expect(account.record(bad)).toMatchObject({ status: 'failed', attempts: 3, lastError: expect.stringContaining('config translation failed') });
    expect(account.record(bad)?.inFlight).toBeUndefined();
    expect(account.clock.now() - launchedAt).toBeLessThan(2 * 60 * MINUTE);
    expect(stack.metric('InstancesOnboarded')).toBe(1);
    expect(stack.logs.filter((line) => line.message === 'command outcome settled by its check: its event never came')).toHaveLength(4);
  });
});

describe('the write of the command id lost after SendCommand', () => {
  /** An instance whose command is in flight and whose outcome event will never come, with the record put back on its claim. */
  async function claimLeftBehind(seed: number) {
    const { account, stack } = deployedStack({ seed }, { dropCommandEvents: 1 });
    await stack.settle();
    const id = account.launchInstance({
      tags: selectorTags(stack, 'default'),
      profileName: stack.settings.managedProfileName,
      registrationDelayMs: MINUTE,
      commandOutcome: takes(10 * MINUTE),
    }).instanceId;
    await stack.settle(3 * MINUTE);
    const { revision, ...record } = account.record(id)!;
    expect(record.inFlight?.commandId).toMatch(/^[0-9a-f]{8}-/);
    // As if the write had failed after its retries.
    const { commandId: _sent, ...claimOnly } = record.inFlight!;
    account.table.put(id, { ...record, inFlight: claimOnly }, revision);
    return { account, stack, id };
  }

  it('is made good by the outcome check, which knows the claim', async () => {
    const { account, stack, id } = await claimLeftBehind(19);
    await stack.settle();
    expectConverged(account, stack, id, 'default');
    expect(account.record(id)?.inFlight).toBeUndefined();
    expect(account.invocationsOn(id)).toHaveLength(1);
  });

  it('without the check, is tied back to its command by the sweep and settled, not timed out and sent again', async () => {
    const { account, stack, id } = await claimLeftBehind(20);
    // The outcome check was lost as well (its enqueue failed too).
    for (const message of account.queue.sent) if ('commandId' in message.body) account.queue.delete(message.messageId);
    await stack.settle();
    expect(account.record(id)?.inFlight).toMatchObject({ claimId: expect.stringMatching(/^claim-/) });
    expect(account.record(id)?.inFlight?.commandId).toBeUndefined();

    await stack.reconcile({ dryRun: false });
    await stack.settle();
    expectConverged(account, stack, id, 'default');
    expect(account.record(id)?.inFlight).toBeUndefined();
    expect(account.invocationsOn(id)).toHaveLength(1);
  });
});

describe('the state table reads of one onboarding', () => {
  it('reads records in batches, and no rollout for an outcome at a version already rolled out', async () => {
    const { account, stack } = deployedStack({ seed: 17 });
    await stack.settle(); // the deploy's rollouts complete
    account.resetCalls();
    const id = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    expectConverged(account, stack, id, 'web');
    const { calls } = account.stats();
    // The worker's looks read the record and the rollouts with BatchGetItem; the outcome handler
    // reads the record once; nothing reads the completed rollout after the outcome.
    expect(calls.GetItem).toBe(1);
    expect(calls.BatchGetItem).toBeGreaterThanOrEqual(2);
  });
});

describe('bad or irrelevant events: a log line and a metric, nothing else', () => {
  it('a malformed event is rejected with its reason', async () => {
    const { account, stack } = deployedStack({ seed: 14 });
    await stack.settle();
    const before = account.stats().calls;
    const malformed = sample('ec2-running.json');
    (malformed.detail as Record<string, unknown>)['instance-id'] = 'not-an-instance; rm -rf /';
    stack.deliver(malformed);
    stack.deliver({ source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: {} });
    await stack.settle();
    expect(stack.rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/malformed EC2 state-change event: detail.instance-id: is not an EC2 instance id/),
      expect.stringMatching(/detail.instance-id/),
    ]);
    expect(stack.metric('EventsRejected')).toBe(2);
    expect(stack.logs.some((line) => line.level === 'warn' && line.message === 'event rejected')).toBe(true);
    expect(account.stats().calls).toEqual(before);
  });

  it('an event for an unknown instance enqueues one look and changes nothing', async () => {
    const { account, stack } = deployedStack({ seed: 15 });
    await stack.settle();
    stack.deliver(sample('ec2-running.json'));
    await stack.settle();
    expect(account.records()).toEqual([]);
    expect(account.stats().calls.SendCommand ?? 0).toBe(0);
    expect(account.queue.deadLetters).toEqual([]);
  });

  it('a tag value naming no configuration is reported once, with a metric', async () => {
    const { account, stack } = deployedStack({ seed: 16 });
    await stack.settle();
    const id = account.launchInstance({ tags: { Name: 'x' }, profileName: stack.settings.managedProfileName }).instanceId;
    await stack.settle();
    account.tag(id, stack.settings.selectorTagKey, 'nosuch');
    await stack.settle();
    expect(account.record(id)).toMatchObject({ status: 'invalid', lastError: expect.stringContaining('"nosuch" names no configuration') });
    expect(stack.metric('InvalidSelections')).toBe(1);
    expect(account.invocationsOn(id)).toEqual([]);
  });

  it('a tag change of another key is ignored', async () => {
    const { account, stack } = deployedStack({ seed: 17 });
    await stack.settle();
    stack.deliver(sample('near-miss-tag-other-key.json'));
    await stack.settle();
    expect(stack.effects).toContainEqual(expect.objectContaining({ effect: 'ignored', reason: 'changed tags do not include fleetwatch:dev:config' }));
    expect(account.queue.sent.filter((message) => 'instanceId' in message.body)).toEqual([]);
  });
});

describe('selection changes', () => {
  it('reselected: configured with the new configuration', async () => {
    const { account, stack } = deployedStack({ seed: 18 });
    await stack.settle();
    const id = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    expectConverged(account, stack, id, 'default');
    account.tag(id, stack.settings.selectorTagKey, 'web');
    await stack.settle();
    expectConverged(account, stack, id, 'web');
  });

  it('deselected with onDeselect stop: the agent is stopped and the record says so', async () => {
    const { account, stack } = deployedStack({ seed: 19 }, { settings: { onDeselect: 'stop' } });
    await stack.settle();
    const id = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    account.tag(id, stack.settings.selectorTagKey, undefined);
    await stack.settle();
    expect(account.agent(id).running).toBe(false);
    expect(account.record(id)).toMatchObject({ status: 'deselected' });
  });

  it('deselected with onDeselect leave (default): the agent keeps running', async () => {
    const { account, stack } = deployedStack({ seed: 20 });
    await stack.settle();
    const id = account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
    await stack.settle();
    account.tag(id, stack.settings.selectorTagKey, undefined);
    await stack.settle();
    expect(account.agent(id).running).toBe(true);
    expect(account.record(id)).toMatchObject({ status: 'deselected' });
  });
});

describe('failures', () => {
  it('a failing command is retried a bounded number of times, then recorded failed with the error text', async () => {
    const { account, stack } = deployedStack({ seed: 21 });
    await stack.settle();
    const id = account.launchInstance({
      tags: selectorTags(stack, 'default'),
      profileName: stack.settings.managedProfileName,
      registrationDelayMs: MINUTE,
      commandOutcome: alwaysFail('amazon-cloudwatch-agent-ctl: E! invalid config'),
    }).instanceId;
    await stack.settle();
    expect(account.record(id)).toMatchObject({ status: 'failed', attempts: stack.settings.maxCommandAttempts });
    expect(account.record(id)?.lastError).toContain('E! invalid config');
    expect(account.invocationsOn(id)).toHaveLength(stack.settings.maxCommandAttempts);
    expect(account.published.filter((event) => event.detailType === 'Instance Onboarding Failed')).toHaveLength(1);
    // The sweep does not hammer it again at the same version.
    expect((await stack.reconcile({ dryRun: true })).actions).toBe(0);
  });

  it('an instance that never registers is recorded unreachable after the window, with an event', async () => {
    const { account, stack } = deployedStack({ seed: 22 });
    await stack.settle();
    const id = account.launchInstance({ tags: selectorTags(stack, 'default'), registrationDelayMs: 10 * 60 * MINUTE }).instanceId;
    await stack.settle(2 * 60 * MINUTE);
    expect(account.record(id)).toMatchObject({ status: 'unreachable', lastError: expect.stringContaining('not registered with SSM') });
    expect(account.published.filter((event) => event.detailType === 'Instance Unreachable')).toHaveLength(1);
    expect(account.queue.deadLetters).toEqual([]);
  });
});
