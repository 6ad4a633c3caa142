/**
 * The one settle path, against the simulated account's ports: what a settled outcome means
 * (events, metrics, a retry), and that it is counted in its rollout.
 */
import { describe, expect, it } from 'vitest';
import { testSettings } from '../../lib/config.js';
import type { InFlightCommand, InstanceRecord, RolloutRecord } from '../../lib/ports.js';
import { settleCommandOutcome, settleInFlight } from '../../lib/outcomes/settle.js';
import { retryDelaySeconds } from '../../lib/model/timing.js';
import { SimulatedAccount } from '../../local/index.js';

const ID = 'i-0123456789abcdef0';
const CMD = '00000000-0000-4000-8000-000000000001';
const settings = testSettings({ maxCommandAttempts: 3 });

function setUp(record: Partial<InstanceRecord> & { inFlight?: InFlightCommand }, rollout?: Omit<RolloutRecord, 'revision'>) {
  const account = new SimulatedAccount({ seed: 7 });
  const now = account.clock.now();
  account.table.put<InstanceRecord>(ID, { instanceId: ID, status: 'in-flight', attempts: 0, updatedAt: now, ...record }, undefined);
  if (rollout) account.table.put<RolloutRecord>(`rollout#${rollout.configName}`, { ...rollout, instanceId: `rollout#${rollout.configName}` } as never, undefined);
  const metrics: string[] = [];
  const lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  const log = (level: string) => (message: string, extra?: Record<string, unknown>) => void lines.push({ level, message, ...(extra && { extra }) });
  const ports = account.ports({ metrics: { count: (name) => void metrics.push(name) }, log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } });
  return { account, ports, now, metrics, lines };
}
const inFlight = (now: number, overrides: Partial<InFlightCommand> = {}): InFlightCommand => ({
  claimId: `claim-${now}`,
  commandId: CMD,
  action: 'install-and-configure',
  configName: 'web',
  version: 2,
  sentAt: now,
  leaseExpiresAt: now + 60_000,
  ...overrides,
});

describe('settling a command outcome', () => {
  it('a first success onboards: Instance Onboarded, InstancesOnboarded', async () => {
    const { account, ports, metrics, lines } = setUp({});
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(account.clock.now()) }, record.revision);
    const settled = await settleCommandOutcome(ports, settings, { commandId: CMD, instanceId: ID, status: 'Success' });
    expect(settled?.effect).toBe('applied');
    expect(account.published).toEqual([
      expect.objectContaining({ detailType: 'Instance Onboarded', detail: { instanceId: ID, commandId: CMD, configName: 'web', version: 2, stage: 'dev' } }),
    ]);
    expect(metrics).toEqual(['InstancesOnboarded']);
    expect(lines).toEqual([{ level: 'info', message: 'instance onboarded', extra: { instanceId: ID, commandId: CMD, configName: 'web', version: 2 } }]);
    expect(account.record(ID)).toMatchObject({ status: 'configured', appliedVersion: 2 });
  });

  it('a success on an instance already configured is a configure, not an onboarding', async () => {
    const { account, ports, now, metrics, lines } = setUp({ appliedConfig: 'web', appliedVersion: 1 });
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now, { action: 'configure' }) }, record.revision);
    await settleCommandOutcome(ports, settings, { commandId: CMD, instanceId: ID, status: 'Success' });
    expect(account.published.map((event) => event.detailType)).toEqual(['Instance Configured']);
    expect(metrics).toEqual(['InstancesConfigured']);
    expect(lines.map((line) => line.message)).toEqual(['command succeeded']);
  });

  it('a failure with attempts left queues the retry after its backoff; the last one is reported', async () => {
    const { account, ports, now, metrics, lines } = setUp({ attempts: 1 });
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now) }, record.revision);
    await settleCommandOutcome(ports, settings, { commandId: CMD, instanceId: ID, status: 'Failed', output: 'boom' });
    const retry = [...account.queue.messages.values()].find((message) => 'instanceId' in message.body && message.body.attempt === 2);
    expect(retry?.body).toEqual({ instanceId: ID, reason: `retry after failed command ${CMD}`, attempt: 2 });
    expect(retry?.delaySeconds).toBe(retryDelaySeconds(2));
    expect(account.published).toEqual([]);
    expect(metrics).toEqual(['CommandsFailed']);
    expect(lines).toEqual([{ level: 'warn', message: 'command failed, will retry', extra: { instanceId: ID, commandId: CMD, attempts: 2, error: `command ${CMD} Failed: boom` } }]);
    metrics.length = 0;
    lines.length = 0;

    const again = account.record(ID)!;
    account.table.put(ID, { ...again, inFlight: inFlight(now) }, again.revision);
    await settleCommandOutcome(ports, settings, { commandId: CMD, instanceId: ID, status: 'Failed', output: 'boom' });
    expect(account.record(ID)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(account.published).toEqual([
      expect.objectContaining({
        detailType: 'Instance Onboarding Failed',
        detail: { instanceId: ID, commandId: CMD, attempts: 3, error: `command ${CMD} Failed: boom`, configName: undefined, version: undefined, stage: 'dev' },
      }),
    ]);
    expect(metrics).toEqual(['CommandsFailed', 'InstancesFailed']);
    expect(lines.map((line) => `${line.level} ${line.message}`)).toEqual(['error command failed, giving up']);
  });

  it('a stale outcome settles nothing and says nothing', async () => {
    const { account, ports, now } = setUp({});
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now, { commandId: '00000000-0000-4000-8000-000000000002' }) }, record.revision);
    expect(await settleCommandOutcome(ports, settings, { commandId: CMD, instanceId: ID, status: 'Success' })).toBeUndefined();
    expect(account.published).toEqual([]);
    expect(account.record(ID)?.status).toBe('in-flight');
  });

  it('counts the outcome in the rollout of its version', async () => {
    const { account, ports, now } = setUp({}, { configName: 'web', version: 2, status: 'in-progress', total: 10, sent: 10, succeeded: 0, failed: 0, startedAt: 0, updatedAt: 0 });
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now) }, record.revision);
    await settleCommandOutcome(ports, settings, { commandId: CMD, instanceId: ID, status: 'Success' });
    expect(account.rollout('web')).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it('counts a failure as a failure in the rollout', async () => {
    const { account, ports, now } = setUp({ attempts: 2 }, { configName: 'web', version: 2, status: 'in-progress', total: 10, sent: 10, succeeded: 0, failed: 0, startedAt: 0, updatedAt: 0 });
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now) }, record.revision);
    await settleCommandOutcome(ports, settings, { commandId: CMD, instanceId: ID, status: 'Failed' });
    expect(account.rollout('web')).toMatchObject({ succeeded: 0, failed: 1 });
  });

  it('ignores a status that is not final', async () => {
    const { account, ports, now } = setUp({});
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now) }, record.revision);
    expect(await settleCommandOutcome(ports, settings, { commandId: CMD, instanceId: ID, status: 'InProgress' })).toBeUndefined();
    expect(account.record(ID)?.status).toBe('in-flight');
  });
});

describe('settling what is in flight from SSM (the sweep and the outcome check)', () => {
  it('fails a command whose lease ran out with no outcome, and leaves one whose lease holds', async () => {
    const { account, ports, now } = setUp({});
    const record = account.record(ID)!;
    // A claim never tied to a command: SSM has nothing to say about it.
    account.table.put(ID, { ...record, inFlight: inFlight(now - 120_000, { commandId: undefined, leaseExpiresAt: now - 1 }) }, record.revision);
    const expired = await settleInFlight(ports, settings, [account.record(ID)!]);
    expect(expired.outcomes.map((outcome) => outcome.effect)).toEqual(['retry']);
    expect(account.record(ID)).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringContaining('no outcome before the lease expired') });

    const held = account.record(ID)!;
    account.table.put(ID, { ...held, inFlight: inFlight(now, { commandId: undefined }) }, held.revision);
    const running = await settleInFlight(ports, settings, [account.record(ID)!]);
    expect(running).toEqual({ stillRunning: [ID], outcomes: [] });
  });
});

describe('settling from SSM when SSM answers badly, or a claim was never tied to its command', () => {
  const withSsm = (ports: ReturnType<typeof setUp>['ports'], ssm: Partial<ReturnType<typeof setUp>['ports']['ssm']>) => ({ ...ports, ssm: { ...ports.ssm, ...ssm } });

  it('leaves a command running when its invocations cannot be read, and says so', async () => {
    const { account, ports, now, lines } = setUp({});
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now) }, record.revision);
    const failing = withSsm(ports, { listCommandInvocations: async () => Promise.reject(new Error('throttled')) });
    expect(await settleInFlight(failing, settings, [account.record(ID)!])).toEqual({ stillRunning: [ID], outcomes: [] });
    expect(lines).toContainEqual({ level: 'warn', message: 'could not read command invocations', extra: { commandId: CMD, error: 'Error: throttled' } });
  });

  it('ties a claim to the first invocation since it, then settles that command', async () => {
    const { account, ports, now } = setUp({});
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now, { commandId: undefined }) }, record.revision);
    const asked: number[] = [];
    const ssm = withSsm(ports, {
      listInvocationsOnInstance: async (_id, _document, after) => (asked.push(after), [{ commandId: CMD, instanceId: ID, status: 'Success' as const }]),
      listCommandInvocations: async () => [{ commandId: CMD, instanceId: ID, status: 'Success' as const }],
    });
    const settled = await settleInFlight(ssm, settings, [account.record(ID)!]);
    expect(asked).toEqual([now - 1_000]);
    expect(settled.outcomes.map((outcome) => [outcome.effect, outcome.command.commandId])).toEqual([['applied', CMD]]);
    expect(account.record(ID)).toMatchObject({ status: 'configured', appliedVersion: 2 });
  });

  it('keeps the claim as it is when SSM cannot say what it became', async () => {
    const { account, ports, now, lines } = setUp({});
    const record = account.record(ID)!;
    account.table.put(ID, { ...record, inFlight: inFlight(now, { commandId: undefined }) }, record.revision);
    const ssm = withSsm(ports, { listInvocationsOnInstance: async () => Promise.reject(new Error('denied')) });
    expect(await settleInFlight(ssm, settings, [account.record(ID)!])).toEqual({ stillRunning: [ID], outcomes: [] });
    expect(account.record(ID)?.inFlight).toEqual(inFlight(now, { commandId: undefined }));
    expect(lines).toContainEqual({ level: 'warn', message: 'could not find the command a claim became', extra: { instanceId: ID, claim: `claim-${now}`, error: 'Error: denied' } });
  });
});
