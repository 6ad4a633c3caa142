/**
 * Every transition of the instance record, as a table: (record, input, now) → the next record or
 * "no change". The rows marked "chaos" are the cases the fault-injection run found.
 */
import { describe, expect, it } from 'vitest';
import * as lifecycle from '../../lib/model/lifecycle.js';
import type { InFlightCommand, InstanceRecord } from '../../lib/ports.js';

const NOW = 1_000_000;
const ID = 'i-0123456789abcdef0';
const CMD = '11111111-2222-4333-8444-555555555555';
const OTHER = '99999999-2222-4333-8444-555555555555';

function record(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return { instanceId: ID, status: 'pending', attempts: 0, updatedAt: 0, revision: 3, ...overrides };
}
function inFlight(overrides: Partial<InFlightCommand> = {}): InFlightCommand {
  return { claimId: 'claim-900000', commandId: CMD, action: 'configure', configName: 'web', version: 2, sentAt: 900_000, leaseExpiresAt: NOW + 1, ...overrides };
}
const claimInput = (overrides: Partial<lifecycle.ClaimInput> = {}): lifecycle.ClaimInput => ({
  instanceId: ID,
  action: 'configure',
  configName: 'web',
  version: 2,
  claimId: 'claim-1000000',
  leaseMs: 60_000,
  ...overrides,
});

type Row = [name: string, next: () => lifecycle.Next, expected: Partial<InstanceRecord> | { unchanged: string } | ((next: lifecycle.Next) => void)];

const rows: Row[] = [
  // claim
  ['claim: a new instance', () => lifecycle.claim(undefined, claimInput(), NOW), { status: 'in-flight', configName: 'web', targetVersion: 2, attempts: 0, inFlight: { claimId: 'claim-1000000', action: 'configure', configName: 'web', version: 2, sentAt: NOW, leaseExpiresAt: NOW + 60_000 } }],
  ['claim: refused while the lease holds', () => lifecycle.claim(record({ inFlight: inFlight() }), claimInput(), NOW), { unchanged: lifecycle.IN_FLIGHT }],
  ['claim: taken once the lease ran out', () => lifecycle.claim(record({ inFlight: inFlight({ leaseExpiresAt: NOW }) }), claimInput(), NOW), { status: 'in-flight', inFlight: expect.objectContaining({ claimId: 'claim-1000000' }) }],
  ['claim (chaos): refused when the record moved on since the plan', () => lifecycle.claim(record(), claimInput({ plannedFrom: { revision: 2 } }), NOW), { unchanged: lifecycle.RECORD_CHANGED }],
  ['claim: planned from no record, a record appeared', () => lifecycle.claim(record(), claimInput({ plannedFrom: { revision: undefined } }), NOW), { unchanged: lifecycle.RECORD_CHANGED }],
  ['claim: same target keeps the failed attempts', () => lifecycle.claim(record({ configName: 'web', targetVersion: 2, attempts: 2 }), claimInput(), NOW), { attempts: 2 }],
  ['claim: a new target starts the attempts again', () => lifecycle.claim(record({ configName: 'web', targetVersion: 1, attempts: 2 }), claimInput(), NOW), { attempts: 0, targetVersion: 2 }],
  ['claim: a stop keeps the target', () => lifecycle.claim(record({ configName: 'web', targetVersion: 1 }), claimInput({ action: 'stop', version: 1 }), NOW), { configName: 'web', targetVersion: 1, inFlight: expect.objectContaining({ action: 'stop' }) }],
  ['claim: the silence restart is remembered', () => lifecycle.claim(record(), claimInput({ action: 'restart', forSilence: true }), NOW), { silenceRestartAt: NOW }],
  ['claim: a rolled-out version is marked', () => lifecycle.claim(record(), claimInput({ rolledOut: true }), NOW), { inFlight: expect.objectContaining({ rolledOut: true }) }],
  // bind command id
  ['bind: the claim gets its command', () => lifecycle.bindCommandId(record({ inFlight: inFlight({ commandId: undefined }) }), { claimId: 'claim-900000', commandId: CMD }, NOW), { inFlight: expect.objectContaining({ claimId: 'claim-900000', commandId: CMD }) }],
  ['bind: another claim', () => lifecycle.bindCommandId(record({ inFlight: inFlight({ commandId: undefined }) }), { claimId: 'claim-1', commandId: CMD }, NOW), { unchanged: 'the record no longer holds this claim' }],
  ['bind (chaos): never overwrites another command id', () => lifecycle.bindCommandId(record({ inFlight: inFlight({ commandId: OTHER }) }), { claimId: 'claim-900000', commandId: CMD }, NOW), { unchanged: 'bound to another command' }],
  ['bind: twice is once', () => lifecycle.bindCommandId(record({ inFlight: inFlight() }), { claimId: 'claim-900000', commandId: CMD }, NOW), { unchanged: 'already bound' }],
  ['bind: no record', () => lifecycle.bindCommandId(undefined, { claimId: 'claim-900000', commandId: CMD }, NOW), { unchanged: 'the record no longer holds this claim' }],
  // release
  ['release: SendCommand failed', () => lifecycle.release(record({ status: 'in-flight', inFlight: inFlight({ commandId: undefined }) }), { claimId: 'claim-900000', why: 'throttled' }, NOW), (next) => expect(next).toEqual({ instanceId: ID, status: 'pending', lastError: 'throttled', attempts: 0, updatedAt: 0 })],
  ['release: a sent command is not released', () => lifecycle.release(record({ inFlight: inFlight() }), { claimId: 'claim-900000', why: 'x' }, NOW), { unchanged: 'the record no longer holds this claim unsent' }],
  ['release: another claim', () => lifecycle.release(record({ inFlight: inFlight({ commandId: undefined }) }), { claimId: 'claim-1', why: 'x' }, NOW), { unchanged: 'the record no longer holds this claim unsent' }],
  // settle outcome
  ['outcome: success applies the version', () => lifecycle.settleOutcome(record({ status: 'in-flight', attempts: 1, lastError: 'e', waitingSince: 5, silenceRestartAt: 7, inFlight: inFlight() }), { commandId: CMD, status: 'Success', maxAttempts: 3 }, NOW), (next) => expect(next).toEqual({ instanceId: ID, status: 'configured', attempts: 0, appliedAt: NOW, appliedConfig: 'web', appliedVersion: 2, updatedAt: 0 })],
  ['outcome: a restart keeps the silence restart time', () => lifecycle.settleOutcome(record({ appliedConfig: 'web', appliedVersion: 2, silenceRestartAt: 7, inFlight: inFlight({ action: 'restart' }) }), { commandId: CMD, status: 'Success', maxAttempts: 3 }, NOW), { status: 'configured', silenceRestartAt: 7 }],
  ['outcome: a stop leaves the instance deselected with nothing applied', () => lifecycle.settleOutcome(record({ appliedConfig: 'web', appliedVersion: 2, inFlight: inFlight({ action: 'stop' }) }), { commandId: CMD, status: 'Success', maxAttempts: 3 }, NOW), (next) => expect(next).toEqual({ instanceId: ID, status: 'deselected', attempts: 0, updatedAt: 0 })],
  ['outcome: a failure below the limit is a retry, with the error text', () => lifecycle.settleOutcome(record({ attempts: 0, inFlight: inFlight() }), { commandId: CMD, status: 'Failed', statusDetails: 'Failed', output: ' boom \n', maxAttempts: 3 }, NOW), { status: 'pending', attempts: 1, lastError: `command ${CMD} Failed: boom` }],
  ['outcome: a failure at the limit is failed', () => lifecycle.settleOutcome(record({ attempts: 2, inFlight: inFlight() }), { commandId: CMD, status: 'TimedOut', statusDetails: 'ExecutionTimedOut', maxAttempts: 3 }, NOW), { status: 'failed', attempts: 3, lastError: `command ${CMD} TimedOut (ExecutionTimedOut)` }],
  ['outcome (chaos): a stale outcome does not settle the current command', () => lifecycle.settleOutcome(record({ inFlight: inFlight({ commandId: OTHER }) }), { commandId: CMD, status: 'Success', maxAttempts: 3 }, NOW), { unchanged: 'the record does not wait on this command' }],
  ['outcome: a duplicate after settling changes nothing', () => lifecycle.settleOutcome(record({ status: 'configured' }), { commandId: CMD, status: 'Success', maxAttempts: 3 }, NOW), { unchanged: 'the record does not wait on this command' }],
  ['outcome (chaos): an unbound claim is not settled by an outcome', () => lifecycle.settleOutcome(record({ inFlight: inFlight({ commandId: undefined }) }), { commandId: CMD, status: 'Success', maxAttempts: 3 }, NOW), { unchanged: 'the record does not wait on this command' }],
  // agent version
  ['claim: an install at a pinned agent version carries it and records the target', () => lifecycle.claim(record(), claimInput({ action: 'install-and-configure', agentVersion: '1.300032.2b361' }), NOW), { targetAgentVersion: '1.300032.2b361', inFlight: expect.objectContaining({ agentVersion: '1.300032.2b361' }) }],
  ['claim: a new agent target starts the attempts again', () => lifecycle.claim(record({ configName: 'web', targetVersion: 2, targetAgentVersion: '1.1.1', attempts: 2 }), claimInput({ agentVersion: '1.2.2' }), NOW), { attempts: 0 }],
  ['outcome: success records the agent version the instance reported', () => lifecycle.settleOutcome(record({ inFlight: inFlight({ agentVersion: '1.2.2' }) }), { commandId: CMD, status: 'Success', agentVersion: '1.2.2', maxAttempts: 3 }, NOW), { status: 'configured', agentVersion: '1.2.2' }],
  ['outcome: a failed upgrade records the version still running', () => lifecycle.settleOutcome(record({ agentVersion: '1.1.1', inFlight: inFlight({ agentVersion: '1.2.2' }) }), { commandId: CMD, status: 'Failed', agentVersion: '1.1.1', maxAttempts: 3 }, NOW), { status: 'pending', attempts: 1, agentVersion: '1.1.1' }],
  ['outcome: no version reported keeps the one recorded (old records have none)', () => lifecycle.settleOutcome(record({ agentVersion: '1.1.1', inFlight: inFlight() }), { commandId: CMD, status: 'Success', maxAttempts: 3 }, NOW), { status: 'configured', agentVersion: '1.1.1' }],
  ['outcome: an uninstall leaves the instance deselected with no agent', () => lifecycle.settleOutcome(record({ appliedConfig: 'web', appliedVersion: 2, agentVersion: '1.1.1', targetAgentVersion: '1.1.1', inFlight: inFlight({ action: 'uninstall' }) }), { commandId: CMD, status: 'Success', maxAttempts: 3 }, NOW), (next) => expect(next).toEqual({ instanceId: ID, status: 'deselected', attempts: 0, configName: undefined, targetVersion: undefined, updatedAt: 0 })],
  // lease expiry
  ['lease: held, nothing expires', () => lifecycle.expireLease(record({ inFlight: inFlight() }), { maxAttempts: 3 }, NOW), { unchanged: 'the lease still holds' }],
  ['lease: expired, the command counts as failed', () => lifecycle.expireLease(record({ attempts: 2, inFlight: inFlight({ leaseExpiresAt: NOW }) }), { maxAttempts: 3 }, NOW), { status: 'failed', attempts: 3, lastError: `command ${CMD} TimedOut (no outcome before the lease expired)` }],
  ['lease: an unbound claim expires under its claim id', () => lifecycle.expireLease(record({ inFlight: inFlight({ commandId: undefined, leaseExpiresAt: NOW - 1 }) }), { maxAttempts: 3 }, NOW), { status: 'pending', attempts: 1, lastError: 'command claim-900000 TimedOut (no outcome before the lease expired)' }],
  ['lease: nothing in flight', () => lifecycle.expireLease(record(), { maxAttempts: 3 }, NOW), { unchanged: 'nothing in flight' }],
  // registration wait
  ['wait: the window starts at the first look', () => lifecycle.waitForRegistration(undefined, { instanceId: ID, why: 'not registered with SSM' }, NOW), { status: 'pending', waitingSince: NOW, lastError: 'not registered with SSM' }],
  ['wait: the window start is kept', () => lifecycle.waitForRegistration(record({ status: 'unreachable', waitingSince: 5 }), { instanceId: ID, why: 'x' }, NOW), { status: 'pending', waitingSince: 5 }],
  ['wait: already waiting writes nothing', () => lifecycle.waitForRegistration(record({ waitingSince: 5 }), { instanceId: ID, why: 'x' }, NOW), { unchanged: 'already waiting' }],
  // reports
  ...(['unreachable', 'invalid', 'drift', 'failed'] as const).map((status): Row => [`report: ${status}`, () => lifecycle.report(record(), { instanceId: ID, status, why: 'because' }, NOW), { status, lastError: 'because' }]),
  ['deselect', () => lifecycle.deselect(record({ status: 'configured' }), { instanceId: ID }, NOW), { status: 'deselected' }],
  ['mark configured: clears the wait and the error', () => lifecycle.markConfigured(record({ status: 'unreachable', waitingSince: 5, lastError: 'e', attempts: 2 }), { instanceId: ID, configName: 'web', version: 2 }, NOW), (next) => expect(next).toEqual({ instanceId: ID, status: 'configured', configName: 'web', targetVersion: 2, attempts: 0, updatedAt: 0 })],
  // close
  ['close (chaos): a terminated instance drops its command in flight', () => lifecycle.close(record({ status: 'in-flight', inFlight: inFlight() }), { instanceId: ID }, NOW), (next) => expect(next).toEqual({ instanceId: ID, status: 'closed', attempts: 0, updatedAt: 0 })],
  ['close: no record, nothing to close', () => lifecycle.close(undefined, { instanceId: ID }, NOW), { unchanged: 'no record' }],
  ['close: closed stays closed without a write', () => lifecycle.close(record({ status: 'closed' }), { instanceId: ID }, NOW), { unchanged: 'already closed' }],
];

describe('the instance lifecycle', () => {
  it.each(rows)('%s', (_name, next, expected) => {
    const result = next();
    if (typeof expected === 'function') expected(result);
    else if ('unchanged' in expected) expect(result).toEqual(expected);
    else expect(result).toMatchObject(expected);
  });

  it.each([
    ['configured', 'applied'],
    ['deselected', 'applied'],
    ['pending', 'retry'],
    ['failed', 'failed'],
  ] as const)('a settled %s record means %s', (status, effect) => {
    expect(lifecycle.settledEffect({ instanceId: ID, status, attempts: 0, updatedAt: 0 })).toBe(effect);
  });

  it('the lease rule: held strictly before it expires', () => {
    expect(lifecycle.leaseHeld(record({ inFlight: inFlight({ leaseExpiresAt: NOW + 1 }) }), NOW)).toBe(true);
    expect(lifecycle.leaseHeld(record({ inFlight: inFlight({ leaseExpiresAt: NOW }) }), NOW)).toBe(false);
    expect(lifecycle.leaseHeld(record(), NOW)).toBe(false);
    expect(lifecycle.leaseHeld(undefined, NOW)).toBe(false);
  });
});
