/** A launch storm empties EC2's association bucket: the executor queues the instance again instead of failing it. */
import { describe, expect, it } from 'vitest';
import { execute } from '../../lib/apply/execute.js';
import { testSettings } from '../../lib/config.js';
import { ThrottledError } from '../../lib/errors.js';
import type { Action } from '../../lib/planning/plan.js';
import type { Ports, WorkItem } from '../../lib/ports.js';

const ID = 'i-0123456789abcdef0';

function throttlingPorts() {
  const queued: { items: WorkItem[]; delaySeconds: number | undefined }[] = [];
  const ports = {
    clock: { now: () => 1_000_000, sleep: async () => {} },
    ec2: {
      associateProfile: async () => {
        throw new ThrottledError('AssociateIamInstanceProfile: Rate exceeded after 6 attempts', { resource: ID });
      },
    },
    queue: {
      enqueue: async (items: WorkItem[], delaySeconds?: number) => {
        queued.push({ items, delaySeconds });
      },
    },
  } as unknown as Ports;
  return { ports, queued };
}

describe('a throttled association', () => {
  const actions: Action[] = [
    { kind: 'associate-profile', instanceId: ID, profileName: 'fleetwatch', reason: 'no instance profile', detail: 'associate fleetwatch' },
    { kind: 'wait-for-registration', instanceId: ID, nextLookSeconds: 125, reason: 'not reachable by SSM yet', detail: 'not registered with SSM' },
  ];

  it('is skipped, not failed, and its instance is queued again after the association delay instead of its wait', async () => {
    const { ports, queued } = throttlingPorts();
    const outcomes = await execute(actions, ports, testSettings(), { attempts: { [ID]: 1 } });
    expect(outcomes.map((outcome) => [outcome.action.kind, outcome.status])).toEqual([['associate-profile', 'skipped']]);
    expect(outcomes[0]!.detail).toBe('EC2 throttled the association; again in 40 s');
    expect(queued).toEqual([{ items: [{ instanceId: ID, reason: 'association throttled', attempt: 2 }], delaySeconds: 40 }]);
  });
});
