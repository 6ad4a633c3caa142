/**
 * One reconcile of the organization (or of the account-regions a filter keeps): the
 * single-account reconcile, unchanged, once per cell, in parallel, on the ports of that cell.
 * Per invocation: one AssumeRole per cell (the MembersPort caches), one Scan of the hub table for
 * every cell (HubRecords). A cell that cannot be reached or fails is reported with its reason and
 * left for the next invocation; the others are not held up by it.
 */
import type { Organization, Settings } from '../config.js';
import { reconcile, type ReconcileReport, type ReconcileRequest, type ReportLine } from '../entry/reconcile.js';
import { cellKey } from '../model/cell.js';
import type { Cell, OrganizationAccess, Ports } from '../ports.js';
import { cellSettings, invocationCells } from './cell-ports.js';
import { runCells, type CellFailureReason, type CellResult } from './cells.js';
import { cellsInScope, cellsLeftScope, scopeAccounts, type CellFilter } from './scope.js';

/** A cell that could not be worked on, and why. */
export interface CellFailure {
  account: string;
  region: string;
  reason: CellFailureReason;
  error: string;
}

/** A cell the hub holds records of whose account or region has left the scope: reported, left alone. */
export interface CellLeftScope {
  account: string;
  region: string;
  records: number;
}

/** Sums over the cells that were reconciled. */
export type OrganizationTotals = Pick<ReconcileReport, 'instancesInScope' | 'selectedRunning' | 'actions' | 'failed' | 'byAction' | 'byReason' | 'byOutcome'>;

export interface CellReconcile extends Omit<ReconcileReport, 'lines' | 'linesOmitted'> {
  account: string;
  region: string;
}

export interface OrganizationReconcileReport {
  organizationId: string;
  dryRun: boolean;
  action: ReconcileRequest['action'];
  /** Cells asked for, reconciled, and not reached (or failed). */
  cells: { total: number; reconciled: number; failed: number };
  totals: OrganizationTotals;
  /** Each reconciled cell's report, without its lines (they are in `lines`, with their cell). */
  byCell: CellReconcile[];
  failedCells: CellFailure[];
  leftScope: CellLeftScope[];
  /** Per-instance lines of every cell, cell by cell, at most the request's lineLimit in all. */
  lines: (ReportLine & { account: string; region: string })[];
  linesOmitted: number;
}

/** What the organization-mode functions need beside the hub's ports. */
export interface OrganizationContext {
  hub: Ports;
  settings: Settings;
  organization: Organization;
  access: OrganizationAccess;
}

/**
 * Runs `work` on the ports of every cell the filter keeps, in parallel, each cell opened once; and
 * names the cells that left the scope. The shared part of reconcile and status.
 */
export async function forEachCell<T>(
  context: OrganizationContext,
  filter: CellFilter,
  work: (ports: Ports, settings: Settings, cell: Cell) => Promise<T>,
): Promise<{ results: CellResult<T>[]; leftScope: CellLeftScope[] }> {
  const { hub, settings, organization, access } = context;
  const accounts = await scopeAccounts(organization, access.organizations);
  const { cells } = cellsInScope(organization, accounts, filter);
  const opened = invocationCells(hub, access);
  const results = await runCells(cells, organization.maxParallelCells, async (cell) => work(await opened.open(cell), cellSettings(settings, cell), cell));
  const recorded = await opened.records.byCell();
  const leftScope = cellsLeftScope(organization, accounts, recorded.keys(), filter).map((cell) => ({
    ...cell,
    records: recorded.get(cellKey(cell))?.size ?? 0,
  }));
  if (leftScope.length) hub.log.warn('cells left the organization scope: reported, left alone', { cells: leftScope.map(cellKey) });
  for (const result of results) {
    if (!result.ok) hub.log.warn('cell not reconciled', { account: result.cell.account, region: result.cell.region, reason: result.reason, error: result.error });
  }
  return { results, leftScope };
}

export async function reconcileOrganization(context: OrganizationContext, request: ReconcileRequest, filter: CellFilter = {}): Promise<OrganizationReconcileReport> {
  const lineLimit = request.lineLimit ?? 200;
  const { results, leftScope } = await forEachCell(context, filter, (ports, settings) => reconcile(ports, settings, request));

  const totals: OrganizationTotals = { instancesInScope: 0, selectedRunning: 0, actions: 0, failed: 0, byAction: {}, byReason: {} };
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
  };
  const byCell: CellReconcile[] = [];
  const failedCells: CellFailure[] = [];
  const lines: OrganizationReconcileReport['lines'] = [];
  let linesOmitted = 0;
  for (const result of results) {
    const { account, region } = result.cell;
    if (!result.ok) {
      failedCells.push({ account, region, reason: result.reason, error: result.error });
      continue;
    }
    const { lines: cellLines, linesOmitted: cellOmitted, ...report } = result.value;
    byCell.push({ account, region, ...report });
    totals.instancesInScope += report.instancesInScope;
    totals.selectedRunning += report.selectedRunning;
    totals.actions += report.actions;
    totals.failed += report.failed;
    add(totals.byAction, report.byAction);
    add(totals.byReason, report.byReason);
    if (report.byOutcome) add((totals.byOutcome ??= {}), report.byOutcome);
    const room = Math.max(0, lineLimit - lines.length);
    lines.push(...cellLines.slice(0, room).map((line) => ({ account, region, ...line })));
    linesOmitted += cellOmitted + Math.max(0, cellLines.length - room);
  }
  return {
    organizationId: context.organization.organizationId,
    dryRun: request.dryRun,
    action: request.action,
    cells: { total: results.length, reconciled: byCell.length, failed: failedCells.length },
    totals,
    byCell,
    failedCells,
    leftScope,
    lines,
    linesOmitted,
  };
}
