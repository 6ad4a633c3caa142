import { describe, expect, it } from 'vitest';
import { reconcile } from '../../lib/entry/reconcile.js';
import { cellPorts, cellScopedKey, cellSettings, HubRecords, splitCellScopedKey } from '../../lib/organization/cell-ports.js';
import type { Cell, Ports, ServiceEvent, WorkItem } from '../../lib/ports.js';
import { organization } from './helpers.js';

const A: Cell = { account: '100000000001', region: 'eu-west-1' };
const B: Cell = { account: '100000000002', region: 'eu-west-1' };

describe('cell-scoped keys', () => {
  it('put the cell after the id, and split back', () => {
    expect(cellScopedKey('i-00000000000000001', A)).toBe('i-00000000000000001@100000000001/eu-west-1');
    expect(splitCellScopedKey('rollout#@agent@100000000001/eu-west-1')).toEqual({ id: 'rollout#@agent', cell: '100000000001/eu-west-1' });
    expect(splitCellScopedKey('i-00000000000000001')).toBeUndefined();
  });
});

describe('the ports of a cell', () => {
  it('run the single-account reconcile in two cells whose instance ids repeat, without the records colliding', async () => {
    const { org, settings } = organization({ accounts: 2, regions: ['eu-west-1'] });
    const tag = { [settings.selectorTagKey]: 'web' };
    // Both accounts number their instances from 1: the same ids in two cells.
    const idA = org.member(A).launchInstance({ tags: tag, profileName: settings.managedProfileName }).instanceId;
    const idB = org.member(B).launchInstance({ tags: tag, profileName: settings.managedProfileName }).instanceId;
    expect(idA).toBe(idB);
    await org.clock.advance(2 * 60_000);
    const hub = org.hub.ports();
    const members = org.membersPort();
    const records = new HubRecords(hub.state);
    for (const cell of [A, B]) {
      const ports = cellPorts(hub, cell, await members.open(cell), { records });
      const report = await reconcile(ports, cellSettings(settings, cell), { dryRun: false, action: 'ensure' });
      expect(report.instancesInScope).toBe(1);
    }
    await org.clock.advance(5 * 60_000);
    const stored = org.hub.records().map((record) => [record.instanceId, record.account, record.region]);
    expect(stored.sort()).toEqual([
      [cellScopedKey(idA, A), A.account, A.region],
      [cellScopedKey(idB, B), B.account, B.region],
    ]);
    // Each command went to its own account, and each cell reads back its own record, id as the domain knows it.
    expect(org.member(A).commands.commands.size).toBe(1);
    expect(org.member(B).commands.commands.size).toBe(1);
    const portsB = cellPorts(hub, B, await members.open(B));
    expect(await portsB.state.get(idB)).toMatchObject({ instanceId: idB, account: B.account, status: 'in-flight' });
    expect((await portsB.state.list()).map((record) => record.instanceId)).toEqual([idB]);
    expect(org.hub.calls.DescribeInstances ?? 0).toBe(0);
  });

  it('read the hub table once for every cell of an invocation, and see their own writes after', async () => {
    const { org } = organization();
    const hub = org.hub.ports();
    const records = new HubRecords(hub.state);
    const members = org.membersPort();
    const [a, b] = [cellPorts(hub, A, await members.open(A), { records }), cellPorts(hub, B, await members.open(B), { records })];
    await a.state.put({ instanceId: 'i-0aaa', status: 'pending', attempts: 0, updatedAt: 0 }, undefined);
    expect(await a.state.list()).toHaveLength(1);
    expect(await b.state.list()).toEqual([]);
    const written = await b.state.put({ instanceId: 'i-0aaa', status: 'pending', attempts: 0, updatedAt: 0 }, undefined);
    expect(written).toMatchObject({ instanceId: 'i-0aaa', revision: 1, account: B.account });
    expect((await b.state.list()).map((record) => record.account)).toEqual([B.account]);
    expect(org.hub.calls.Scan).toBe(1);
  });

  it('key rollouts by cell', async () => {
    const { org } = organization();
    const hub = org.hub.ports();
    const members = org.membersPort();
    const [a, b] = [cellPorts(hub, A, await members.open(A)), cellPorts(hub, B, await members.open(B))];
    const rollout = { configName: 'web', version: 2, status: 'in-progress' as const, total: 1, sent: 0, succeeded: 0, failed: 0, startedAt: 0, updatedAt: 0 };
    await a.rollouts.put(rollout, undefined);
    await b.rollouts.put({ ...rollout, version: 3 }, undefined);
    expect(await a.rollouts.get('web')).toMatchObject({ configName: 'web', version: 2, account: A.account });
    expect((await b.rollouts.getMany(['web'])).map((r) => [r.configName, r.version])).toEqual([['web', 3]]);
    expect((await b.rollouts.list()).map((r) => r.version)).toEqual([3]);
    expect(org.hub.rollout(`web@${A.account}/${A.region}`)).toMatchObject({ version: 2, region: A.region });
  });

  it('stamp work items, service events, log lines and metrics with the cell', async () => {
    const { org } = organization();
    const queued: WorkItem[] = [];
    const published: ServiceEvent[] = [];
    const logged: Record<string, unknown>[] = [];
    const counted: unknown[][] = [];
    const hub: Ports = {
      ...org.hub.ports(),
      queue: { enqueue: async (items) => void queued.push(...items) },
      events: { publish: async (events) => void published.push(...events) },
      log: { debug() {}, info: (_m, extra) => void logged.push(extra ?? {}), warn() {}, error() {} },
      metrics: { count: (...args) => void counted.push(args) },
    };
    const ports = cellPorts(hub, A, await org.membersPort().open(A));
    await ports.queue.enqueue([{ instanceId: 'i-0aaa', reason: 'test', attempt: 0 }]);
    await ports.events.publish([{ detailType: 'Instance Onboarded', detail: { instanceId: 'i-0aaa' } }]);
    ports.log.info('hello', { n: 1 });
    ports.metrics.count('InstancesOnboarded', 2);
    expect(queued).toEqual([{ instanceId: 'i-0aaa', reason: 'test', attempt: 0, cell: A }]);
    expect(published[0]!.detail).toEqual({ instanceId: 'i-0aaa', account: A.account, region: A.region });
    expect(logged).toEqual([{ n: 1, account: A.account, region: A.region }]);
    expect(counted).toEqual([['InstancesOnboarded', 2, { account: A.account, region: A.region }]]);
    expect(ports.knownLogGroups).toBeUndefined();
  });

  it('give the domain the cell\'s account and region as the stage\'s', () => {
    const { settings } = organization();
    expect(cellSettings(settings, B)).toMatchObject({ accountId: B.account, region: B.region, stage: settings.stage });
  });
});
