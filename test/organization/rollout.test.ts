/**
 * The org-wide rollout's steps against a simulated organization, one call at a time (the
 * scenario in test/scenarios/organization.test.ts runs them through the functions): what is
 * written into which member, what is kept in the org record, and what is left alone.
 */
import { describe, expect, it } from 'vitest';
import { parameterName } from '../../lib/config.js';
import { cellKey } from '../../lib/model/cell.js';
import { advanceOrgRollout, orgRolloutKey, startOrgRollout, type OrgContext } from '../../lib/organization/rollout.js';
import { organization } from './helpers.js';

function setUp() {
  const { org, settings } = organization();
  const context: OrgContext = { ports: org.hub.ports(), settings, organization: org.access() };
  const name = parameterName(settings, 'web');
  const memberText = org.member(org.cells()[0]!).parameters.latest(name)!.value;
  return { org, settings, context, name, memberText };
}

describe('startOrgRollout', () => {
  it('rejects an invalid hub version: no member is written, no role assumed', async () => {
    const { org, context, name } = setUp();
    org.hub.putParameter(name, '{"agent": {"metrics_collection_interval": "often"}}');
    const rollout = await startOrgRollout(context, 'web');
    expect(rollout).toMatchObject({ configName: orgRolloutKey('web'), status: 'rejected', version: 1 });
    expect(rollout!.reason).toMatch(/metrics_collection_interval/);
    expect(org.assumeRoles()).toBe(0);
    for (const cell of org.cells()) expect(org.member(cell).parameters.latest(name)?.version).toBe(1);
  });
});

describe('advanceOrgRollout', () => {
  it('takes the canary first: writes the member, starts its rollout, keeps hub version -> member version', async () => {
    const { org, context, name, memberText } = setUp();
    // Hub v1 is the members' text already; hub v2 is new to them.
    org.hub.putParameter(name, memberText);
    org.hub.putParameter(name, memberText.replace('"metrics_collection_interval":60', '"metrics_collection_interval":30'));
    expect(org.hub.parameters.latest(name)!.value).not.toBe(memberText);
    await startOrgRollout(context, 'web');
    const [canary] = org.cells();
    const after = await advanceOrgRollout(context, 'web');
    expect(after!.organization!.cells).toEqual({
      [cellKey(canary!)]: expect.objectContaining({ memberVersion: 2, status: expect.stringMatching(/in-progress|completed/) }),
    });
    expect(org.member(canary!).parameters.latest(name)).toMatchObject({ version: 2, value: org.hub.parameters.latest(name)!.value });
    // The others got nothing yet, and no role of theirs was assumed.
    for (const cell of org.cells().slice(1)) {
      expect(org.member(cell).parameters.latest(name)?.version).toBe(1);
      expect(org.assumeRoles(cell)).toBe(0);
    }
    expect(org.hub.rollout(`web@${cellKey(canary!)}`)).toMatchObject({ version: 2 });
  });

  it('reuses a member version that already holds the text instead of writing it again', async () => {
    const { org, context, name, memberText } = setUp();
    org.hub.putParameter(name, memberText);
    await startOrgRollout(context, 'web');
    const after = await advanceOrgRollout(context, 'web');
    const [canary] = org.cells();
    expect(after!.organization!.cells[cellKey(canary!)]).toMatchObject({ memberVersion: 1 });
    expect(org.member(canary!).parameters.latest(name)?.version).toBe(1);
  });

  it('records a member it cannot reach with the reason, and goes on to the next step without it', async () => {
    const { org, context, name, memberText } = setUp();
    const [canary, second] = org.cells();
    org.setFault(canary!, 'access-denied');
    org.hub.putParameter(name, memberText);
    await startOrgRollout(context, 'web');
    const first = await advanceOrgRollout(context, 'web');
    expect(first!.organization!.cells[cellKey(canary!)]).toMatchObject({ status: 'unreachable', reason: expect.stringMatching(/^access-denied: /) });
    const next = await advanceOrgRollout(context, 'web');
    expect(Object.keys(next!.organization!.cells)).toEqual([cellKey(canary!), cellKey(second!)]);
    expect(org.assumeRoles(canary!)).toBe(1);
  });
});
