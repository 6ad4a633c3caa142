import { describe, expect, it } from 'vitest';
import { MemberUnreachableError, ServiceUnavailableError, ThrottledError } from '../../lib/errors.js';
import { cellsOf } from '../../lib/model/cell.js';
import { failureReason, runCells } from '../../lib/organization/cells.js';

const cells = cellsOf(['100000000001', '100000000002', '100000000003'], ['eu-west-1', 'us-east-1']);

describe('runCells', () => {
  it('runs every cell, at most `limit` at once, results in input order', async () => {
    let running = 0;
    let peak = 0;
    const results = await runCells(cells, 4, async (cell) => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return `${cell.account}:${cell.region}`;
    });
    expect(peak).toBe(4);
    expect(results.map((result) => result.ok && result.value)).toEqual(cells.map((cell) => `${cell.account}:${cell.region}`));
  });

  it('keeps a cell\'s failure its own, with its reason, and tries nothing twice', async () => {
    const tries = new Map<string, number>();
    const results = await runCells(cells, 2, async (cell) => {
      const key = `${cell.account}/${cell.region}`;
      tries.set(key, (tries.get(key) ?? 0) + 1);
      if (cell.account === '100000000002' && cell.region === 'eu-west-1') throw new MemberUnreachableError(cell.account, cell.region, 'role-missing', 'no role');
      if (cell.account === '100000000003' && cell.region === 'us-east-1') throw new ThrottledError('DescribeInstances: Rate exceeded');
      return 1;
    });
    expect(results.filter((result) => result.ok)).toHaveLength(4);
    expect(results.flatMap((result) => (result.ok ? [] : [[result.cell.account, result.cell.region, result.reason]]))).toEqual([
      ['100000000002', 'eu-west-1', 'role-missing'],
      ['100000000003', 'us-east-1', 'throttled'],
    ]);
    expect(results.find((result) => !result.ok && result.reason === 'role-missing')).toMatchObject({ error: expect.stringContaining('no role') });
    expect([...tries.values()].every((n) => n === 1)).toBe(true);
  });

  it('names why a cell failed', () => {
    expect(failureReason(new MemberUnreachableError('100000000001', 'eu-west-1', 'access-denied', 'x'))).toBe('access-denied');
    expect(failureReason(new ThrottledError('x'))).toBe('throttled');
    expect(failureReason(new ServiceUnavailableError('x'))).toBe('failed');
    expect(failureReason(new Error('x'))).toBe('failed');
  });

  it('refuses the same cell twice', async () => {
    await expect(runCells([cells[0]!, { ...cells[0]! }], 2, async () => 1)).rejects.toThrow(/given twice/);
  });
});
