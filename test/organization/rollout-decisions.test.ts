/**
 * The org-wide rollout's decisions, as tables: which account-regions get the hub's version next,
 * when it waits, when it stops and where the rollback goes, and whether a member's parameter is
 * written again or reused. Pure functions: no account, no clock.
 */
import { describe, expect, it } from 'vitest';
import { cellProgress, memberWrite, nextOrgStep, orgRolloutStatus, orgTotals, stepTargets, type OrgStep } from '../../lib/organization/rollout.js';
import type { OrgRolloutCell, OrgRolloutCells, RolloutRecord } from '../../lib/ports.js';

const NOW = 10 * 3_600_000;
const cellKeys = (n: number) => Array.from({ length: n }, (_, i) => `${String(100000000000 + i)}/eu-west-1`);

function cell(overrides: Partial<OrgRolloutCell> = {}): OrgRolloutCell {
  return { memberVersion: 4, goodMemberVersion: 3, status: 'in-progress', total: 10, succeeded: 0, failed: 0, ...overrides };
}

/** An org record with the first cells reached, each as given. */
function org(n: number, reached: Partial<OrgRolloutCell>[]): OrgRolloutCells {
  const order = cellKeys(n);
  return { order, cells: Object.fromEntries(reached.map((c, i) => [order[i]!, cell(c)])) };
}

describe('stepTargets: how many account-regions have the version once each step is reached', () => {
  it.each([
    [0, []],
    [1, [1]],
    [2, [1, 2]],
    [5, [1, 3, 5]],
    [10, [1, 5, 10]],
    [20, [1, 2, 10, 20]],
    [200, [1, 20, 100, 200]],
  ])('%i cells: %j', (n, expected) => {
    expect(stepTargets(n)).toEqual(expected);
  });

  it('starts with one canary and always ends with every cell, strictly growing', () => {
    for (let n = 1; n <= 300; n++) {
      const targets = stepTargets(n);
      expect(targets[0]).toBe(1);
      expect(targets.at(-1)).toBe(n);
      for (let i = 1; i < targets.length; i++) expect(targets[i]).toBeGreaterThan(targets[i - 1]!);
    }
  });
});

describe('nextOrgStep', () => {
  const rows: [name: string, record: OrgRolloutCells, maxErrors: string, expected: OrgStep | ((step: OrgStep) => void)][] = [
    ['nothing reached yet: the canary alone', org(20, []), '5%', { kind: 'extend', cells: cellKeys(20).slice(0, 1), stalled: [] }],
    ['the canary still rolling out: wait for it', org(20, [{}]), '5%', { kind: 'wait', waitingOn: cellKeys(20).slice(0, 1), stalled: [] }],
    ['the canary completed: the next 10%', org(20, [{ status: 'completed', succeeded: 10 }]), '5%', { kind: 'extend', cells: cellKeys(20).slice(1, 2), stalled: [] }],
    [
      'the 10% completed: up to half',
      org(20, [{ status: 'completed' }, { status: 'completed' }]),
      '5%',
      { kind: 'extend', cells: cellKeys(20).slice(2, 10), stalled: [] },
    ],
    [
      'one cell of a step still in progress holds the next step back',
      org(20, [{ status: 'completed' }, { status: 'completed' }, ...Array.from({ length: 8 }, (_, i) => ({ status: i === 5 ? ('in-progress' as const) : ('completed' as const) }))]),
      '5%',
      { kind: 'wait', waitingOn: [cellKeys(20)[7]!], stalled: [] },
    ],
    ['every cell done: complete', org(2, [{ status: 'completed' }, { status: 'completed' }]), '5%', { kind: 'complete', stalled: [] }],
    [
      'an unreachable cell does not hold the rollout, nor count as a failure',
      org(2, [{ status: 'completed' }, { status: 'unreachable', memberVersion: undefined, total: 0, reason: 'role-missing' }]),
      '0',
      { kind: 'complete', stalled: [] },
    ],
    [
      'a cell its own rollout rolled back is done, and its failures count across the organization',
      org(10, [{ status: 'completed', total: 100 }, { status: 'rolled-back', total: 10, failed: 3 }]),
      '5%',
      { kind: 'extend', cells: cellKeys(10).slice(2, 5), stalled: [] },
    ],
    [
      'the canary passes the threshold: roll back the canary',
      org(20, [{ failed: 1, total: 10 }]),
      '5%',
      (step) => {
        expect(step).toMatchObject({ kind: 'roll-back', cells: cellKeys(20).slice(0, 1) });
        expect((step as { reason: string }).reason).toBe('1 of 10 instances across 1 account-region failed, more than maxErrors 5% (0)');
      },
    ],
    [
      'failures summed across cells pass the threshold though no cell passes its own',
      org(20, [
        { status: 'completed', total: 20, failed: 1 },
        { status: 'completed', total: 20, failed: 1 },
        { status: 'in-progress', total: 20, failed: 1 },
        { status: 'in-progress', total: 20, failed: 1 },
      ]),
      '2',
      { kind: 'roll-back', cells: cellKeys(20).slice(0, 4), reason: '4 of 80 instances across 4 account-regions failed, more than maxErrors 2 (2)' },
    ],
    [
      'rollback reaches completed and in-progress cells only: rolled back, rejected and unreachable ones never kept the version',
      org(20, [
        { status: 'completed', failed: 0 },
        { status: 'rolled-back', failed: 5 },
        { status: 'rejected' },
        { status: 'unreachable', memberVersion: undefined, total: 0 },
        { status: 'in-progress' },
      ]),
      '1',
      (step) => expect(step).toMatchObject({ kind: 'roll-back', cells: [cellKeys(20)[0], cellKeys(20)[4]] }),
    ],
    [
      'a cell whose own rollout has not moved for 30 minutes no longer holds the next step, and is named',
      org(20, [{ status: 'completed' }, { status: 'in-progress', updatedAt: NOW - 30 * 60_000 }]),
      '5%',
      { kind: 'extend', cells: cellKeys(20).slice(2, 10), stalled: [cellKeys(20)[1]!] },
    ],
    [
      'a cell that moved within the 30 minutes is waited for',
      org(20, [{ status: 'completed' }, { status: 'in-progress', updatedAt: NOW - 30 * 60_000 + 1 }]),
      '5%',
      { kind: 'wait', waitingOn: [cellKeys(20)[1]!], stalled: [] },
    ],
    [
      'a stalled cell still counts toward the threshold and is rolled back',
      org(20, [{ status: 'completed' }, { status: 'in-progress', failed: 3, updatedAt: 0 }]),
      '2',
      (step) => expect(step).toMatchObject({ kind: 'roll-back', cells: cellKeys(20).slice(0, 2) }),
    ],
    ['exactly at the threshold: go on', org(20, [{ status: 'completed', total: 100, failed: 5 }]), '5%', { kind: 'extend', cells: cellKeys(20).slice(1, 2), stalled: [] }],
  ];
  it.each(rows)('%s', (_name, record, maxErrors, expected) => {
    const step = nextOrgStep(record, maxErrors, NOW);
    if (typeof expected === 'function') expected(step);
    else expect(step).toEqual(expected);
  });
});

describe('orgTotals', () => {
  it('sums the reached cells, unreachable ones apart', () => {
    const record = org(5, [{ total: 10, succeeded: 8, failed: 1 }, { total: 5, succeeded: 5, status: 'completed' }, { status: 'unreachable', total: 0 }]);
    expect(orgTotals(record)).toEqual({ cells: 5, reached: 3, unreachable: 1, total: 15, succeeded: 13, failed: 1 });
  });
});

describe('cellProgress: the org record follows the cell rollout of the member version it wrote', () => {
  const rollout = (overrides: Partial<RolloutRecord>): RolloutRecord => ({
    configName: 'web',
    version: 4,
    status: 'in-progress',
    goodVersion: 3,
    total: 10,
    sent: 4,
    succeeded: 3,
    failed: 1,
    startedAt: 0,
    updatedAt: 0,
    revision: 2,
    ...overrides,
  });
  it.each([
    [
      'its rollout moves on',
      cell({ goodMemberVersion: undefined }),
      rollout({ status: 'completed', succeeded: 9, updatedAt: 77 }),
      { status: 'completed', succeeded: 9, failed: 1, total: 10, goodMemberVersion: 3, updatedAt: 77 },
    ],
    ['its rollout rolled back, with why', cell(), rollout({ status: 'rolled-back', reason: 'too many' }), { status: 'rolled-back', reason: 'too many' }],
    ['no rollout record yet: unchanged', cell(), undefined, cell()],
    ['a rollout of another member version (an operator wrote the member): unchanged', cell(), rollout({ version: 5, status: 'completed' }), cell()],
    ['an unreachable cell: unchanged', cell({ status: 'unreachable', memberVersion: undefined }), rollout({}), cell({ status: 'unreachable', memberVersion: undefined })],
  ])('%s', (_name, entry, record, expected) => {
    expect(cellProgress(entry, record)).toMatchObject(expected);
  });
});

describe('memberWrite: the hub writes a member parameter once per version', () => {
  it.each([
    ['no parameter in the member yet', undefined, 'write'],
    ['the member holds another value', { name: 'p', value: '{"a":1}', version: 3 }, 'write'],
    ['the member already holds this value (a retried step, or the hub is a member too)', { name: 'p', value: '{"a":2}', version: 4 }, { reuse: 4 }],
  ])('%s', (_name, current, expected) => {
    expect(memberWrite(current, '{"a":2}')).toEqual(expected);
  });
});

describe('orgRolloutStatus: an org-wide rollout as the status shows it', () => {
  const record = (status: RolloutRecord['status'], organization: OrgRolloutCells, reason?: string): RolloutRecord => ({
    configName: '@org/web',
    version: 4,
    status,
    total: 0,
    sent: 0,
    succeeded: 0,
    failed: 0,
    startedAt: 0,
    updatedAt: 0,
    revision: 1,
    organization,
    ...(reason && { reason }),
  });

  it.each([
    ['started, nothing reached yet', record('in-progress', org(20, [])), { step: 0, steps: 4, cells: { reached: 0, total: 20, unreachable: 0 }, failed: 0, allowedErrors: 0 }],
    ['the canary', record('in-progress', org(20, [{ failed: 1 }])), { step: 1, steps: 4, cells: { reached: 1, total: 20, unreachable: 0 }, failed: 1, allowedErrors: 1 }],
    [
      'the second step, one member unreachable',
      record('in-progress', org(20, [{ status: 'completed' }, { status: 'unreachable', total: 0 }])),
      { step: 2, steps: 4, cells: { reached: 2, total: 20, unreachable: 1 }, total: 10, failed: 0, allowedErrors: 1 },
    ],
    [
      'rolled back with its reason',
      record('rolled-back', org(20, [{ status: 'rolled-back', failed: 3 }]), '3 of 10 instances failed'),
      { status: 'rolled-back', step: 1, failed: 3, allowedErrors: 1, reason: '3 of 10 instances failed' },
    ],
  ])('%s', (_name, rollout, expected) => {
    expect(orgRolloutStatus(rollout, '10%')).toMatchObject({ configName: 'web', version: 4, status: rollout.status, maxErrors: '10%', ...expected });
  });
});
