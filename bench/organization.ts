/**
 * Section: a dry run of a whole organization (the hub's reconcile function in the organization
 * mode, on a simulated organization): API calls per account-region against the page minimum of
 * bench/dry-run.ts (derived from local/operations.ts LIMITS and each cell's contents), AssumeRole
 * calls per account-region, and simulated time against the dry run of one account of the same
 * size: the cells run in parallel, so the organization should take about as long as its slowest
 * cell, not the sum of them.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_MAX_PARALLEL_CELLS } from '../lib/config.js';
import { MEMBER_CALLS_IN_FLIGHT } from '../lib/organization/call-budget.js';
import type { OrganizationAccess } from '../lib/ports.js';
import { cellKey } from '../lib/model/cell.js';
import { cellScopedKey } from '../lib/organization/cell-ports.js';
import type { OrganizationReconcileReport } from '../lib/organization/reconcile.js';
import { createHandler } from '../functions/handlers/reconcile.js';
import { LIMITS, type Operation } from '../local/index.js';
import { SimulatedOrganization } from '../local/organization.js';
import { buildFleet, minimumCalls, type DryRunResult } from './dry-run.js';
import { LATENCY_MS, MINUTE, sum } from './fleet.js';
import { against, againstFloor, fmt, type Row, type Section } from './report.js';

/** The hub's own calls: its state table. Everything else a cell's reconcile calls is in the member. */
const HUB_OPERATIONS: readonly Operation[] = ['Scan', 'BatchGetItem', 'GetItem', 'PutItem'];

/**
 * The issue's organization: 50 accounts x 4 regions x 500 instances (100,000), dry-run at the
 * stage's default maxParallelCells (every account-region of the bench at once) and with 16 at once.
 */
export const ORGANIZATION_BENCH = {
  shape: { accounts: 50, regions: ['eu-west-1', 'us-east-1', 'eu-central-1', 'ap-southeast-2'], instancesPerCell: 500 },
  parallelism: [16, DEFAULT_MAX_PARALLEL_CELLS],
} as const;

export interface OrganizationShape {
  accounts: number;
  regions: readonly string[];
  instancesPerCell: number;
  maxParallelCells: number;
}

export interface OrganizationDryRunResult extends OrganizationShape {
  instances: number;
  cells: number;
  failedCells: number;
  /** Per cell: the member's calls against the member's minimum (the hub's table calls aside). */
  worstCell: { cell: string; calls: number; minimum: number };
  memberCalls: number;
  memberMinimum: number;
  hubCalls: Partial<Record<Operation, number>>;
  hubMinimum: Partial<Record<Operation, number>>;
  assumeRoles: { min: number; max: number };
  simulatedMs: number;
  realMs: number;
  cpuMs: number;
  /** Heap the simulated organization took, and the heap above the start right after the run (before any collection). */
  heapMb: { built: number; afterRun: number };
  peakMemberCallsInFlight: number;
}

const mb = (bytes: number) => bytes / 2 ** 20;

/** The bench's heap figures after a full collection: gc exposed at run time, as `node --expose-gc` would. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/**
 * Member ports that count their calls in flight: in a Lambda each is an open connection, and a
 * Lambda has 1,024 file descriptors (Lambda quotas), what bounds how many cells can run at once.
 */
function countingInFlight(access: OrganizationAccess, meter: { now: number; peak: number }): OrganizationAccess {
  const wrap = <T extends object>(port: T): T =>
    new Proxy(port, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          meter.peak = Math.max(meter.peak, ++meter.now);
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            meter.now--;
          }
        };
      },
    });
  return {
    organizations: access.organizations,
    members: () => {
      const members = access.members();
      return {
        open: async (cell) => {
          const { ec2, iam, ssm, logs, telemetry } = await members.open(cell);
          return { ec2: wrap(ec2), iam: wrap(iam), ssm: wrap(ssm), logs: wrap(logs), telemetry: wrap(telemetry) };
        },
      };
    },
  };
}

export async function organizationDryRun(shape: OrganizationShape): Promise<OrganizationDryRunResult> {
  const heapBefore = heapUsed();
  const org = new SimulatedOrganization({
    accounts: shape.accounts,
    regions: shape.regions,
    seed: 5,
    account: { latencyMs: LATENCY_MS, registrationDelayMs: MINUTE },
  });
  const settings = org.stageSettings({ maxParallelCells: shape.maxParallelCells });
  org.deployMembers(settings);
  for (const cell of org.cells()) {
    // The cell's records are in the hub's table, keyed and stamped by cell as lib/organization/cell-ports.ts writes them.
    buildFleet(org.member(cell), { ...settings, accountId: cell.account, region: cell.region }, shape.instancesPerCell, (record) => {
      const key = cellScopedKey(record.instanceId, cell);
      org.hub.table.put(key, { ...record, instanceId: key, account: cell.account, region: cell.region }, undefined, key);
    });
  }
  // Let the instances with a profile register.
  await org.clock.advance(2 * MINUTE);
  const minima = new Map(org.cells().map((cell) => [cellKey(cell), minimumCalls(org.member(cell), settings, 0)]));
  for (const cell of org.cells()) org.member(cell).resetCalls();
  org.hub.resetCalls();
  const heapBuilt = heapUsed();

  const inFlight = { now: 0, peak: 0 };
  const handler = createHandler({ runtime: () => ({ settings, ports: org.hub.ports(), organization: countingInFlight(org.access(), inFlight) }), middlewares: [] });
  const virtualStart = org.clock.now();
  const realStart = performance.now();
  const cpuStart = process.cpuUsage();
  const report = (await handler({ dryRun: true, lineLimit: 0 }, { functionName: 'fleetwatch-dev-reconcile', awsRequestId: 'bench', getRemainingTimeInMillis: () => 900_000 } as never)) as OrganizationReconcileReport;
  const cpu = process.cpuUsage(cpuStart);
  const realMs = performance.now() - realStart;
  const simulatedMs = org.clock.now() - virtualStart;
  const heapAfterRun = process.memoryUsage().heapUsed - heapBefore;

  let worstCell = { cell: '-', calls: 0, minimum: 1, ratio: 0 };
  let memberCalls = 0;
  let memberMinimum = 0;
  for (const cell of org.cells()) {
    const key = cellKey(cell);
    const calls = sum(org.member(cell).stats().calls, HUB_OPERATIONS);
    const minimum = sum(minima.get(key)!, HUB_OPERATIONS);
    memberCalls += calls;
    memberMinimum += minimum;
    if (calls / minimum > worstCell.ratio) worstCell = { cell: key, calls, minimum, ratio: calls / minimum };
  }
  const cells = org.cells().length;
  const assumed = org.cells().map((cell) => org.assumeRoles(cell));
  return {
    ...shape,
    instances: report.totals.instancesInScope,
    cells,
    failedCells: report.failedCells.length,
    worstCell: { cell: worstCell.cell, calls: worstCell.calls, minimum: worstCell.minimum },
    memberCalls,
    memberMinimum,
    hubCalls: org.hub.stats().calls,
    // One Scan of the whole hub table for every cell; each cell's configurations' rollout items in one BatchGetItem.
    hubMinimum: {
      Scan: Math.max(1, Math.ceil(org.hub.table.size / LIMITS.scanPage)),
      BatchGetItem: cells * Math.ceil(settings.configNames.length / LIMITS.batchGetItemKeys),
    },
    assumeRoles: { min: Math.min(...assumed), max: Math.max(...assumed) },
    simulatedMs,
    realMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    heapMb: { built: mb(heapBuilt - heapBefore), afterRun: mb(heapAfterRun) },
    peakMemberCallsInFlight: inFlight.peak,
  };
}

export function organizationSection(results: OrganizationDryRunResult[], single: DryRunResult): Section {
  const rows: Row[] = [];
  for (const result of results) {
    const label = `${result.accounts}x${result.regions.length}, ${fmt(result.maxParallelCells)} at once:`;
    const { worstCell } = result;
    rows.push(againstFloor(`${label} member API calls, worst account-region (${worstCell.cell})`, worstCell.calls, worstCell.minimum, 1.05));
    rows.push(againstFloor(`${label} member API calls, all ${fmt(result.cells)} account-regions`, result.memberCalls, result.memberMinimum, 1.05));
    rows.push(againstFloor(`${label} hub table calls (one Scan for all cells)`, sum(result.hubCalls), sum(result.hubMinimum), 1.05));
    rows.push(againstFloor(`${label} AssumeRole per account-region, most`, result.assumeRoles.max, 1, 1));
    rows.push(against(`${label} account-regions not reconciled`, result.failedCells, { max: 0 }));
    // The target holds for the stage's default; a narrower run shows what holding cells back costs.
    const timeTarget = result.maxParallelCells === DEFAULT_MAX_PARALLEL_CELLS ? 1.5 : undefined;
    rows.push(againstFloor(`${label} simulated time (s) vs one ${fmt(single.instances)}-instance account`, result.simulatedMs / 1000, single.simulatedMs / 1000, timeTarget, 1));
    rows.push(against(`${label} real time (s)`, result.realMs / 1000, {}, 1));
    rows.push(against(`${label} CPU time (s)`, result.cpuMs / 1000, {}, 1));
    rows.push(against(`${label} heap of the simulated organization / after the run (MB)`, result.heapMb.built, { text: `${fmt(result.heapMb.afterRun)} after` }));
    rows.push(against(`${label} member calls in flight at once, peak`, result.peakMemberCallsInFlight));
  }
  const [first] = results;
  return {
    title: `Dry run of an organization (${first ? `${first.accounts} accounts x ${first.regions.length} regions x ${fmt(first.instancesPerCell)} instances = ${fmt(first.instances)}` : 'none'})`,
    rows,
    notes: [
      `Each account-region the fleet of the dry-run section above (${first ? fmt(first.instancesPerCell) : '-'} instances), in its own simulated account with its own rate limits, ` +
        `all on one clock; records in the hub's table. Latency ${LATENCY_MS} ms per call, AssumeRole included. Member calls exclude the hub's table calls, counted apart.`,
      'Minimum per account-region: the single-account minimum of the dry-run section (bench/dry-run.ts minimumCalls) over that cell\'s contents; ' +
        'hub: one Scan of the whole table (1000 items a page) shared by every cell, and one BatchGetItem per cell for its configurations\' rollout items.',
      `Simulated time is held against the dry run of one ${fmt(single.instances)}-instance account (${fmt(single.simulatedMs / 1000, 1)} s). It counts API round trips and rate-limit ` +
        'waits, not the hub\'s CPU: planning 100,000 instances is CPU on one Lambda whatever the parallelism (real and CPU time above).',
      'Parallelism: cells do not share rate limits, so simulated time falls with maxParallelCells until every cell runs at once. What bounds it is the hub ' +
        'Lambda: each member call in flight is a connection, and a Lambda has 1,024 file descriptors (Lambda quotas). A dry run peaks at the member calls ' +
        `in flight above (${results.map((r) => `${fmt(r.peakMemberCallsInFlight)} with ${fmt(r.maxParallelCells)} cells`).join(', ')}); an apply sends up to 10 calls at once per cell ` +
        '(lib/apply/execute.ts PHASE_CONCURRENCY), so 200 cells at once could ask for 2,000: the hub bounds member calls in flight with one budget shared by every cell ' +
        `(lib/organization/call-budget.ts, ${fmt(MEMBER_CALLS_IN_FLIGHT)}) rather than holding cells back, and the default maxParallelCells is ${fmt(DEFAULT_MAX_PARALLEL_CELLS)}.`,
    ],
  };
}
