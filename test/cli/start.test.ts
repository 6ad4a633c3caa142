/**
 * `npm start` (local/main.ts): every instance it shows was announced first, reports are told
 * apart from actions, and colour follows the terminal and NO_COLOR.
 */
import { describe, expect, it } from 'vitest';
import { start } from '../../local/main.js';

const ANSI = '\u001b[';

async function output(options: { tty: boolean; env?: Record<string, string> }): Promise<string> {
  const chunks: string[] = [];
  const sink = { write: (chunk: string) => chunks.push(chunk), isTTY: options.tty };
  await start({ stdout: sink, stderr: sink, env: options.env ?? {} });
  return chunks.join('');
}

describe('npm start', () => {
  it('announces the later launches before showing them, and says why a plan with 0 actions leaves two instances as they are', async () => {
    const text = await output({ tty: false });
    const [, before] = /^(\d+) instances existed before the deploy/m.exec(text) ?? [];
    const [, launched, ids] = /^3\. At \d+ simulated minutes, (\d+) more instances are launched\. No reconcile runs[^\n]*\n((?: {3}i-[0-9a-f]+: [^\n]+\n)+)/m.exec(text) ?? [];
    const [, shown] = /^After \d+ simulated minutes, every instance \((\d+)\):/m.exec(text) ?? [];
    expect(Number(shown)).toBe(Number(before) + Number(launched));
    for (const id of ids!.match(/i-[0-9a-f]+/g)!) expect(text.indexOf(`\n${id} `)).toBeGreaterThan(text.indexOf('3. At'));
    expect(text).toMatch(/^A new dry run plans 0 action\(s\)\.\nReports are not actions: 2 instance\(s\) wait for a person/m);
    expect(text).toMatch(/^ {3}i-0+8 invalid: tag fleetwatch:dev:config="\.\.\/x"/m);
    expect(text).toMatch(/^ {3}i-0+9 drift: profile app-profile/m);
    expect(text).not.toContain(ANSI);
  }, 60_000);

  it('colours a terminal, unless NO_COLOR is set', async () => {
    expect(await output({ tty: true })).toContain(ANSI);
    expect(await output({ tty: true, env: { NO_COLOR: '1' } })).not.toContain(ANSI);
  }, 60_000);
});
