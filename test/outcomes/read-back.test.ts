/**
 * The outcome event carries neither a failure's text nor the agent version: the invocation is read
 * back (ListCommandInvocations) only when it can tell something the record does not know.
 */
import { describe, expect, it } from 'vitest';
import { testSettings } from '../../lib/config.js';
import { onCommandInvocation } from '../../lib/entry/events.js';
import type { AgentAction, CommandInvocation, InstanceRecord, Ports } from '../../lib/ports.js';

const ID = 'i-0123456789abcdef0';
const CMD = '00000000-0000-4000-8000-000000000001';
const settings = testSettings();

function setUp(action: AgentAction) {
  let record: InstanceRecord = {
    instanceId: ID,
    status: 'in-flight',
    attempts: 0,
    updatedAt: 0,
    revision: 1,
    appliedConfig: 'web',
    appliedVersion: 1,
    agentVersion: '1.300031.1b1',
    inFlight: { claimId: 'claim-1', commandId: CMD, action, configName: 'web', version: 2, sentAt: 1, leaseExpiresAt: 3_600_000 },
  };
  const readBacks: string[] = [];
  const invocation: CommandInvocation = { commandId: CMD, instanceId: ID, status: 'Success', agentVersion: '1.300032.2b361' };
  const ports = {
    clock: { now: () => 1_000, sleep: async () => {} },
    state: {
      get: async () => record,
      put: async (next: Omit<InstanceRecord, 'revision'>) => (record = { ...next, revision: record.revision + 1 }),
    },
    rollouts: { get: async () => undefined },
    ssm: { listCommandInvocations: async (commandId: string) => (readBacks.push(commandId), [invocation]) },
    events: { publish: async () => {} },
    queue: { enqueue: async () => {} },
    metrics: { count: () => {} },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  } as unknown as Ports;
  const event = {
    version: '0',
    id: 'e-1',
    'detail-type': 'EC2 Command Invocation Status-change Notification',
    source: 'aws.ssm',
    account: settings.accountId,
    time: new Date(1_000).toISOString(),
    region: settings.region,
    resources: [`arn:aws:ec2:${settings.region}:${settings.accountId}:instance/${ID}`],
    detail: { 'command-id': CMD, 'document-name': settings.documentName, 'instance-id': ID, 'requested-date-time': new Date(1).toISOString(), status: 'Success' },
  };
  return { ports, event, readBacks, record: () => record };
}

describe('reading an outcome back', () => {
  it('skips a successful configure: it cannot change the agent, whose version the record keeps', async () => {
    const { ports, event, readBacks, record } = setUp('configure');
    expect(await onCommandInvocation(ports, settings, event)).toMatchObject({ effect: 'outcome', outcome: 'applied' });
    expect(readBacks).toEqual([]);
    expect(record()).toMatchObject({ status: 'configured', appliedVersion: 2, agentVersion: '1.300031.1b1' });
  });

  it("reads a successful install's invocation for the version it installed", async () => {
    const { ports, event, readBacks, record } = setUp('install-and-configure');
    await onCommandInvocation(ports, settings, event);
    expect(readBacks).toEqual([CMD]);
    expect(record()).toMatchObject({ status: 'configured', agentVersion: '1.300032.2b361' });
  });

  it("reads a failed configure's invocation for why", async () => {
    const { ports, event, readBacks } = setUp('configure');
    await onCommandInvocation(ports, settings, { ...event, detail: { ...event.detail, status: 'Failed' } });
    expect(readBacks).toEqual([CMD]);
  });
});
