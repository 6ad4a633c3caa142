/**
 * Issue 17's scenarios: the organization mode end to end, through the functions' own handlers on
 * a simulated organization (local/organization.ts). The hub stack receives its members' events as
 * the hub's bus would (each with the member's account and region), and its worker and org-wide
 * rollout reach the members through their execution roles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../lib/agent/index.js';
import { parameterName, testSettings, type Settings } from '../../lib/config.js';
import { cellKey, parseCellKey } from '../../lib/model/cell.js';
import { cellScopedKey } from '../../lib/organization/cell-ports.js';
import { orgRolloutKey } from '../../lib/organization/rollout.js';
import type { OrganizationStatus } from '../../lib/organization/status.js';
import type { Cell } from '../../lib/ports.js';
import { SimulatedOrganization, type MemberFault } from '../../local/organization.js';
import { SimulatedStack } from '../../local/stack.js';
import { MINUTE } from './helpers.js';

const REGIONS = ['eu-west-1', 'us-east-1'];
const INSTANCES_PER_CELL = 5;

/**
 * A hub deployed over `accounts` member accounts in two regions, the first `inScope` of them the
 * stage's scope; `faults` break whole accounts. Members whose stack is deployed forward their
 * events to the hub (an account outside the scope too: it is in the organization).
 */
function deployedOrganization(options: { accounts: number; inScope: number; faults?: Record<number, MemberFault>; settings?: Partial<Settings> }) {
  const org = new SimulatedOrganization({ accounts: options.accounts, regions: REGIONS, account: { latencyMs: 20, registrationDelayMs: MINUTE } });
  for (const [index, fault] of Object.entries(options.faults ?? {})) {
    for (const region of REGIONS) org.setFault({ account: org.accounts[Number(index)]!, region }, fault);
  }
  const settings = testSettings({
    accountId: org.hub.accountId,
    region: org.hub.region,
    configNames: SimulatedStack.bundledConfigNames(),
    organizationId: org.organizationId,
    memberAccounts: org.accounts.slice(0, options.inScope),
    memberRegions: REGIONS,
    ...options.settings,
  });
  const stack = new SimulatedStack(org.hub, { settings, organization: org.access() });
  for (const cell of org.cells()) if (org.fault(cell) !== 'stack-missing') stack.forwardEventsOf(org.member(cell));
  org.deployMembers(stack.settings);
  // The hub's own parameters: their Parameter Store events start the org-wide rollout of each version 1.
  stack.deploy();
  return { org, stack };
}

function launchFleet(org: SimulatedOrganization, stack: SimulatedStack, cells: Cell[]): Map<string, string[]> {
  const fleet = new Map<string, string[]>();
  for (const cell of cells) {
    const member = org.member(cell);
    const ids = Array.from({ length: INSTANCES_PER_CELL }, (_, i) => member.launchInstance({ tags: { Name: `web-${i}`, [stack.settings.selectorTagKey]: 'web' } }).instanceId);
    fleet.set(cellKey(cell), ids);
  }
  return fleet;
}

const accountOf = (org: SimulatedOrganization, index: number) => org.accounts[index]!;
const cellsOfAccount = (account: string): Cell[] => REGIONS.map((region) => ({ account, region }));

describe('onboarding across 10 accounts x 2 regions, one without its member stack, one with a throttled EC2 API', () => {
  it('converges every other account-region, reports the broken account with its reason, and sends nothing outside the scope', async () => {
    // Eleven accounts in the organization, the first ten in the stage's scope.
    const { org, stack } = deployedOrganization({ accounts: 11, inScope: 10, faults: { 3: 'stack-missing', 6: 'throttled' } });
    const broken = accountOf(org, 3);
    const throttled = accountOf(org, 6);
    const outside = accountOf(org, 10);
    const inScope = org.cells().filter((cell) => cell.account !== outside);
    const fleet = launchFleet(org, stack, inScope);
    const outsideFleet = launchFleet(org, stack, cellsOfAccount(outside));
    await stack.settle();

    // Every other account-region converges: each instance runs the agent on its member's version of web.
    const healthy = inScope.filter((cell) => cell.account !== broken && cell.account !== throttled);
    expect(healthy).toHaveLength(16);
    const name = parameterName(stack.settings, 'web');
    for (const cell of healthy) {
      const member = org.member(cell);
      const version = member.parameters.latest(name)?.version;
      for (const id of fleet.get(cellKey(cell))!) {
        const agent = member.agent(id);
        expect({ cell: cellKey(cell), id, installed: agent.installed, running: agent.running, version: agent.configVersion }).toEqual({
          cell: cellKey(cell),
          id,
          installed: true,
          running: true,
          version,
        });
        // The hub's record of it, keyed by its cell, names its account and region.
        expect(org.hub.record(cellScopedKey(id, cell))).toMatchObject({ status: 'configured', appliedConfig: 'web', account: cell.account, region: cell.region });
      }
    }

    // The account without its member stack: reported per account-region with its reason, nothing configured there.
    const webRollout = org.hub.rollout(orgRolloutKey('web'));
    expect(webRollout).toMatchObject({ status: 'completed' });
    for (const cell of cellsOfAccount(broken)) {
      expect(webRollout!.organization!.cells[cellKey(cell)]).toMatchObject({ status: 'unreachable', reason: expect.stringMatching(/^role-missing/) });
      for (const id of fleet.get(cellKey(cell))!) expect(org.member(cell).agent(id).installed).toBe(false);
    }
    expect(stack.logs.some((line) => line.extra?.account === broken && /could not reach/.test(line.message) && line.extra.reason === 'role-missing')).toBe(true);
    // Not retried in a storm: one AssumeRole per org-wide rollout that reached it (one per configuration), no more.
    for (const cell of cellsOfAccount(broken)) expect(org.assumeRoles(cell)).toBe(stack.settings.configNames.length);
    // And the organization's status names it per account-region with its reason.
    const status = (await stack.invokeReconcile({ mode: 'status' })) as OrganizationStatus;
    expect(status.failedCells).toEqual(cellsOfAccount(broken).map((cell) => expect.objectContaining({ ...cell, reason: 'role-missing' })));

    // The throttled account: its instances wait; its trouble is logged with its account and kept there.
    for (const cell of cellsOfAccount(throttled)) {
      for (const id of fleet.get(cellKey(cell))!) expect(org.member(cell).agent(id).installed).toBe(false);
    }
    expect(stack.logs.some((line) => line.extra?.account === throttled && /throttl/i.test(JSON.stringify(line.extra)))).toBe(true);
    // It did not hold the organization's rollout: that completed, naming it as stalled and the broken account as unreachable.
    const completed = org.hub.published.find((event) => event.detailType === 'Rollout Completed' && event.detail.organization === true && event.detail.configName === 'web');
    expect(completed?.detail).toMatchObject({ stalled: cellsOfAccount(throttled).map(cellKey), unreachable: cellsOfAccount(broken).map((cell) => ({ cell: cellKey(cell) })) });

    // Outside the scope: its events were rejected, no role assumed there and no call made there.
    const outsideCells = cellsOfAccount(outside);
    expect(outsideCells.map((cell) => org.assumeRoles(cell))).toEqual([0, 0]);
    for (const cell of outsideCells) {
      const calls = Object.values(org.member(cell).stats().calls).reduce((sum, n) => sum + (n ?? 0), 0);
      expect(calls).toBe(0);
      for (const id of outsideFleet.get(cellKey(cell))!) expect(org.member(cell).agent(id).installed).toBe(false);
    }
    const rejectedOutside = stack.rejected.filter((rejection) => (rejection.event as { account?: string }).account === outside);
    expect(rejectedOutside.length).toBeGreaterThanOrEqual(2 * INSTANCES_PER_CELL);
    for (const rejection of rejectedOutside) expect(rejection.reason).toMatch(/outside the organization scope/);
    expect(stack.metric('EventsOutOfScope')).toBe(rejectedOutside.length);
    expect(stack.logs.some((line) => line.extra?.account === outside && /outside the organization scope/.test(line.message))).toBe(true);
  }, 120_000);
});

const webConfig = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'agent', 'configs', 'web.json'), 'utf8')) as {
  logs: { logs_collected: { files: { collect_list: Record<string, unknown>[] } } };
};

/** web.json with one more log file: a new version. */
function webV2(): string {
  const next = structuredClone(webConfig);
  next.logs.logs_collected.files.collect_list.push({ file_path: '/var/log/app/app.log', log_group_name: '/fleetwatch/web/app', log_stream_name: '{instance_id}', retention_in_days: 14 });
  return parseAgentConfig('web', JSON.stringify(next)).minified;
}

const tookVersion = (org: SimulatedOrganization, cell: Cell, ids: string[], memberVersion: number) =>
  ids.some((id) => org.member(cell).invocationsOn(id).some((i) => i.command.parameters.configurationLocation?.[0]?.endsWith(`:${memberVersion}`)));

describe('an org-wide rollout whose version fails on one instance in every account-region but the canary', () => {
  it('stops at the organization threshold though no account-region passed its own, and rolls back in every account-region that took the version', async () => {
    // maxErrors 1: each account-region allows one failure, and so does the organization as a whole.
    const { org, stack } = deployedOrganization({ accounts: 10, inScope: 10, settings: { maxErrors: '1', maxConcurrency: '50%' } });
    const cells = org.cells();
    const fleet = launchFleet(org, stack, cells);
    await stack.settle();
    const name = parameterName(stack.settings, 'web');
    for (const cell of cells) for (const id of fleet.get(cellKey(cell))!) expect(org.member(cell).agent(id).configVersion).toBe(1);

    // Member version 2 will be the hub's version 2 everywhere; it crashes the agent on one instance per cell, but not in the canary.
    const [canary] = cells;
    for (const cell of cells.slice(1)) {
      org.member(cell).setInstanceCommandOutcome(fleet.get(cellKey(cell))![0]!, (context) =>
        context.parameters.configurationLocation?.[0]?.endsWith(':2') ? { status: 'Failed', output: 'E! agent crashed on start' } : undefined,
      );
    }
    org.hub.putParameter(name, webV2());
    await stack.settle();

    // Stops at the organization's threshold.
    const rollout = org.hub.rollout(orgRolloutKey('web'))!;
    expect(rollout).toMatchObject({ version: 2, status: 'rolled-back', goodVersion: 1 });
    expect(rollout.reason).toMatch(/instances across \d+ account-regions failed, more than maxErrors 1 \(1\)/);
    const reached = Object.keys(rollout.organization!.cells);
    // The canary first, then one more, then up to half: a share of the organization, not all of it.
    expect(reached.slice(0, 2)).toEqual([cellKey(canary!), cellKey(cells[1]!)]);
    expect(reached.length).toBeLessThan(cells.length);
    // No account-region passed its own threshold: the stop was the organization's.
    for (const key of reached) expect(org.hub.rollout(cellScopedKey('web', parseCellKey(key)))!.failed).toBeLessThanOrEqual(1);

    // Every account-region that took the version is back on its good member version; the mapping is kept per cell.
    const took = cells.filter((cell) => tookVersion(org, cell, fleet.get(cellKey(cell))!, 2));
    expect(took.length).toBeGreaterThan(2);
    for (const cell of took) {
      expect(rollout.organization!.cells[cellKey(cell)]).toMatchObject({ memberVersion: 2, goodMemberVersion: 1 });
      expect(org.hub.rollout(cellScopedKey('web', cell))).toMatchObject({ version: 2, status: 'rolled-back', goodVersion: 1 });
      for (const id of fleet.get(cellKey(cell))!) expect(org.member(cell).agent(id).configVersion, `${cellKey(cell)} ${id}`).toBe(1);
    }
    // Cells not reached got nothing: no member version 2, no command.
    const unreached = cells.filter((cell) => !reached.includes(cellKey(cell)));
    expect(unreached.length).toBeGreaterThan(0);
    for (const cell of unreached) {
      expect(org.member(cell).parameters.latest(name)?.version).toBe(1);
      expect(tookVersion(org, cell, fleet.get(cellKey(cell))!, 2)).toBe(false);
    }
    expect(org.hub.published.filter((event) => event.detailType === 'Rollout Rolled Back' && event.detail.organization === true)).toHaveLength(1);

    // The organization's status says where it stopped and why.
    const status = (await stack.invokeReconcile({ mode: 'status' })) as OrganizationStatus;
    const web = status.rollouts.find((shown) => shown.configName === 'web');
    expect(web).toMatchObject({ version: 2, status: 'rolled-back', cells: { reached: reached.length, total: cells.length, unreachable: 0 }, allowedErrors: 1, reason: rollout.reason });
    expect(web!.failed).toBeGreaterThan(1);
  }, 120_000);
});
