import { describe, expect, it } from 'vitest';
import { cellsOf } from '../../lib/model/cell.js';
import { withCallBudget } from '../../lib/organization/call-budget.js';
import type { Cell, MemberPorts, MembersPort } from '../../lib/ports.js';

/** Members whose every call (AssumeRole included) takes a tick, counting how many are in flight. */
function countingMembers() {
  const seen = { inFlight: 0, peak: 0, calls: 0, opened: [] as Cell[] };
  const slow = async <T>(value: T): Promise<T> => {
    seen.inFlight++;
    seen.calls++;
    seen.peak = Math.max(seen.peak, seen.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    seen.inFlight--;
    return value;
  };
  const ports = {
    ec2: { describeInstancesByTagKey: () => slow([]) },
    iam: {},
    ssm: { describeManagedInstances: () => slow([]) },
    logs: {},
    telemetry: {},
  } as unknown as MemberPorts;
  const members: MembersPort = {
    open: (cell) => {
      seen.opened.push(cell);
      return slow(ports);
    },
  };
  return { members, seen };
}

describe('the member call budget shared by the cells of an invocation', () => {
  it('keeps member calls in flight, AssumeRole included, within the budget however many cells run at once', async () => {
    const { members, seen } = countingMembers();
    const budgeted = withCallBudget(members, 7);
    const cells = cellsOf(['111111111111', '222222222222', '333333333333', '444444444444', '555555555555'], ['eu-west-1', 'us-east-1']);
    await Promise.all(
      cells.map(async (cell) => {
        const ports = await budgeted.open(cell);
        await Promise.all([ports.ec2.describeInstancesByTagKey('k'), ports.ssm.describeManagedInstances(), ports.ec2.describeInstancesByTagKey('k')]);
      }),
    );
    expect(seen.calls).toBe(cells.length * 4);
    expect(seen.peak).toBe(7);
    expect(seen.opened).toHaveLength(cells.length);
  });

  it('passes results and failures through unchanged', async () => {
    const members: MembersPort = {
      open: async () =>
        ({ ec2: { describeInstances: async (ids: string[]) => ids.map((instanceId) => ({ instanceId })) }, iam: {}, ssm: {}, logs: {}, telemetry: {} }) as unknown as MemberPorts,
    };
    const ports = await withCallBudget(members, 1).open({ account: '111111111111', region: 'eu-west-1' });
    await expect(ports.ec2.describeInstances(['i-1'])).resolves.toEqual([{ instanceId: 'i-1' }]);
    const refusing: MembersPort = { open: () => Promise.reject(new Error('role missing in 111111111111/eu-west-1')) };
    await expect(withCallBudget(refusing, 1).open({ account: '111111111111', region: 'eu-west-1' })).rejects.toThrow(/role missing in 111111111111/);
  });
});
