/**
 * The worker in the organization mode (lib/organization/worker.ts): a batch grouped by cell, one
 * AssumeRole per cell per invocation, a cell that cannot be reached failing only its own items and
 * backing off rather than coming straight back, a cell outside the scope left alone.
 */
import { describe, expect, it } from 'vitest';
import { cellScopedKey } from '../../lib/organization/cell-ports.js';
import { handleOrgWorkItems } from '../../lib/organization/worker.js';
import { MEMBER_UNREACHABLE_ATTEMPTS, MEMBER_UNREACHABLE_RETRY_SECONDS } from '../../lib/model/timing.js';
import type { Cell, WorkItem } from '../../lib/ports.js';
import { organization } from './helpers.js';

const A: Cell = { account: '100000000001', region: 'eu-west-1' };
const B: Cell = { account: '100000000002', region: 'us-east-1' };
const OUTSIDE: Cell = { account: '100000000003', region: 'eu-west-1' };

function setUp() {
  const { org, settings } = organization({ accounts: 3 }, { memberAccounts: ['100000000001', '100000000002'] });
  const counts = new Map<string, number>();
  const ports = org.hub.ports({ metrics: { count: (name, value = 1) => counts.set(name, (counts.get(name) ?? 0) + value) } });
  const launch = (cell: Cell) => org.member(cell).launchInstance({ tags: { [settings.selectorTagKey]: 'web' } }).instanceId;
  return { org, settings, counts, context: { ports, settings, organization: org.access() }, launch };
}

describe('handleOrgWorkItems', () => {
  it('reconciles each cell on its own ports with one AssumeRole per cell, results in the order of the items', async () => {
    const { org, context, launch } = setUp();
    const [a1, a2, b1] = [launch(A), launch(A), launch(B)];
    const items: WorkItem[] = [
      { instanceId: a1, cell: A, reason: 'state running', attempt: 0 },
      { instanceId: b1, cell: B, reason: 'state running', attempt: 0 },
      { instanceId: a2, cell: A, reason: 'state running', attempt: 0 },
    ];
    const results = await handleOrgWorkItems(context, items);
    expect(results.map((result) => result.lines.map((line) => line.target))).toEqual([[a1], [b1], [a2]].map((ids) => expect.arrayContaining(ids)));
    expect(results.every((result) => result.failed === 0)).toBe(true);
    expect([org.assumeRoles(A), org.assumeRoles(B)]).toEqual([1, 1]);
    // Each instance's record is the hub's, keyed by its cell: simulated members number their
    // instances alike, so the same id in two cells is two records.
    expect(a1).toBe(b1);
    expect(org.hub.record(cellScopedKey(a1, A))).toMatchObject({ account: A.account, region: A.region });
    expect(org.hub.record(cellScopedKey(b1, B))).toMatchObject({ account: B.account, region: B.region });
    expect(org.member(B).stats().calls.DescribeInstances).toBeGreaterThan(0);
  });

  it("fails only an unreachable cell's items, and sends them back after the long delay instead of at once", async () => {
    const { org, context, counts, launch } = setUp();
    org.setFault(B, 'stack-missing');
    const a1 = launch(A);
    const items: WorkItem[] = [
      { instanceId: a1, cell: A, reason: 'state running', attempt: 0 },
      { instanceId: 'i-0000000000000b001', cell: B, reason: 'state running', attempt: 0 },
      { rollout: 'web', cell: B, reason: 'v2 written', attempt: 1 },
    ];
    const results = await handleOrgWorkItems(context, items);
    expect(results[0]!.failed).toBe(0);
    // SQS deletes them (failed 0): they are back on the queue, delayed, one attempt further.
    expect(results.slice(1).map((result) => [result.failed, result.lines[0]!.outcome, result.lines[0]!.outcomeDetail])).toEqual([
      [0, 'skipped', expect.stringMatching(/^role-missing: /)],
      [0, 'skipped', expect.stringMatching(/^role-missing: /)],
    ]);
    const requeued = [...org.hub.queue.messages.values()].filter((message) => message.body.cell?.account === B.account);
    expect(requeued.map((message) => [message.body, message.delaySeconds])).toEqual([
      [{ ...items[1], attempt: 1 }, MEMBER_UNREACHABLE_RETRY_SECONDS],
      [{ ...items[2], attempt: 2 }, MEMBER_UNREACHABLE_RETRY_SECONDS],
    ]);
    expect(org.assumeRoles(B)).toBe(1);
    expect(counts.get('MembersUnreachable')).toBe(1);
  });

  it(`drops an unreachable cell's items after ${MEMBER_UNREACHABLE_ATTEMPTS} attempts, counting them`, async () => {
    const { org, context, counts } = setUp();
    org.setFault(B, 'access-denied');
    const item: WorkItem = { instanceId: 'i-0000000000000b001', cell: B, reason: 'state running', attempt: MEMBER_UNREACHABLE_ATTEMPTS - 1 };
    const [result] = await handleOrgWorkItems(context, [item]);
    expect(result).toMatchObject({ failed: 0, lines: [{ outcome: 'skipped', detail: expect.stringMatching(/dropped after 3 attempts/) }] });
    expect(org.hub.queue.messages.size).toBe(0);
    expect(counts.get('WorkItemsDropped')).toBe(1);
  });

  it('leaves a cell outside the scope alone: its items are dropped without assuming its role', async () => {
    const { org, context, counts } = setUp();
    const [result] = await handleOrgWorkItems(context, [{ instanceId: 'i-0000000000000c001', cell: OUTSIDE, reason: 'state running', attempt: 0 }]);
    expect(result).toMatchObject({ failed: 0, lines: [{ outcome: 'skipped', detail: expect.stringMatching(/outside the scope/) }] });
    expect(org.assumeRoles(OUTSIDE)).toBe(0);
    expect(counts.get('WorkItemsOutOfScope')).toBe(1);
  });

  it("a throttled member's failure stays in its cell: the other cell's items succeed", async () => {
    const { org, context, launch } = setUp();
    org.setFault(B, 'throttled');
    const a1 = launch(A);
    const b1 = launch(B);
    const results = await handleOrgWorkItems(context, [
      { instanceId: b1, cell: B, reason: 'state running', attempt: 0 },
      { instanceId: a1, cell: A, reason: 'state running', attempt: 0 },
    ]);
    expect(results[0]!.failed).toBeGreaterThan(0);
    expect(results[0]!.lines.map((line) => line.outcomeDetail).join(' ')).toMatch(/Throttl/);
    expect(results[1]!.failed).toBe(0);
  });
});
