/**
 * Issue 3: editing a bundled configuration and packaging again gives a template whose parameter
 * holds the new (minified) value, and a bigger configuration moves to the Advanced tier.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { joinedValue, packageService, removeTemporaryDirectories, resourcesOfType, ROOT, PACKAGE_TIMEOUT_MS } from './template.js';

afterAll(removeTemporaryDirectories);

const webParameter = (template: Parameters<typeof resourcesOfType>[0]) =>
  resourcesOfType(template, 'AWS::SSM::Parameter').map(([, r]) => r.Properties).find((p) => p.Name === 'AmazonCloudWatch-fleetwatch-dev-web');

describe('editing agent/configs/web.json', () => {
  it('packages the new value, minified, and picks the tier from its size', { timeout: PACKAGE_TIMEOUT_MS }, async () => {
    const original = JSON.parse(readFileSync(path.join(ROOT, 'agent', 'configs', 'web.json'), 'utf8'));
    const edited = structuredClone(original);
    edited.agent = { ...edited.agent, metrics_collection_interval: 17 };
    const big = structuredClone(original);
    // Many more log files: over 4 KB minified, under 8 KB.
    big.logs.logs_collected.files.collect_list.push(
      ...Array.from({ length: 30 }, (_, i) => ({ file_path: `/var/log/app/service-${i}.log`, log_group_name: `/fleetwatch/web/service-${i}`, log_stream_name: '{instance_id}' })),
    );

    const [small, large] = await Promise.all([
      packageService('dev', [], { 'agent/configs/web.json': JSON.stringify(edited, null, 2) }),
      packageService('dev', [], { 'agent/configs/web.json': JSON.stringify(big, null, 2) }),
    ]);

    const value = joinedValue(webParameter(small.template).Value);
    expect(JSON.parse(value)).toEqual(edited);
    expect(value).toBe(JSON.stringify(edited));
    expect(webParameter(small.template).Tier).toBe('Standard');

    const largeValue = joinedValue(webParameter(large.template).Value);
    expect(Buffer.byteLength(largeValue)).toBeGreaterThan(4096);
    expect(webParameter(large.template).Tier).toBe('Advanced');
    // The repository's own file is untouched.
    expect(JSON.parse(readFileSync(path.join(ROOT, 'agent', 'configs', 'web.json'), 'utf8'))).toEqual(original);
  });
});
