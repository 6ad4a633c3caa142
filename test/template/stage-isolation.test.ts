/**
 * Stage isolation in the packaged template: each stage selects with its own tag key by default,
 * and claims it with a CloudFormation export, so that a second stack in the account and region
 * that would select with the same key fails its deploy instead of sharing the fleet.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageService, removeTemporaryDirectories, resourcesOfType, type Json, type Packaged } from './template.js';

const stage = createRequire(import.meta.url)('../../serverless/stage.cjs') as typeof import('../../serverless/stage.cjs');

const packaged: Record<string, Packaged> = {};
beforeAll(async () => {
  for (const name of ['dev', 'prod']) packaged[name] = await packageService(name);
}, 240_000);
afterAll(removeTemporaryDirectories);

const selectorKeys = (template: Json) =>
  new Set(resourcesOfType(template, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties.Environment.Variables.FLEETWATCH_SELECTOR_TAG_KEY));

describe('the selector tag key of each stage', () => {
  it('defaults to fleetwatch:<stage>:config in every function and in the tag-change rule', () => {
    for (const name of ['dev', 'prod']) {
      const { template } = packaged[name]!;
      expect(selectorKeys(template)).toEqual(new Set([`fleetwatch:${name}:config`]));
      const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) => JSON.stringify(r).includes('changed-tag-keys'));
      expect(rules).toHaveLength(1);
      expect(rules[0]![1].Properties.EventPattern.detail['changed-tag-keys']).toEqual([`fleetwatch:${name}:config`]);
    }
  });

  it('is claimed by an export whose name only that key gives', () => {
    const claims = ['dev', 'prod'].map((name) => packaged[name]!.template.Outputs.SelectorTagKeyClaim);
    expect(claims.map((claim) => claim.Value)).toEqual(['fleetwatch:dev:config', 'fleetwatch:prod:config']);
    expect(claims.map((claim) => claim.Export.Name)).toEqual([stage.selectorClaimExportName('fleetwatch:dev:config'), stage.selectorClaimExportName('fleetwatch:prod:config')]);
    expect(new Set(claims.map((claim) => claim.Export.Name)).size).toBe(2);
  });
});

describe('selectorClaimExportName', () => {
  it('gives distinct keys distinct names of letters, digits and dashes', () => {
    const keys = ['fleetwatch:config', 'fleetwatch-config', 'fleetwatch:dev:config', 'fleetwatch:dev-config', 'a/b c', 'a-2fb c', 'Ünïcode', 'k'.repeat(128), 'x:'.repeat(64)];
    const names = keys.map((key) => stage.selectorClaimExportName(key));
    expect(new Set(names).size).toBe(keys.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9-]{1,255}$/);
    expect(stage.selectorClaimExportName('fleetwatch:prod:config')).toBe('fleetwatch-selector-fleetwatch-3aprod-3aconfig');
  });
});
