/**
 * desiredAgent: which agent version stands for the stage, from the setting and the agent's
 * rollout record. Each row is one situation a reconcile can meet.
 */
import { describe, expect, it } from 'vitest';
import { LATEST_AGENT } from '../../lib/config.js';
import { desiredAgent } from '../../lib/planning/desired.js';
import { AGENT_ROLLOUT, type RolloutRecord } from '../../lib/ports.js';

const OLD = '1.300031.1b100';
const NEW = '1.300032.2b361';

function rollout(overrides: Partial<RolloutRecord>): RolloutRecord {
  return { configName: AGENT_ROLLOUT, version: NEW, status: 'in-progress', total: 10, sent: 0, succeeded: 0, failed: 0, startedAt: 0, updatedAt: 0, revision: 1, ...overrides };
}

describe('desiredAgent', () => {
  it.each([
    ['latest before any sweep saw a Distributor version: versions are not managed', LATEST_AGENT, undefined, {}],
    ['latest: the version Distributor newly published, rolling out', LATEST_AGENT, rollout({ status: 'in-progress' }), { version: NEW, rolloutInProgress: true }],
    ['latest: the version Distributor published, rolled out', LATEST_AGENT, rollout({ status: 'completed' }), { version: NEW }],
    [
      "latest: Distributor's new version rolled back: the version instances ran before stands",
      LATEST_AGENT,
      rollout({ status: 'rolled-back', goodVersion: OLD, reason: '4 of 10 failed' }),
      { version: OLD, heldBack: { version: NEW, why: `agent ${NEW} was rolled-back: 4 of 10 failed` } },
    ],
    ['a pinned version with no rollout yet: the next reconcile starts one', NEW, undefined, { version: NEW, rolloutInProgress: true, awaitingRollout: true }],
    ['a pinned version whose record is of another version: a new rollout', NEW, rollout({ version: OLD, status: 'completed' }), { version: NEW, rolloutInProgress: true, awaitingRollout: true }],
    ['the pinned version rolling out', NEW, rollout({ status: 'in-progress' }), { version: NEW, rolloutInProgress: true }],
    ['the pinned version rolled out', NEW, rollout({ status: 'completed' }), { version: NEW }],
    [
      'the pinned version rolled back: the good version stands, and why is said',
      NEW,
      rollout({ status: 'rolled-back', goodVersion: OLD, reason: '4 of 10 failed' }),
      { version: OLD, heldBack: { version: NEW, why: `agent ${NEW} was rolled-back: 4 of 10 failed` } },
    ],
    [
      'rolled back with no earlier version to go back to, and no reason recorded',
      NEW,
      rollout({ status: 'rolled-back' }),
      { heldBack: { version: NEW, why: `agent ${NEW} was rolled-back` } },
    ],
  ] as const)('%s', (_name, agentVersion, record, expected) => {
    expect(desiredAgent({ agentVersion }, record)).toEqual(expected);
  });
});
