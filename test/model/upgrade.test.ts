/**
 * Upgrades keep what is in flight: records, rollouts and work items in the shapes the release
 * before this one wrote (4086d41: lib/ports.ts InFlightCommand, lib/work-item.ts) keep working.
 */
import { describe, expect, it } from 'vitest';
import { upgradeRecord } from '../../lib/model/upgrade.js';
import { parseWorkItem } from '../../lib/model/work-item.js';
import { takes } from '../../local/index.js';
import { deployedStack, expectConverged, MINUTE, selectorTags } from '../scenarios/helpers.js';

const CMD = '00000000-0000-4000-8000-000000000001';

/** An in-flight command as the release before wrote it: one commandId string, claim or command. */
const oldInFlight = (commandId: string) => ({ commandId, action: 'install-and-configure' as const, configName: 'web', version: 1, sentAt: 5_000, leaseExpiresAt: 9_000 });

describe('an old record read by the new code', () => {
  const base = { instanceId: 'i-0123456789abcdef0', status: 'in-flight' as const, attempts: 0, updatedAt: 5_000, revision: 4 };

  it('a bound command: its claim is rebuilt from sentAt, its command id kept', () => {
    expect(upgradeRecord({ ...base, inFlight: oldInFlight(CMD) }).inFlight).toEqual({ ...oldInFlight(CMD), claimId: 'claim-5000', commandId: CMD });
  });

  it('a claim whose command id was never written: still a claim, with no command id', () => {
    const { commandId: _c, ...rest } = oldInFlight('claim-5000');
    expect(upgradeRecord({ ...base, inFlight: oldInFlight('claim-5000') }).inFlight).toEqual({ ...rest, claimId: 'claim-5000' });
  });

  it('a record with nothing in flight, or in the new shape, is as it was', () => {
    const settled = { ...base, status: 'configured' as const };
    expect(upgradeRecord(settled)).toBe(settled);
    const fresh = { ...base, inFlight: { ...oldInFlight(CMD), claimId: 'claim-5000' } };
    expect(upgradeRecord(fresh)).toBe(fresh);
  });
});

describe('work items queued (or dead-lettered) by the release before', () => {
  it.each([
    ['an instance', { instanceId: 'i-0123456789abcdef0', reason: 'state running', attempt: 0 }],
    ['an outcome check with its claim', { instanceId: 'i-0123456789abcdef0', commandId: CMD, claimId: 'claim-1700000000000', reason: `outcome check of ${CMD}`, attempt: 2 }],
    ['an outcome check', { instanceId: 'i-0123456789abcdef0', commandId: CMD, reason: `outcome check of ${CMD}`, attempt: 1 }],
    ['a rollout', { rollout: 'web', reason: 'v3 written', attempt: 0 }],
    ['a fan-out batch with silence', { instanceIds: ['i-0123456789abcdef0'], reason: 'sweep fan-out', attempt: 0, silence: { 'i-0123456789abcdef0': 'no metrics' } }],
  ])('%s still parses', (_name, item) => {
    expect(parseWorkItem(JSON.stringify(item))).toEqual(item);
  });
});

describe('an instance whose command was in flight across the deploy', () => {
  async function inFlightAcrossDeploy(seed: number, shape: 'bound' | 'claim') {
    const { account, stack } = deployedStack({ seed }, { dropCommandEvents: 1 });
    await stack.settle();
    const id = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE, commandOutcome: takes(10 * MINUTE) }).instanceId;
    await stack.settle(3 * MINUTE);
    const { revision, inFlight, ...record } = account.record(id)!;
    // Written back in the old shape, as the release before left it in the table.
    const old = { commandId: shape === 'bound' ? inFlight!.commandId! : inFlight!.claimId, action: inFlight!.action, configName: inFlight!.configName, version: inFlight!.version, sentAt: inFlight!.sentAt, leaseExpiresAt: inFlight!.leaseExpiresAt };
    account.table.put(id, { ...record, inFlight: old }, revision);
    return { account, stack, id };
  }

  it('bound to its command: its outcome check settles it, nothing is sent again', async () => {
    const { account, stack, id } = await inFlightAcrossDeploy(51, 'bound');
    await stack.settle();
    expectConverged(account, stack, id, 'web');
    expect(account.invocationsOn(id)).toHaveLength(1);
  });

  it('still on its claim, its check lost: the sweep ties it to its command and settles it', async () => {
    const { account, stack, id } = await inFlightAcrossDeploy(52, 'claim');
    for (const message of account.queue.sent) if ('commandId' in message.body) account.queue.delete(message.messageId);
    await stack.settle();
    await stack.reconcile({ dryRun: false });
    await stack.settle();
    expectConverged(account, stack, id, 'web');
    expect(account.invocationsOn(id)).toHaveLength(1);
  });
});
