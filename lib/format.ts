/**
 * Plain-text rendering of reports for people: a reconcile report as counts and a table of lines.
 * Shared by `npm start` (the simulated account) and the `fleetwatch` CLI; colour only when asked
 * (the CLI asks when stdout is a terminal).
 */
import type { ReconcileReport } from './reconcile.js';

export interface TableOptions {
  color?: boolean;
  /** Colour a cell by its text: e.g. failed → red. */
  tone?: (column: string, value: string) => Tone | undefined;
}

export type Tone = 'red' | 'green' | 'yellow' | 'dim' | 'bold';

const CODES: Record<Tone, [number, number]> = { red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] };

export function paint(text: string, tone: Tone | undefined, color: boolean | undefined): string {
  if (!color || !tone) return text;
  const [on, off] = CODES[tone];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/** A fixed-width table; widths come from the plain text, so colour never breaks alignment. */
export function renderTable(columns: string[], rows: string[][], options: TableOptions = {}): string {
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[], toneOf: (column: string, value: string) => Tone | undefined) =>
    cells
      .map((cell, index) => paint(cell.padEnd(widths[index]!), toneOf(columns[index]!, cell), options.color))
      .join('  ')
      .trimEnd();
  const header = line(columns, () => 'bold');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [header, rule, ...rows.map((row) => line(row, options.tone ?? (() => undefined)))].join('\n');
}

const OUTCOME_TONES: Record<string, Tone> = { failed: 'red', done: 'green', skipped: 'dim' };

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
      renderTable(
        ['target', 'action', 'reason', 'detail', ...(report.dryRun ? [] : ['outcome'])],
        report.lines.map((line) => [
          line.target,
          line.action,
          line.reason,
          line.detail,
          ...(report.dryRun ? [] : [[line.outcome ?? '', line.outcomeDetail ?? ''].filter(Boolean).join(': ')]),
        ]),
        { ...options, tone: (column, value) => (column === 'outcome' ? OUTCOME_TONES[value.split(':')[0]!] : undefined) },
      ),
    );
    if (report.linesOmitted > 0) parts.push(`… and ${report.linesOmitted} more lines (counts above cover all of them)`);
  }
  for (const unusable of report.unusableConfigurations) {
    parts.push(paint(`configuration ${unusable.configName} (${unusable.parameterName}) not usable: ${unusable.problems.join('; ')}`, 'yellow', options.color));
  }
  return parts.join('\n');
}
