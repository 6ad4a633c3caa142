/**
 * Unit tests of the serverless/*.cjs resolvers: configuration sizes and tiers, the value
 * CloudFormation deploys, the sweep schedule and the queue's visibility timeout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import agentConfigs from '../../serverless/agent-configs.cjs';
import iam from '../../serverless/iam.cjs';
import stage from '../../serverless/stage.cjs';
import { CONFIG_NAME_PATTERN } from '../../lib/config.js';
import { joinedValue } from './template.js';

const dirs: string[] = [];
function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetwatch-configs-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A valid-looking configuration whose minified JSON is exactly `bytes` long. */
function configOfSize(bytes: number): string {
  // The agent's schema allows any key in "agent", so the padding goes there.
  const skeleton = JSON.stringify({ agent: { metrics_collection_interval: 60, padding: '' } });
  const pretty = JSON.stringify({ agent: { metrics_collection_interval: 60, padding: 'x'.repeat(bytes - skeleton.length) } }, null, 2);
  expect(JSON.stringify(JSON.parse(pretty)).length).toBe(bytes);
  return pretty;
}

describe('parameterTier', () => {
  it('is Standard up to 4096 bytes and Advanced up to 8192', () => {
    expect(agentConfigs.parameterTier('a.json', 1)).toBe('Standard');
    expect(agentConfigs.parameterTier('a.json', 4096)).toBe('Standard');
    expect(agentConfigs.parameterTier('a.json', 4097)).toBe('Advanced');
    expect(agentConfigs.parameterTier('a.json', 8192)).toBe('Advanced');
  });

  it('rejects more than 8192 bytes, naming the file and its size', () => {
    expect(() => agentConfigs.parameterTier('agent/configs/huge.json', 8193)).toThrow(/agent\/configs\/huge\.json.*8193 bytes.*8192/);
  });
});

describe('loadAgentConfigs', () => {
  it('minifies each file and picks the tier from the minified size, not the file size', () => {
    const dir = configDir({ 'small.json': configOfSize(4096), 'big.json': configOfSize(5000), 'full.json': configOfSize(8192) });
    const configs = agentConfigs.loadAgentConfigs(dir);
    expect(configs.map((c) => [c.name, c.bytes, c.tier])).toEqual([
      ['big', 5000, 'Advanced'],
      ['full', 8192, 'Advanced'],
      ['small', 4096, 'Standard'],
    ]);
    for (const config of configs) expect(config.value).not.toMatch(/\n/);
  });

  it('fails over 8 KB with an error naming the file and its size', () => {
    const dir = configDir({ 'ok.json': configOfSize(100), 'huge.json': configOfSize(9000) });
    expect(() => agentConfigs.loadAgentConfigs(dir)).toThrow(/huge\.json: minified size 9000 bytes exceeds the Parameter Store Advanced tier limit of 8192 bytes/);
  });

  it('reports every problem at once: bad name, bad JSON, not an object, too big', () => {
    const dir = configDir({
      '-bad.json': '{}',
      'broken.json': '{"agent":',
      'list.json': '[]',
      'huge.json': configOfSize(8193),
      'fine.json': '{}',
    });
    let message = '';
    try {
      agentConfigs.loadAgentConfigs(dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/"-bad" must match/);
    expect(message).toMatch(/broken\.json: not valid JSON/);
    expect(message).toMatch(/list\.json: an agent configuration must be a JSON object/);
    expect(message).toMatch(/huge\.json: minified size 8193 bytes/);
    expect(message).not.toMatch(/fine\.json/);
  });

  it('fails on an empty directory rather than deploying no configuration', () => {
    expect(() => agentConfigs.loadAgentConfigs(configDir({}))).toThrow(/no agent configurations/);
  });

  it('rejects two names that map to one CloudFormation logical id', () => {
    expect(() => agentConfigs.loadAgentConfigs(configDir({ 'web-1.json': '{}', 'web.1.json': '{}' }))).toThrow(/same CloudFormation logical id/);
  });

  it('uses the same name pattern as lib/config.ts', () => {
    expect(agentConfigs.CONFIG_NAME_PATTERN.source).toBe(CONFIG_NAME_PATTERN.source);
  });
});

describe('literal', () => {
  it('leaves a value without "${" as it is', () => {
    expect(agentConfigs.literal('{"a":1}')).toBe('{"a":1}');
  });

  it('splits "${" so osls never sees a variable, and the joined value is the original', () => {
    const value = '{"InstanceId":"${aws:InstanceId}","b":"${x}${y}","c":"$","d":"{"}';
    const emitted = agentConfigs.literal(value);
    expect(joinedValue(emitted)).toBe(value);
    expect(JSON.stringify(emitted)).not.toContain('${');
  });
});

describe('parameterResources', () => {
  it('names the parameter AmazonCloudWatch-fleetwatch-<stage>-<name> and tags it', () => {
    const resources = agentConfigs.parameterResources('qa', [{ name: 'web', file: 'web.json', value: '{}', bytes: 2, tier: 'Standard' }]);
    expect(resources).toEqual({
      AgentConfigWebParameter: {
        Type: 'AWS::SSM::Parameter',
        Properties: expect.objectContaining({
          Name: 'AmazonCloudWatch-fleetwatch-qa-web',
          Tier: 'Standard',
          Value: '{}',
          Tags: expect.objectContaining({ 'fleetwatch:managed-by': 'fleetwatch', 'fleetwatch:stage': 'qa' }),
        }),
      },
    });
  });
});

describe('sweep schedule', () => {
  it('passes rate and cron expressions through, enabled', () => {
    expect(stage.parseSweepSchedule('rate(6 hours)')).toEqual({ expression: 'rate(6 hours)', enabled: true });
    expect(stage.parseSweepSchedule('rate(1 day)')).toEqual({ expression: 'rate(1 day)', enabled: true });
    expect(stage.parseSweepSchedule('cron(0 3 * * ? *)')).toEqual({ expression: 'cron(0 3 * * ? *)', enabled: true });
  });

  it('turns "off" into a disabled rule with a valid placeholder expression', () => {
    expect(stage.parseSweepSchedule('off')).toEqual({ expression: 'rate(1 day)', enabled: false });
  });

  it('rejects anything else, and EventBridge singular/plural mistakes', () => {
    expect(() => stage.parseSweepSchedule('every 6 hours')).toThrow(/sweepSchedule/);
    expect(() => stage.parseSweepSchedule('rate(1 hours)')).toThrow(/sweepSchedule/);
    expect(() => stage.parseSweepSchedule('rate(6 hour)')).toThrow(/sweepSchedule/);
  });
});

describe('work queue visibility timeout', () => {
  it('is six times the worker timeout, capped at the SQS maximum', () => {
    expect(stage.visibilityTimeoutFor(120)).toBe(720);
    expect(stage.visibilityTimeoutFor(900)).toBe(5400);
    expect(stage.visibilityTimeoutFor(10_000)).toBe(43_200);
    expect(() => stage.visibilityTimeoutFor('soon')).toThrow(/positive integer/);
  });
});

describe('iam roles', () => {
  it('gives every function a role name IAM accepts, with the region (IAM names are global)', () => {
    expect(iam.roleName({ stage: 'prod', region: 'ap-southeast-2' }, 'parameter-events')).toBe('fleetwatch-prod-ap-southeast-2-parameter-events');
    expect(() => iam.roleName({ stage: 'a-very-long-stage', region: 'ap-southeast-2' }, 'a-very-long-function-name')).toThrow(/64 characters/);
  });

  it('builds roles only from known statement blocks', () => {
    for (const [fn, blocks] of Object.entries(iam.FUNCTION_STATEMENTS)) {
      for (const block of blocks) expect(iam.statements, `${fn}: ${block}`).toHaveProperty(block);
    }
    expect(iam.roleLogicalId('ec2-events')).toBe('Ec2EventsRole');
  });
});
