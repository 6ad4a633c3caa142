import { describe, expect, it } from 'vitest';
import { testSettings, type Settings } from '../../lib/config.js';
import type { OrganizationReconcileReport } from '../../lib/organization/reconcile.js';
import type { OrganizationStatus } from '../../lib/organization/status.js';
import type { Cell } from '../../lib/ports.js';
import { createHandler } from '../../functions/handlers/reconcile.js';
import { SimulatedAccount } from '../../local/account.js';
import type { SimulatedOrganization } from '../../local/organization.js';
import { MINUTE, organization } from './helpers.js';

const context = { functionName: 'fleetwatch-dev-reconcile', awsRequestId: 'test', getRemainingTimeInMillis: () => 900_000 } as never;

/** The reconcile function of the hub, as deployed in the organization mode. */
function hubFunction(org: SimulatedOrganization, settings: Settings) {
  const handler = createHandler({ runtime: () => ({ settings, ports: org.hub.ports(), organization: org.access() }), middlewares: [] });
  return (input: unknown) => handler(input, context);
}

/** `perCell` selected instances in every cell, with the managed profile, registered. */
async function fleet(org: SimulatedOrganization, settings: Settings, perCell: number): Promise<void> {
  for (const cell of org.cells()) {
    org.member(cell).launchFleet(perCell, (i) => ({
      tags: { [settings.selectorTagKey]: i % 2 ? 'web' : 'default' },
      profileName: settings.managedProfileName,
    }));
  }
  await org.clock.advance(2 * MINUTE);
}

const key = (cell: Cell) => `${cell.account}/${cell.region}`;
const cellsOfReport = (report: { byCell: Cell[] }) => report.byCell.map(key);

describe('the organization reconcile', () => {
  it('plans every account-region with one AssumeRole and one hub Scan, and changes nothing', async () => {
    const { org, settings } = organization();
    await fleet(org, settings, 3);
    const report = (await hubFunction(org, settings)({ dryRun: true })) as OrganizationReconcileReport;
    expect(report.cells).toEqual({ total: 4, reconciled: 4, failed: 0 });
    // Each cell: its instances' installs and its own log groups (log groups are per account-region).
    expect(report.totals).toMatchObject({ instancesInScope: 12, selectedRunning: 12, byAction: { 'install-and-configure': 12, 'create-log-group': 24 } });
    expect(report.totals.actions).toBe(report.byCell.reduce((sum, cell) => sum + cell.actions, 0));
    expect(report.byCell.map((cell) => [key(cell), cell.instancesInScope, cell.actions])).toEqual(org.cells().map((cell) => [key(cell), 3, 9]));
    expect(report.lines[0]).toMatchObject({ account: '100000000001', region: 'eu-west-1', action: 'create-log-group' });
    expect(report.lines).toHaveLength(36);
    expect(org.cells().map((cell) => org.assumeRoles(cell))).toEqual([1, 1, 1, 1]);
    expect(org.hub.calls.Scan).toBe(1);
    expect(org.cells().map((cell) => org.member(cell).commands.commands.size)).toEqual([0, 0, 0, 0]);
    expect(org.hub.records()).toEqual([]);
  });

  it('applies in every cell, and status counts per account-region with the organization totals', async () => {
    const { org, settings } = organization();
    await fleet(org, settings, 2);
    const invoke = hubFunction(org, settings);
    const applied = (await invoke({ dryRun: false })) as OrganizationReconcileReport;
    expect(applied.totals).toMatchObject({ failed: 0, byAction: { 'install-and-configure': 8 } });
    expect(applied.totals.byOutcome).toEqual({ done: applied.totals.actions });
    await org.clock.advance(5 * MINUTE);
    // Outcome events are o3's routing; the next reconcile settles the commands from SSM.
    await invoke({ dryRun: false });
    const status = (await invoke({ mode: 'status' })) as OrganizationStatus;
    expect(status.cells).toEqual({ total: 4, read: 4, failed: 0 });
    expect(status.byCell.map((cell) => [key(cell), cell.byStatus])).toEqual(org.cells().map((cell) => [key(cell), { configured: 2 }]));
    expect(status.totals.byStatus).toEqual({ configured: 8 });
    expect(status.totals.configurations.find((c) => c.configName === 'web')?.instances.current).toBe(4);
    for (const cell of org.cells()) {
      for (const instance of org.member(cell).ec2.instances.keys()) expect(org.member(cell).agent(instance).running, `${key(cell)} ${instance}`).toBe(true);
    }
  });

  it('works only on the accounts and regions asked for, and refuses one outside the scope before any AssumeRole', async () => {
    const { org, settings } = organization();
    await fleet(org, settings, 1);
    const invoke = hubFunction(org, settings);
    const report = (await invoke({ dryRun: true, accounts: ['100000000002'], regions: ['us-east-1'] })) as OrganizationReconcileReport;
    expect(cellsOfReport(report)).toEqual(['100000000002/us-east-1']);
    expect([...org.assumeRolesByCell().keys()]).toEqual(['100000000002/us-east-1']);
    await expect(invoke({ dryRun: true, accounts: ['222222222222'] })).rejects.toThrow(/account 222222222222 is not in the stage's organization scope/);
    await expect(invoke({ mode: 'status', regions: ['ap-south-1'] })).rejects.toThrow(/region ap-south-1 is not a member region/);
    await expect(invoke({ dryRun: true, accounts: ['12345'] })).rejects.toThrow(/accounts\.0: is not a 12-digit account id/);
    expect(org.assumeRoles()).toBe(1);
  });

  it('reports a member without its stack and a throttled one with their reasons, and converges the rest', async () => {
    const { org, settings } = organization({ accounts: 3, regions: ['eu-west-1'] });
    const [healthy, missing, throttled] = org.cells();
    org.setFault(missing!, 'stack-missing');
    org.setFault(throttled!, 'throttled');
    org.member(healthy!).launchFleet(2, () => ({ tags: { [settings.selectorTagKey]: 'web' }, profileName: settings.managedProfileName }));
    await org.clock.advance(2 * MINUTE);
    const invoke = hubFunction(org, settings);
    const report = (await invoke({ dryRun: false })) as OrganizationReconcileReport;
    expect(report.cells).toEqual({ total: 3, reconciled: 1, failed: 2 });
    expect(report.failedCells.map((cell) => [key(cell), cell.reason])).toEqual([
      ['100000000002/eu-west-1', 'role-missing'],
      ['100000000003/eu-west-1', 'throttled'],
    ]);
    expect(report.failedCells[1]!.error).toMatch(/DescribeInstances: Rate exceeded/);
    expect(report.totals).toMatchObject({ instancesInScope: 2, byAction: { 'install-and-configure': 2 } });
    expect(report.totals.byOutcome).toEqual({ done: report.totals.actions });
    // Not retried in a storm: one AssumeRole each, and the throttled cell's EC2 asked once (the SDK's retries aside).
    expect(org.cells().map((cell) => org.assumeRoles(cell))).toEqual([1, 1, 1]);
    expect(org.member(throttled!).calls.DescribeInstances).toBe(1);
    const status = (await invoke({ mode: 'status' })) as OrganizationStatus;
    expect(status.failedCells.map((cell) => cell.reason)).toEqual(['role-missing']);
  });

  it('reports an account that left its organizational unit and leaves it alone', async () => {
    const { org, settings } = organization(
      { accounts: 2, regions: ['eu-west-1'], units: { 'ou-ab12-prod0001': ['100000000001', '100000000002'] } },
      { memberAccounts: [], organizationalUnits: ['ou-ab12-prod0001'] },
    );
    await fleet(org, settings, 2);
    const invoke = hubFunction(org, settings);
    await invoke({ dryRun: false });
    const leaving = { account: '100000000002', region: 'eu-west-1' };
    const before = org.hub.records().filter((record) => record.account === leaving.account);
    org.moveAccount(leaving.account, 'ou-ab12-suspended');
    const assumed = org.assumeRoles(leaving);
    const report = (await invoke({ dryRun: false })) as OrganizationReconcileReport;
    expect(cellsOfReport(report)).toEqual(['100000000001/eu-west-1']);
    expect(report.leftScope).toEqual([{ ...leaving, records: 2 }]);
    expect(org.assumeRoles(leaving)).toBe(assumed);
    expect(org.hub.records().filter((record) => record.account === leaving.account)).toEqual(before);
    const status = (await invoke({ mode: 'status' })) as OrganizationStatus;
    expect(status.leftScope).toEqual([{ ...leaving, records: 2 }]);
  });

  it('picks up an account moved into its organizational unit at the next invocation', async () => {
    const { org, settings } = organization(
      { accounts: 2, regions: ['eu-west-1'], units: { 'ou-ab12-prod0001': ['100000000001'], 'ou-ab12-stage001': ['100000000002'] } },
      { memberAccounts: [], organizationalUnits: ['ou-ab12-prod0001'] },
    );
    const invoke = hubFunction(org, settings);
    expect(cellsOfReport((await invoke({ dryRun: true })) as OrganizationReconcileReport)).toEqual(['100000000001/eu-west-1']);
    org.moveAccount('100000000002', 'ou-ab12-prod0001');
    expect(cellsOfReport((await invoke({ dryRun: true })) as OrganizationReconcileReport)).toEqual(['100000000001/eu-west-1', '100000000002/eu-west-1']);
  });

  it('keeps the report to the line limit across cells', async () => {
    const { org, settings } = organization();
    await fleet(org, settings, 3);
    const report = (await hubFunction(org, settings)({ dryRun: true, lineLimit: 5 })) as OrganizationReconcileReport;
    expect([report.lines.length, report.linesOmitted]).toEqual([5, report.totals.actions - 5]);
  });
});

describe('the single-account mode', () => {
  it('takes a selection of its own account and region only', async () => {
    const account = new SimulatedAccount();
    const settings = testSettings({ accountId: account.accountId, region: account.region });
    const handler = createHandler({ runtime: () => ({ settings, ports: account.ports() }), middlewares: [] });
    await expect(handler({ dryRun: true, accounts: [account.accountId], regions: [account.region] }, context)).resolves.toMatchObject({ instancesInScope: 0 });
    await expect(handler({ mode: 'status', regions: ['us-east-1'] }, context)).rejects.toThrow(/covers account 123456789012 in eu-west-1 only .*not region us-east-1/);
  });
});
