/**
 * The organization's reports as a person reads them: the totals, a row per account-region, the
 * cells not reached with their reasons, the cells that left the scope, then the lines.
 */
import { paint, renderLines, renderTable } from '../entry/format.js';
import type { OrganizationReconcileReport } from './reconcile.js';
import type { OrgRolloutStatus } from './rollout.js';
import type { OrganizationStatus } from './status.js';

type Options = { color?: boolean };

const counts = (of: Record<string, number>) =>
  Object.entries(of)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');

/** The cells not reached and those that left the scope: the same two tables in a plan, an apply and a status. */
function cellProblems(report: Pick<OrganizationReconcileReport, 'failedCells' | 'leftScope'>, options: Options): string[] {
  const parts: string[] = [];
  if (report.failedCells.length) {
    parts.push(
      '',
      paint(`${report.failedCells.length} account-region(s) not reached (nothing retried until the next run):`, 'yellow', options.color),
      renderTable(['account', 'region', 'reason', 'error'], report.failedCells.map((cell) => [cell.account, cell.region, cell.reason, cell.error]), {
        ...options,
        tone: (column) => (column === 'reason' ? 'red' : undefined),
      }),
    );
  }
  if (report.leftScope.length) {
    parts.push(
      '',
      paint(`${report.leftScope.length} account-region(s) left the organization scope; their records are left alone:`, 'yellow', options.color),
      renderTable(['account', 'region', 'records'], report.leftScope.map((cell) => [cell.account, cell.region, String(cell.records)]), options),
    );
  }
  return parts;
}

export function formatOrganizationReport(report: OrganizationReconcileReport, options: Options = {}): string {
  const title = report.dryRun ? `Plan of organization ${report.organizationId} (dry run, action ${report.action})` : `Applied in organization ${report.organizationId} (action ${report.action})`;
  const { totals } = report;
  const parts = [
    paint(title, 'bold', options.color),
    `account-regions: ${report.cells.reconciled} of ${report.cells.total} reconciled` + (report.cells.failed ? `, ${report.cells.failed} not reached` : ''),
    `instances in scope: ${totals.instancesInScope}, selected and running: ${totals.selectedRunning}, actions: ${totals.actions}` +
      (totals.byOutcome ? `, outcomes: ${counts(totals.byOutcome)}` : ''),
  ];
  if (totals.actions) parts.push(`by action: ${counts(totals.byAction)}`, `by reason: ${counts(totals.byReason)}`);
  if (report.byCell.length) {
    parts.push(
      '',
      renderTable(
        ['account', 'region', 'instances', 'actions', ...(report.dryRun ? [] : ['failed'])],
        report.byCell.map((cell) => [cell.account, cell.region, String(cell.instancesInScope), String(cell.actions), ...(report.dryRun ? [] : [String(cell.failed)])]),
        options,
      ),
    );
  }
  parts.push(...cellProblems(report, options));
  if (report.lines.length) {
    parts.push(
      '',
      renderLines(report.lines, report.dryRun, options, { columns: ['account', 'region'], cells: (line) => [line.account, line.region] }),
    );
  }
  if (report.linesOmitted > 0) parts.push(`… and ${report.linesOmitted} more lines (counts above cover all of them)`);
  return parts.join('\n');
}

/** The record statuses shown as columns, in the order of an instance's life. */
const STATUS_COLUMNS = ['configured', 'pending', 'in-flight', 'failed', 'unreachable', 'drift', 'invalid'] as const;

export function formatOrganizationStatus(status: OrganizationStatus, options: Options = {}): string {
  const count = (n: number | undefined) => (n ? String(n) : '-');
  const row = (account: string, region: string, byStatus: Record<string, number>) => [account, region, ...STATUS_COLUMNS.map((column) => count(byStatus[column]))];
  const parts = [
    paint(`Status of organization ${status.organizationId}`, 'bold', options.color),
    `account-regions: ${status.cells.read} of ${status.cells.total} read` + (status.cells.failed ? `, ${status.cells.failed} not reached` : ''),
    '',
    renderTable(
      ['account', 'region', ...STATUS_COLUMNS],
      [...status.byCell.map((cell) => row(cell.account, cell.region, cell.byStatus)), row('organization', 'total', status.totals.byStatus)],
      { ...options, tone: (column, value) => (value === '-' ? 'dim' : column === 'failed' ? 'red' : column === 'unreachable' ? 'yellow' : undefined) },
    ),
    '',
    renderTable(
      ['configuration', 'current', 'behind', 'pending', 'in flight', 'failed', 'unreachable'],
      status.totals.configurations.map(({ configName, instances }) => [
        configName,
        count(instances.current),
        count(instances.behind),
        count(instances.pending),
        count(instances.inFlight),
        count(instances.failed),
        count(instances.unreachable),
      ]),
      options,
    ),
  ];
  // A hub deployed before org-wide rollouts were in its status answers without them.
  const rollouts = (status as Partial<OrganizationStatus>).rollouts ?? [];
  if (rollouts.length) parts.push('', ...orgRollouts(rollouts, options));
  const versions = Object.entries(status.totals.agentVersions).sort(([, a], [, b]) => b - a);
  if (versions.length) parts.push('', `instances by agent version: ${versions.map(([version, n]) => `${version} ${n}`).join(', ')}`);
  parts.push(...cellProblems(status, options));
  return parts.join('\n');
}

/** The org-wide rollouts: how far each went (steps, account-regions) and its failures against maxErrors, then why one stopped. */
function orgRollouts(rollouts: OrgRolloutStatus[], options: Options): string[] {
  return [
    paint('org-wide rollouts:', 'bold', options.color),
    renderTable(
      ['configuration', 'version', 'status', 'step', 'account-regions', 'failed'],
      rollouts.map((rollout) => [
        rollout.configName,
        `v${rollout.version}`,
        rollout.status,
        `${rollout.step} of ${rollout.steps}`,
        `${rollout.cells.reached}/${rollout.cells.total}` + (rollout.cells.unreachable ? `, ${rollout.cells.unreachable} unreachable` : ''),
        `${rollout.failed} of ${rollout.allowedErrors} allowed (maxErrors ${rollout.maxErrors})`,
      ]),
      { ...options, tone: (column, value) => (column === 'status' && value === 'rolled-back' ? 'red' : undefined) },
    ),
    ...rollouts.filter((rollout) => rollout.reason).map((rollout) => paint(`${rollout.configName}: org-wide rollout of v${rollout.version} ${rollout.status}: ${rollout.reason}`, 'yellow', options.color)),
  ];
}
