/**
 * Plain-text rendering of reports for people: a reconcile report as counts and a table of lines.
 * Shared by `npm start` (the simulated account) and the `fleetwatch` CLI; colour only when asked
 * (the CLI asks when stdout is a terminal).
 */
import type { ReconcileReport, ReportLine } from './reconcile.js';
import type { ConfigurationStatus, FleetStatus } from './status.js';

export interface TableOptions {
  color?: boolean;
  /** Colour a cell by its text: e.g. failed → red. */
  tone?: (column: string, value: string) => Tone | undefined;
}

export type Tone = 'red' | 'green' | 'yellow' | 'dim' | 'bold';

const CODES: Record<Tone, [number, number]> = { red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] };

/**
 * Escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ESC \\`, and two-byte `ESC x`), then
 * every other C0/C1 control character and DEL. Line breaks and tabs become spaces: one value, one line.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?|\u009b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex -- same
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text as a terminal shows it and nothing more. Instance-sourced text (command output, SSM's
 * status details, tag values) reaches every human output; raw, an escape sequence in it could
 * retitle the window, clear the screen or hide lines of the report.
 */
export function printable(text: string): string {
  return text.replace(ESCAPES, '').replace(/[\n\t\r]/g, ' ').replace(CONTROLS, '');
}

/** Text in a colour; the text itself is made printable first, so only our own codes reach the terminal. */
export function paint(text: string, tone: Tone | undefined, color: boolean | undefined): string {
  const plain = printable(text);
  if (!color || !tone) return plain;
  const [on, off] = CODES[tone];
  return `\u001b[${on}m${plain}\u001b[${off}m`;
}

/** A fixed-width table; widths come from the plain text, so colour never breaks alignment. */
export function renderTable(columns: string[], raw: string[][], options: TableOptions = {}): string {
  const rows = raw.map((row) => row.map(printable));
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[], toneOf: (column: string, value: string) => Tone | undefined) =>
    cells
      // Padding outside the colour codes: trimEnd() then drops a coloured last cell's padding too.
      .map((cell, index) => paint(cell, toneOf(columns[index]!, cell), options.color) + ' '.repeat(widths[index]! - cell.length))
      .join('  ')
      .trimEnd();
  const header = line(columns, () => 'bold');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [header, rule, ...rows.map((row) => line(row, options.tone ?? (() => undefined)))].join('\n');
}

const OUTCOME_TONES: Record<string, Tone> = { failed: 'red', done: 'green', skipped: 'dim' };

/**
 * A report's per-instance lines as a table; `leading` puts columns of its own first (the
 * organization's account and region).
 */
export function renderLines<L extends ReportLine>(
  lines: readonly L[],
  dryRun: boolean,
  options: { color?: boolean },
  leading: { columns: string[]; cells: (line: L) => string[] } = { columns: [], cells: () => [] },
): string {
  return renderTable(
    [...leading.columns, 'target', 'action', 'reason', 'detail', ...(dryRun ? [] : ['outcome'])],
    lines.map((line) => [
      ...leading.cells(line),
      line.target,
      line.action,
      line.reason,
      line.detail,
      ...(dryRun ? [] : [[line.outcome ?? '', line.outcomeDetail ?? ''].filter(Boolean).join(': ')]),
    ]),
    { ...options, tone: (column, value) => (column === 'outcome' ? OUTCOME_TONES[value.split(':')[0]!] : undefined) },
  );
}

/** A reconcile report as a person reads it: what was planned or done, counted, then line by line. */
export function formatReport(report: ReconcileReport, options: { color?: boolean } = {}): string {
  const title = report.dryRun ? `Plan (dry run, action ${report.action})` : `Applied (action ${report.action})`;
  const parts = [
    paint(title, 'bold', options.color),
    `instances in scope: ${report.instancesInScope}, selected and running: ${report.selectedRunning}, actions: ${report.actions}` +
      (report.byOutcome ? `, outcomes: ${Object.entries(report.byOutcome).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''),
  ];
  if (report.actions === 0) parts.push(paint('nothing to do: every instance in scope is in its desired state', 'green', options.color));
  else {
    parts.push(
      '',
      renderTable(
        ['action', 'count'],
        Object.entries(report.byAction).map(([action, count]) => [action, String(count)]),
        options,
      ),
      '',
      renderTable(
        ['reason', 'count'],
        Object.entries(report.byReason).map(([reason, count]) => [reason, String(count)]),
        options,
      ),
      '',
      renderLines(report.lines, report.dryRun, options),
    );
    if (report.linesOmitted > 0) parts.push(`… and ${report.linesOmitted} more lines (counts above cover all of them)`);
  }
  for (const unusable of report.unusableConfigurations) {
    parts.push(paint(`configuration ${unusable.configName} (${unusable.parameterName}) not usable: ${unusable.problems.join('; ')}`, 'yellow', options.color));
  }
  return parts.join('\n');
}

const STATUS_TONES: Record<string, Tone> = { configured: 'green', failed: 'red', invalid: 'red', unreachable: 'yellow', drift: 'yellow', pending: 'yellow' };

/**
 * A fleet status as a person reads it: one row per configuration (standing version, rollout,
 * instances per bucket), the records by status, then the latest problems.
 */
/** One line on the agent's own version, and one on how many instances report each. */
function formatAgent(agent: NonNullable<FleetStatus['agent']>, options: { color?: boolean }): string {
  const standing = agent.standingVersion ?? (agent.setting === 'latest' ? 'latest (not managed)' : 'none');
  const rollout = agent.rollout
    ? `; rollout of ${agent.rollout.version} ${agent.rollout.status}` +
      (agent.rollout.status === 'in-progress' ? `, sent ${agent.rollout.sent}/${agent.rollout.total}` : '') +
      // A rolled-back version's reason is on its "held back" line.
      (agent.rollout.reason && !agent.heldBack ? `: ${agent.rollout.reason}` : '')
    : '';
  const versions = Object.entries(agent.versions).sort(([, a], [, b]) => b - a);
  const lines = [`agent version: ${standing} (setting ${agent.setting})${rollout}`];
  if (agent.heldBack) lines.push(paint(`agent ${agent.heldBack.version} held back: ${agent.heldBack.why}`, 'yellow', options.color));
  lines.push(versions.length ? `instances by agent version: ${versions.map(([version, n]) => `${version} ${n}`).join(', ')}` : 'no agent versions reported yet');
  return lines.join('\n');
}

export function formatStatus(status: FleetStatus, options: { color?: boolean } = {}): string {
  const count = (n: number) => (n === 0 ? '-' : String(n));
  // "sent 20/40" tells how far a rollout in progress is. Once it is over, the instance columns say
  // where the fleet stands: a version's first rollout sends nothing to instances still onboarding
  // (they take it as they register), and "sent 0/2" beside "2 current" read as a contradiction.
  const rollout = (c: ConfigurationStatus) =>
    c.rollout
      ? `v${c.rollout.version} ${c.rollout.status}` +
        (c.rollout.status === 'in-progress' ? `, sent ${c.rollout.sent}/${c.rollout.total}` : c.rollout.sent ? `, sent ${c.rollout.sent}` : '') +
        (c.rollout.succeeded ? `, ${c.rollout.succeeded} ok` : '') +
        (c.rollout.failed ? `, ${c.rollout.failed} failed` : '')
      : '-';
  const parts = [
    paint('Fleet status', 'bold', options.color),
    '',
    renderTable(
      ['configuration', 'version', 'rollout', 'current', 'behind', 'pending', 'in flight', 'failed', 'unreachable'],
      status.configurations.map((c) => [
        c.configName,
        c.standingVersion === undefined ? 'none usable' : `v${c.standingVersion}`,
        rollout(c),
        count(c.instances.current),
        count(c.instances.behind),
        count(c.instances.pending),
        count(c.instances.inFlight),
        count(c.instances.failed),
        count(c.instances.unreachable),
      ]),
      {
        ...options,
        tone: (column, value) =>
          value === '-' ? 'dim' : column === 'failed' ? 'red' : column === 'unreachable' || value === 'none usable' ? 'yellow' : undefined,
      },
    ),
  ];
  if (status.agent) parts.push('', formatAgent(status.agent, options));
  for (const c of status.configurations) {
    if (c.heldBack) parts.push(paint(`${c.configName}: v${c.heldBack.version} held back: ${c.heldBack.why}`, 'yellow', options.color));
    if (c.rollout?.reason) parts.push(paint(`${c.configName}: rollout of v${c.rollout.version} ${c.rollout.status}: ${c.rollout.reason}`, 'yellow', options.color));
    if (c.problems?.length) parts.push(paint(`${c.configName} (${c.parameterName}) not usable: ${c.problems.join('; ')}`, 'yellow', options.color));
  }
  const byStatus = Object.entries(status.byStatus);
  parts.push('', byStatus.length ? `instances by status: ${byStatus.map(([s, n]) => `${paint(s, STATUS_TONES[s], options.color)} ${n}`).join(', ')}` : 'no instance records yet');
  if (status.problems.length) {
    parts.push(
      '',
      renderTable(
        ['instance', 'status', 'configuration', 'problem'],
        status.problems.map((p) => [p.instanceId, p.status, p.configName ?? '-', p.error]),
        { ...options, tone: (column, value) => (column === 'status' ? STATUS_TONES[value] : undefined) },
      ),
    );
  }
  return parts.join('\n');
}
