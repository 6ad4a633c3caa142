/**
 * Instance-sourced text (command output, SSM status details) in every human output: `fleetwatch
 * status` (formatStatus), reconcile reports (formatReport, the CLI and npm start) and npm start's
 * instance table (renderTable) show it without the terminal control characters it carries.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, formatStatus, printable, renderTable } from '../../lib/entry/format.js';
import type { ReconcileReport } from '../../lib/entry/reconcile.js';

/** Retitles the window, clears the screen, moves the cursor up over earlier lines, rings the bell, 8-bit CSI. */
const HOSTILE = 'exit 1\u001b]0;owned\u0007\u001b[2J\u001b[1A\rdone\u0007\u009b31m\u0000!';
// eslint-disable-next-line no-control-regex -- the characters this test is about
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- our own colour codes, the only escapes allowed through
const OUR_COLOURS = /\u001b\[\d+m/g;

const status = {
  configurations: [],
  byStatus: { failed: 1 },
  problems: [{ instanceId: 'i-0123456789abcdef0', status: 'failed', configName: 'web', error: `command failed: ${HOSTILE}` }],
};

const report = {
  dryRun: false,
  action: 'ensure',
  instancesInScope: 1,
  selectedRunning: 1,
  actions: 1,
  byAction: { configure: 1 },
  byReason: { 'new version': 1 },
  byOutcome: { failed: 1 },
  lines: [{ target: 'i-0123456789abcdef0', action: 'configure', reason: 'new version', detail: HOSTILE, outcome: 'failed', outcomeDetail: HOSTILE }],
  linesOmitted: 0,
  unusableConfigurations: [{ configName: 'web', parameterName: 'p', problems: [HOSTILE] }],
  failed: 1,
} as unknown as ReconcileReport;

describe('terminal control characters from instances', () => {
  it.each([
    ['fleetwatch status', (color: boolean) => formatStatus(status as never, { color })],
    ['a reconcile report', (color: boolean) => formatReport(report, { color })],
    ['npm start instance table', (color: boolean) => renderTable(['instance', 'note'], [['i-0123456789abcdef0', HOSTILE]], { color, tone: () => 'red' })],
  ])('%s shows the text without them, coloured or not', (_, render) => {
    for (const color of [false, true]) {
      const text = render(color).replace(OUR_COLOURS, '');
      expect(text.split('\n').some((line) => CONTROL.test(line))).toBe(false);
      expect(text).toContain('exit 1 done!');
    }
  });

  it('printable keeps ordinary text, Unicode included', () => {
    expect(printable('Zürich 東京 — ok')).toBe('Zürich 東京 — ok');
    expect(printable('a\tb\nc')).toBe('a b c');
  });
});
