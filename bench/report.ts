/**
 * One bench table per section, rendered with lib/entry/format.ts: what was measured, the minimum or
 * floor it is held against, their ratio, the target and whether it is met.
 */
import { renderTable } from '../lib/entry/format.js';

export interface Row {
  metric: string;
  measured: string;
  floor: string;
  ratio: string;
  target: string;
  /** 'yes' | 'NO' | '-' (nothing to meet: reported for information). */
  ok: string;
}

export interface Section {
  title: string;
  rows: Row[];
  /** Facts a reader needs to read the rows: set-up, causes of a missed target. */
  notes: string[];
}

export const COLUMNS = ['metric', 'measured', 'minimum/floor', 'ratio', 'target', 'ok'];

export function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A measured value held against a minimum with a maximum ratio (e.g. API calls within 1.1x). */
export function againstFloor(metric: string, measured: number, floor: number, maxRatio: number | undefined, digits = 0): Row {
  const ratio = floor > 0 ? measured / floor : measured === 0 ? 1 : Infinity;
  return {
    metric,
    measured: fmt(measured, digits),
    floor: fmt(floor, digits),
    ratio: `${ratio.toFixed(2)}x`,
    target: maxRatio === undefined ? '-' : `<= ${maxRatio}x`,
    ok: maxRatio === undefined ? '-' : ratio <= maxRatio + 1e-9 ? 'yes' : 'NO',
  };
}

/** A measured value with an absolute bound (e.g. at most 6 calls, under 1 MB); no bound: information only. */
export function against(metric: string, measured: number, bound: { max?: number; text?: string } = {}, digits = 0): Row {
  return {
    metric,
    measured: fmt(measured, digits),
    floor: '-',
    ratio: '-',
    target: bound.text ?? (bound.max === undefined ? '-' : `<= ${fmt(bound.max, digits)}`),
    ok: bound.max === undefined ? '-' : measured <= bound.max ? 'yes' : 'NO',
  };
}

export function render(section: Section): string {
  const table = renderTable(
    COLUMNS,
    section.rows.map((row) => [row.metric, row.measured, row.floor, row.ratio, row.target, row.ok]),
  );
  return [`### ${section.title}`, '', table, ...(section.notes.length ? ['', ...section.notes.map((note) => `- ${note}`)] : [])].join('\n');
}

export function missed(sections: Section[]): Row[] {
  return sections.flatMap((section) => section.rows.filter((row) => row.ok === 'NO'));
}
