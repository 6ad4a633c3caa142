/**
 * The org-wide rollout of a configuration version. The operator writes the version into the hub's
 * Parameter Store as in the single-account mode; the hub then takes it to one canary
 * account-region, then to growing shares of the account-regions in scope (ORG_ROLLOUT_STEPS). In
 * each cell it reached, the hub writes the version into the member's own Parameter Store (the
 * agent reads its configuration in its own account and region) and starts that cell's rollout,
 * the single-account rollout with its instance waves, unchanged. The stop threshold is the
 * stage's maxErrors over every instance of the cells reached; past it, every cell that took the
 * version goes back to its own good member version, and the cells not yet reached get nothing.
 *
 * This file's first half is pure: the decisions, table-tested in test/organization/. The second
 * half carries them out.
 */
import { parameterTierFor } from '../agent/index.js';
import { organizationOf, parameterName, type Settings } from '../config.js';
import { ConflictError } from '../errors.js';
import { cellKey, parseCellKey } from '../model/cell.js';
import { allowedErrorsFor } from '../model/rate.js';
import { SERVICE_EVENTS } from '../model/service-events.js';
import { ORG_ROLLOUT_PREFIX } from '../model/work-item.js';
import { ORG_CELL_STALL_MS, ORG_ROLLOUT_POLL_SECONDS } from '../model/timing.js';
import type { OrganizationAccess, OrgRolloutCell, OrgRolloutCells, Parameter, Ports, RolloutRecord } from '../ports.js';
import { rollBackRollout, startRollout } from '../rollout/rollout.js';
import { cellScopedKey, cellSettings, invocationCells } from './cell-ports.js';
import { runCells } from './cells.js';
import { MemberScope } from './scope.js';

/**
 * The steps of an org-wide rollout: the canary (one account-region), then a tenth, a half, and
 * every account-region in scope. A step starts when every cell of the one before has finished
 * its own rollout, so a version that fails widely has met the threshold in a few cells first.
 */
export const ORG_ROLLOUT_STEPS: readonly ({ cells: number } | { percent: number })[] = [{ cells: 1 }, { percent: 10 }, { percent: 50 }, { percent: 100 }];

/** The number of cells that have the version once each step is reached: strictly growing, ending with all of them. */
export function stepTargets(cellCount: number, steps = ORG_ROLLOUT_STEPS): number[] {
  const targets: number[] = [];
  for (const step of steps) {
    // Integer arithmetic: 10% of 30 cells is 3, not Math.ceil(3.0000000000000004).
    const count = Math.min(cellCount, 'cells' in step ? step.cells : Math.ceil((cellCount * step.percent) / 100));
    if (count > (targets.at(-1) ?? 0)) targets.push(count);
  }
  if ((targets.at(-1) ?? 0) < cellCount) targets.push(cellCount);
  return targets;
}

export interface OrgTotals {
  /** Cells in scope when the rollout started. */
  cells: number;
  /** Cells the rollout reached (the version written, or the attempt failed). */
  reached: number;
  /** Reached cells whose member could not be written. */
  unreachable: number;
  /** Instances of the reached cells, and how their commands went. */
  total: number;
  succeeded: number;
  failed: number;
}

export function orgTotals(org: OrgRolloutCells): OrgTotals {
  const reached = Object.values(org.cells);
  const sum = (field: 'total' | 'succeeded' | 'failed') => reached.reduce((n, cell) => n + cell[field], 0);
  return {
    cells: org.order.length,
    reached: reached.length,
    unreachable: reached.filter((cell) => cell.status === 'unreachable').length,
    total: sum('total'),
    succeeded: sum('succeeded'),
    failed: sum('failed'),
  };
}

export type OrgStep =
  /** Failures across the organization passed maxErrors: send these cells (the ones that kept the version) back. */
  | { kind: 'roll-back'; cells: string[]; reason: string }
  /** These cells' own rollouts are still going: the next step waits for them. */
  | { kind: 'wait'; waitingOn: string[]; stalled: string[] }
  /** The next step: write the version into these cells and start their rollouts. */
  | { kind: 'extend'; cells: string[]; stalled: string[] }
  | { kind: 'complete'; stalled: string[] };

/** Cells that run or may run the version: a rolled-back, rejected or unreachable cell does not. */
const KEEPS_VERSION: ReadonlySet<OrgRolloutCell['status']> = new Set(['in-progress', 'completed']);

/**
 * What an in-progress org-wide rollout does next, from its record (its cells refreshed by
 * cellProgress) at `now`. A cell whose own rollout stalled (ORG_CELL_STALL_MS) is named, and no
 * longer waited for.
 */
export function nextOrgStep(org: OrgRolloutCells, maxErrors: string, now: number): OrgStep {
  const totals = orgTotals(org);
  const allowed = allowedErrorsFor(maxErrors, totals.total);
  const reached = Object.entries(org.cells);
  if (totals.failed > allowed) {
    const took = totals.reached - totals.unreachable;
    return {
      kind: 'roll-back',
      cells: reached.filter(([, cell]) => KEEPS_VERSION.has(cell.status)).map(([key]) => key),
      reason: `${totals.failed} of ${totals.total} instances across ${took} account-region${took === 1 ? '' : 's'} failed, more than maxErrors ${maxErrors} (${allowed})`,
    };
  }
  const going = reached.filter(([, cell]) => cell.status === 'in-progress');
  const isStalled = (cell: OrgRolloutCell) => cell.updatedAt !== undefined && now - cell.updatedAt >= ORG_CELL_STALL_MS;
  const stalled = going.filter(([, cell]) => isStalled(cell)).map(([key]) => key);
  const waitingOn = going.filter(([, cell]) => !isStalled(cell)).map(([key]) => key);
  if (waitingOn.length > 0) return { kind: 'wait', waitingOn, stalled };
  // Cells are reached in `order`, so the reached ones are its first `totals.reached`.
  const target = stepTargets(org.order.length).find((count) => count > totals.reached);
  if (target === undefined) return { kind: 'complete', stalled };
  return { kind: 'extend', cells: org.order.slice(totals.reached, target), stalled };
}

/**
 * A reached cell as its own rollout now stands. Only the rollout of the member version the hub
 * wrote counts: another version there (none yet, or one an operator wrote into the member) leaves
 * the cell as it was known.
 */
export function cellProgress(entry: OrgRolloutCell, rollout: RolloutRecord | undefined): OrgRolloutCell {
  if (entry.status === 'unreachable' || entry.memberVersion === undefined || rollout?.version !== entry.memberVersion) return entry;
  return {
    ...entry,
    status: rollout.status,
    total: rollout.total,
    succeeded: rollout.succeeded,
    failed: rollout.failed,
    ...(typeof rollout.goodVersion === 'number' && { goodMemberVersion: rollout.goodVersion }),
    ...(rollout.reason !== undefined && { reason: rollout.reason }),
    updatedAt: rollout.updatedAt,
  };
}

/**
 * Whether the hub writes its version into a member parameter or reuses the member's newest: a step
 * retried after its write, or a hub that is a member of its own scope, finds the value already
 * there, and a second write would only make a new member version of the same text.
 */
export function memberWrite(current: Parameter | undefined, value: string): 'write' | { reuse: number } {
  return current?.value === value ? { reuse: current.version } : 'write';
}

/** An org-wide rollout as the organization status shows it (lib/organization/status.ts, format.ts). */
export interface OrgRolloutStatus {
  configName: string;
  /** The hub's version. */
  version: RolloutRecord['version'];
  status: RolloutRecord['status'];
  /** Steps reached (0: started, the canary not written yet) of the steps this scope takes (stepTargets). */
  step: number;
  steps: number;
  cells: { reached: number; total: number; unreachable: number };
  /** Instances of the cells reached, how their commands went, and the failures maxErrors allows across them. */
  total: number;
  succeeded: number;
  failed: number;
  allowedErrors: number;
  maxErrors: string;
  reason?: string;
}

/** The status of an org-wide rollout from its record: the same totals and threshold nextOrgStep decides on. */
export function orgRolloutStatus(rollout: RolloutRecord, maxErrors: string): OrgRolloutStatus | undefined {
  const configName = configOfOrgRollout(rollout.configName);
  if (configName === undefined || !rollout.organization) return undefined;
  const totals = orgTotals(rollout.organization);
  const targets = stepTargets(totals.cells);
  return {
    configName,
    version: rollout.version,
    status: rollout.status,
    step: targets.filter((count) => count <= totals.reached).length,
    steps: targets.length,
    cells: { reached: totals.reached, total: totals.cells, unreachable: totals.unreachable },
    total: totals.total,
    succeeded: totals.succeeded,
    failed: totals.failed,
    allowedErrors: allowedErrorsFor(maxErrors, totals.total),
    maxErrors,
    ...(rollout.reason !== undefined && { reason: rollout.reason }),
  };
}

// ---------------------------------------------------------------------------------------------
// Carrying the decisions out.

/** The org-wide rollout of a configuration is one record in the hub's table, beside the cells' own ("@" is in no configuration name). */
export function orgRolloutKey(configName: string): string {
  return `${ORG_ROLLOUT_PREFIX}${configName}`;
}

/** The configuration of an org rollout key; undefined when the key is not one. */
export function configOfOrgRollout(key: string): string | undefined {
  return key.startsWith(ORG_ROLLOUT_PREFIX) ? key.slice(ORG_ROLLOUT_PREFIX.length) : undefined;
}

export interface OrgContext {
  /** The hub's own ports: its Parameter Store (the operator's versions), table, queue and events. */
  ports: Ports;
  settings: Settings;
  organization: OrganizationAccess;
}

/**
 * Validates the hub's newest version of a configuration and starts its org-wide rollout over the
 * cells in scope now, as the single-account rollout starts (a duplicate event for the same version
 * changes nothing; an invalid version is rejected and goes to no member). Nothing is written into
 * any member here: the worker takes the first step (the canary).
 */
export function startOrgRollout(context: OrgContext, configName: string): Promise<RolloutRecord | undefined> {
  const { ports, settings } = context;
  const scope = new MemberScope(organizationOf(settings)!, context.organization.organizations);
  return startRollout(ports, settings, configName, {
    key: orgRolloutKey(configName),
    fields: async () => ({ organization: { order: (await scope.cells()).map(cellKey), cells: {} } }),
  });
}

/**
 * One step of an org-wide rollout, from the worker: follows the cells reached (their own rollout
 * records, one BatchGetItem), then rolls back, waits, reaches the next cells or completes, and
 * comes back ORG_ROLLOUT_POLL_SECONDS later while it is in progress. Idempotent: a member write is
 * reused when its value is there already, and a cell's rollout starts once per member version.
 */
export async function advanceOrgRollout(context: OrgContext, configName: string): Promise<RolloutRecord | undefined> {
  const { ports, settings } = context;
  const key = orgRolloutKey(configName);
  const rollout = await ports.rollouts.get(key);
  if (rollout?.status !== 'in-progress' || !rollout.organization) return rollout;
  const org = await refreshCells(ports, configName, rollout.organization);
  const step = nextOrgStep(org, settings.maxErrors, ports.clock.now());
  switch (step.kind) {
    case 'roll-back':
      return rollBackOrganization(context, configName, { ...rollout, organization: org }, step);
    case 'complete':
      return completeOrganization(context, configName, { ...rollout, organization: org }, step.stalled);
    case 'wait':
      return storeAndPoll(context, { ...rollout, organization: org }, `waiting on ${step.waitingOn.length} account-region(s)${step.stalled.length ? `, ${step.stalled.length} stalled` : ''}`);
    case 'extend': {
      const reached = await reachCells(context, configName, Number(rollout.version), step.cells);
      ports.log.info('org-wide rollout reached more account-regions', { configName, version: rollout.version, cells: step.cells.length, unreachable: Object.values(reached).filter((c) => c.status === 'unreachable').length });
      return storeAndPoll(context, { ...rollout, organization: { ...org, cells: { ...org.cells, ...reached } } }, `reached ${step.cells.length} more account-region(s)`);
    }
  }
}

/** The reached cells as their own rollouts now stand: one BatchGetItem of the cells' rollout records. */
async function refreshCells(ports: Ports, configName: string, org: OrgRolloutCells): Promise<OrgRolloutCells> {
  const following = Object.entries(org.cells).filter(([, cell]) => cell.status === 'in-progress');
  if (following.length === 0) return org;
  const records = await ports.rollouts.getMany(following.map(([key]) => cellScopedKey(configName, parseCellKey(key))));
  const byKey = new Map(records.map((record) => [record.configName, record]));
  const cells = { ...org.cells };
  for (const [key, cell] of following) cells[key] = cellProgress(cell, byKey.get(cellScopedKey(configName, parseCellKey(key))));
  return { ...org, cells };
}

/**
 * Writes the hub's version into each cell's Parameter Store through its execution role and starts
 * the cell's own rollout, at most maxParallelCells cells at once. A cell that cannot be reached is
 * recorded with its reason and not tried again by this rollout: it never took the version.
 */
async function reachCells(context: OrgContext, configName: string, hubVersion: number, keys: string[]): Promise<Record<string, OrgRolloutCell>> {
  const { ports, settings, organization } = context;
  const name = parameterName(settings, configName);
  const hubParameter = await ports.ssm.getParameterVersion(name, hubVersion);
  if (!hubParameter) throw new Error(`${name}:${hubVersion} is gone from the hub's Parameter Store; the org-wide rollout cannot copy it`);
  const opened = invocationCells(ports, organization);
  const results = await runCells(keys.map(parseCellKey), settings.maxParallelCells, async (cell) => {
    const cellSide = await opened.open(cell);
    const [current] = await cellSide.ssm.getParameters([name]);
    const write = memberWrite(current, hubParameter.value);
    const memberVersion = write === 'write' ? await cellSide.ssm.putParameter(name, hubParameter.value, parameterTierFor(hubParameter.value)) : write.reuse;
    // The member's own Parameter Store Change event starts the same rollout; whichever writes second loses its conditional write and reads the winner's.
    const started = await startRollout(cellSide, cellSettings(settings, cell), configName).catch(async (error: unknown) => {
      if (error instanceof ConflictError) return cellSide.rollouts.get(configName);
      throw error;
    });
    // Reached now: a cell whose own rollout record never shows up is still let go of after the stall time.
    const entry: OrgRolloutCell = { memberVersion, status: 'in-progress', total: 0, succeeded: 0, failed: 0, updatedAt: ports.clock.now() };
    return started ? cellProgress(entry, started) : entry;
  });
  for (const result of results) {
    if (result.ok) continue;
    ports.log.warn('org-wide rollout could not reach an account-region; it keeps the version it has', {
      account: result.cell.account,
      region: result.cell.region,
      configName,
      reason: result.reason,
      error: result.error,
    });
    ports.metrics.count('OrgRolloutCellsUnreachable');
  }
  return Object.fromEntries(
    results.map((result): [string, OrgRolloutCell] => [
      cellKey(result.cell),
      result.ok ? result.value : { status: 'unreachable', total: 0, succeeded: 0, failed: 0, reason: `${result.reason}: ${result.error}` },
    ]),
  );
}

/** The record with the org's totals, written conditionally; the next step is queued while it is in progress. */
async function storeAndPoll(context: OrgContext, rollout: RolloutRecord, why: string): Promise<RolloutRecord | undefined> {
  const { ports } = context;
  const totals = orgTotals(rollout.organization!);
  const next = { ...rollout, total: totals.total, sent: totals.reached, succeeded: totals.succeeded, failed: totals.failed, updatedAt: ports.clock.now() };
  const stored = await putQuietly(ports, next, rollout.revision);
  // Lost the write: another step of the same rollout is under way, and it queues the next one.
  if (!stored) return ports.rollouts.get(rollout.configName);
  if (stored.status === 'in-progress') await ports.queue.enqueue([{ rollout: rollout.configName, reason: why, attempt: 0 }], ORG_ROLLOUT_POLL_SECONDS);
  return stored;
}

async function putQuietly(ports: Ports, record: Omit<RolloutRecord, 'revision'>, expected: number): Promise<RolloutRecord | undefined> {
  try {
    return await ports.rollouts.put(record, expected);
  } catch (error) {
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
}

/**
 * Past the organization's threshold: the org record says rolled back first (the one step that wins
 * the write does the rest), then every cell that kept the version goes back to its own good member
 * version, at most maxParallelCells at once. Cells not reached get nothing.
 */
async function rollBackOrganization(context: OrgContext, configName: string, rollout: RolloutRecord, step: Extract<OrgStep, { kind: 'roll-back' }>): Promise<RolloutRecord | undefined> {
  const { ports, settings, organization } = context;
  const org = rollout.organization!;
  const totals = orgTotals(org);
  const stopped = await putQuietly(
    ports,
    { ...rollout, status: 'rolled-back', reason: step.reason, total: totals.total, sent: totals.reached, succeeded: totals.succeeded, failed: totals.failed, updatedAt: ports.clock.now() },
    rollout.revision,
  );
  if (!stopped) return ports.rollouts.get(rollout.configName);
  ports.metrics.count('OrgRolloutsRolledBack');
  ports.log.error('org-wide rollout stopped; rolling back every account-region that took the version', { configName, version: rollout.version, reason: step.reason, cells: step.cells });
  const opened = invocationCells(ports, organization);
  const results = await runCells(step.cells.map(parseCellKey), settings.maxParallelCells, async (cell) => {
    const cellSide = opened.openLazily(cell);
    return rollBackRollout(cellSide, cellSettings(settings, cell), configName, `organization: ${step.reason}`);
  });
  const cells = { ...org.cells };
  for (const result of results) {
    const key = cellKey(result.cell);
    cells[key] = result.ok ? cellProgress(cells[key]!, result.value) : { ...cells[key]!, reason: `rollback failed (${result.reason}): ${result.error}` };
  }
  const failures = results.filter((result) => !result.ok).map((result) => ({ cell: cellKey(result.cell), reason: (result as { reason: string }).reason }));
  if (failures.length) ports.log.error('org-wide rollback could not reach some account-regions; their rollouts still name the version', { configName, failures });
  const stored = (await putQuietly(ports, { ...stopped, organization: { ...org, cells }, updatedAt: ports.clock.now() }, stopped.revision)) ?? stopped;
  await ports.events.publish([
    {
      detailType: SERVICE_EVENTS.rolloutRolledBack,
      detail: { configName, version: rollout.version, goodVersion: rollout.goodVersion, reason: step.reason, organization: true, cells: step.cells, failures, stage: settings.stage },
    },
  ]);
  return stored;
}

/** Every step taken and no cell still going (a stalled cell is named; its own rollout goes on when it recovers). */
async function completeOrganization(context: OrgContext, configName: string, rollout: RolloutRecord, stalled: string[]): Promise<RolloutRecord | undefined> {
  const { ports, settings } = context;
  const org = rollout.organization!;
  const totals = orgTotals(org);
  const stored = await putQuietly(
    ports,
    { ...rollout, status: 'completed', total: totals.total, sent: totals.reached, succeeded: totals.succeeded, failed: totals.failed, updatedAt: ports.clock.now() },
    rollout.revision,
  );
  if (!stored) return ports.rollouts.get(rollout.configName);
  const unreachable = Object.entries(org.cells).filter(([, cell]) => cell.status === 'unreachable').map(([cell, { reason }]) => ({ cell, reason }));
  ports.metrics.count('OrgRolloutsCompleted');
  ports.log.info('org-wide rollout completed', { configName, version: rollout.version, ...totals, unreachable, stalled });
  await ports.events.publish([
    {
      detailType: SERVICE_EVENTS.rolloutCompleted,
      detail: { configName, version: rollout.version, organization: true, ...totals, unreachable, stalled, stage: settings.stage },
    },
  ]);
  return stored;
}
