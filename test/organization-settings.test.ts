import { describe, expect, it } from 'vitest';
import { loadSettings, organizationOf } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';
import { cellKey, cellsOf, parseCellKey } from '../lib/model/cell.js';
import { MINIMAL_ENVIRONMENT } from './settings-environment.js';

const minimal = MINIMAL_ENVIRONMENT;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings({ ...minimal, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the organization mode setting', () => {
  it('is off by default: one account and region, unchanged', () => {
    const settings = loadSettings(minimal);
    expect(organizationOf(settings)).toBeUndefined();
    expect(settings.memberRoleName).toBe('fleetwatch-prod-member');
  });

  it('takes organizational units, with the stage region when no member regions are set', () => {
    const settings = loadSettings({
      ...minimal,
      FLEETWATCH_ORGANIZATION_ID: 'o-a1b2c3d4e5',
      FLEETWATCH_ORGANIZATIONAL_UNITS: 'ou-ab12-cdefgh34, r-ab12',
    });
    expect(organizationOf(settings)).toEqual({
      organizationId: 'o-a1b2c3d4e5',
      scope: { organizationalUnits: ['ou-ab12-cdefgh34', 'r-ab12'] },
      regions: ['eu-west-1'],
      memberRoleName: 'fleetwatch-prod-member',
      maxParallelCells: 200,
    });
  });

  it('takes an explicit account list and regions', () => {
    const settings = loadSettings({
      ...minimal,
      FLEETWATCH_ORGANIZATION_ID: 'o-a1b2c3d4e5',
      FLEETWATCH_MEMBER_ACCOUNTS: '111111111111,222222222222',
      FLEETWATCH_MEMBER_REGIONS: 'eu-west-1,us-east-1',
    });
    expect(organizationOf(settings)?.scope).toEqual({ accounts: ['111111111111', '222222222222'] });
    expect(organizationOf(settings)?.regions).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('names each bad value', () => {
    const problems = problemsOf({
      FLEETWATCH_ORGANIZATION_ID: 'org-1',
      FLEETWATCH_MEMBER_ACCOUNTS: '1234',
      FLEETWATCH_MEMBER_REGIONS: 'eu-west-1;rm -rf',
    });
    expect(problems.join('\n')).toMatch(/FLEETWATCH_ORGANIZATION_ID must be an organization id/);
    expect(problems.join('\n')).toMatch(/FLEETWATCH_MEMBER_ACCOUNTS each must be a 12-digit account id/);
    expect(problems.join('\n')).toMatch(/FLEETWATCH_MEMBER_REGIONS each must be a region name/);
  });

  it('needs exactly one scope, and no scope without the organization id', () => {
    expect(problemsOf({ FLEETWATCH_ORGANIZATION_ID: 'o-a1b2c3d4e5' })).toEqual([expect.stringMatching(/needs a scope/)]);
    expect(
      problemsOf({ FLEETWATCH_ORGANIZATION_ID: 'o-a1b2c3d4e5', FLEETWATCH_ORGANIZATIONAL_UNITS: 'r-ab12', FLEETWATCH_MEMBER_ACCOUNTS: '111111111111' }),
    ).toEqual([expect.stringMatching(/not both/)]);
    expect(problemsOf({ FLEETWATCH_MEMBER_ACCOUNTS: '111111111111' })).toEqual([expect.stringMatching(/need FLEETWATCH_ORGANIZATION_ID/)]);
  });
});

describe('cells', () => {
  it('round-trips a key and refuses what is not one', () => {
    expect(parseCellKey(cellKey({ account: '111111111111', region: 'us-east-1' }))).toEqual({ account: '111111111111', region: 'us-east-1' });
    expect(() => parseCellKey('111111111111')).toThrow(/not an account\/region: "111111111111"/);
    expect(() => parseCellKey('1111/us-east-1')).toThrow(/not an account\/region/);
  });

  it('lists every account and region, account by account', () => {
    expect(cellsOf(['111111111111', '222222222222'], ['a-b-1', 'c-d-2']).map(cellKey)).toEqual([
      '111111111111/a-b-1',
      '111111111111/c-d-2',
      '222222222222/a-b-1',
      '222222222222/c-d-2',
    ]);
  });
});
