import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AGENT_VERSION_PATTERN, parameterName, testSettings } from '../../lib/config.js';
import { AGENT_STATUS_STEP } from '../../lib/aws/ssm.js';
import { STANDARD_PARAMETER_MAX_BYTES, validateAgentConfig } from '../../lib/agent/index.js';

// js-yaml comes with osls and has no bundled types; this is all we use of it.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

const configsDir = new URL('../../agent/configs/', import.meta.url);
const documentFile = new URL('../../agent/document.yml', import.meta.url);

const expectedLogGroups: Record<string, { name: string; retentionInDays?: number }[]> = {
  default: [{ name: '/var/log/messages' }, { name: '/var/log/secure' }],
  web: [
    { name: '/var/log/messages' },
    { name: '/var/log/secure' },
    { name: '/fleetwatch/web/httpd/access', retentionInDays: 30 },
    { name: '/fleetwatch/web/httpd/error', retentionInDays: 90 },
    { name: '/fleetwatch/web/nginx/access', retentionInDays: 30 },
    { name: '/fleetwatch/web/nginx/error', retentionInDays: 90 },
  ],
  windows: [
    { name: '/fleetwatch/windows/system' },
    { name: '/fleetwatch/windows/application' },
    { name: '/fleetwatch/windows/security' },
  ],
};

const bundled = readdirSync(configsDir)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''))
  .sort();

describe('bundled agent configurations', () => {
  it('are exactly the ones this test knows', () => {
    expect(bundled).toEqual(Object.keys(expectedLogGroups).sort());
  });

  it.each(bundled)('%s passes the validator and lists its log groups', (name) => {
    const result = validateAgentConfig(readFileSync(new URL(`${name}.json`, configsDir), 'utf8'));
    if (!result.ok) expect.fail(result.problems.join('\n'));
    expect(result.config.logGroups.map(({ name: group, retentionInDays }) => ({ name: group, ...(retentionInDays !== undefined && { retentionInDays }) }))).toEqual(
      expectedLogGroups[name],
    );
    // Fits a Standard parameter, so no config needs the (charged) Advanced tier.
    expect(Buffer.byteLength(result.config.minified)).toBeLessThanOrEqual(STANDARD_PARAMETER_MAX_BYTES);
  });

  it.each(bundled)('%s: every metric carries the InstanceId dimension in namespace CWAgent', (name) => {
    const document = JSON.parse(readFileSync(new URL(`${name}.json`, configsDir), 'utf8')) as {
      metrics: { namespace: string; append_dimensions: Record<string, string> };
    };
    expect(document.metrics.namespace).toBe('CWAgent');
    expect(document.metrics.append_dimensions).toEqual({ InstanceId: '${aws:InstanceId}' });
  });
});

interface DocumentParameter {
  type: string;
  default?: string;
  allowedValues?: string[];
  allowedPattern?: string;
}
interface DocumentStep {
  action: string;
  name: string;
  precondition?: Record<string, string[]>;
  inputs: { documentType: string; documentPath: string; documentParameters: Record<string, string> };
}
interface CommandDocument {
  schemaVersion: string;
  parameters: Record<string, DocumentParameter>;
  mainSteps: DocumentStep[];
}

describe('agent/document.yml', () => {
  const text = readFileSync(documentFile, 'utf8');
  const document = yaml.load(text) as CommandDocument;
  const parameters = Object.entries(document.parameters);

  it('is a schema 2.2 Command document with the five parameters', () => {
    expect(document.schemaVersion).toBe('2.2');
    expect(Object.keys(document.parameters).sort()).toEqual(['agentAction', 'agentVersion', 'configurationLocation', 'installAgent', 'uninstallAgent']);
  });

  it.each(parameters)('parameter %s is pinned by allowedValues or allowedPattern', (_name, parameter) => {
    expect(parameter.type).toBe('String');
    expect(Boolean(parameter.allowedValues?.length) || Boolean(parameter.allowedPattern)).toBe(true);
    if (parameter.default !== undefined && parameter.allowedValues) expect(parameter.allowedValues).toContain(parameter.default);
  });

  it('pins the action and install switch', () => {
    expect(document.parameters.agentAction).toMatchObject({ default: 'configure', allowedValues: ['configure', 'stop'] });
    expect(document.parameters.installAgent?.allowedValues).toEqual(['yes', 'no']);
  });

  const pattern = new RegExp(document.parameters.configurationLocation?.allowedPattern ?? '^$');
  it.each([
    ['AmazonCloudWatch-fleetwatch-prod-web', true],
    ['AmazonCloudWatch-fleetwatch-prod-web:12', true],
    ['AmazonCloudWatch-a.b_c-d:999999', true],
    ['AmazonCloudWatch-', false],
    ['AmazonCloudWatch-web:', false],
    ['AmazonCloudWatch-web:abc', false],
    ['AmazonCloudWatch-web:1234567', false],
    ['AmazonCloudWatch-web; reboot', false],
    ['AmazonCloudWatch-web$(id)', false],
    ['other-web', false],
    ['/AmazonCloudWatch-web', false],
  ])('configurationLocation %j allowed: %s', (value, allowed) => {
    expect(pattern.test(value)).toBe(allowed);
  });

  it.each(bundled)('the parameter name of bundled config %s (with a version) fits configurationLocation', (name) => {
    const parameter = parameterName(testSettings({ parameterPrefix: 'AmazonCloudWatch-fleetwatch-prod-' }), name);
    expect(pattern.test(parameter)).toBe(true);
    expect(pattern.test(`${parameter}:42`)).toBe(true);
  });

  const versionPattern = new RegExp(document.parameters.agentVersion?.allowedPattern ?? '^$');
  it.each([
    ['', true],
    ['1.300032.2b361', true],
    ['1.247359.1b252618', true],
    ['1.300032.2b361; reboot', false],
    ['1.300032.2b361$(id)', false],
    ['1.300032.2b361`id`', false],
    ['1.300032 && rm -rf /', false],
    ['1.300032|sh', false],
    ["1.300032'", false],
    ['latest', false],
    ['../1.2', false],
  ])('agentVersion %j allowed by SSM: %s, and by fleetwatch the same', (value, allowed) => {
    expect(versionPattern.test(value)).toBe(allowed);
    // fleetwatch's own check (lib/config.ts) is the same pattern; empty is how "latest" reaches the document.
    expect(value === '' || AGENT_VERSION_PATTERN.test(value)).toBe(allowed);
  });

  it('installs with Distributor at agentVersion, gated on installAgent, manages the agent, reports its status, and uninstalls when asked', () => {
    const [install, manage, status, uninstall, ...rest] = document.mainSteps;
    expect(rest).toEqual([]);
    expect(install).toMatchObject({
      action: 'aws:runDocument',
      precondition: { StringEquals: ['{{ installAgent }}', 'yes'] },
      inputs: {
        documentType: 'SSMDocument',
        documentPath: 'AWS-ConfigureAWSPackage',
        documentParameters: { action: 'Install', name: 'AmazonCloudWatchAgent', version: '{{ agentVersion }}' },
      },
    });
    expect(status).toMatchObject({
      action: 'aws:runDocument',
      name: AGENT_STATUS_STEP,
      inputs: { documentType: 'SSMDocument', documentPath: 'AmazonCloudWatch-ManageAgent', documentParameters: { action: 'status', mode: 'ec2' } },
    });
    expect(status?.precondition).toBeUndefined();
    expect(uninstall).toMatchObject({
      action: 'aws:runDocument',
      precondition: { StringEquals: ['{{ uninstallAgent }}', 'yes'] },
      inputs: { documentType: 'SSMDocument', documentPath: 'AWS-ConfigureAWSPackage', documentParameters: { action: 'Uninstall', name: 'AmazonCloudWatchAgent' } },
    });
    expect(manage).toMatchObject({
      action: 'aws:runDocument',
      inputs: {
        documentType: 'SSMDocument',
        documentPath: 'AmazonCloudWatch-ManageAgent',
        documentParameters: {
          action: '{{ agentAction }}',
          mode: 'ec2',
          optionalConfigurationSource: 'ssm',
          optionalConfigurationLocation: '{{ configurationLocation }}',
          optionalRestart: 'yes',
        },
      },
    });
    expect(manage?.precondition).toBeUndefined();
  });

  it('references only declared parameters, and each of them', () => {
    const steps = JSON.stringify(document.mainSteps);
    const referenced = new Set([...steps.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]));
    expect([...referenced].sort()).toEqual(Object.keys(document.parameters).sort());
  });

  it('runs no shell', () => {
    const actions = document.mainSteps.map((step) => step.action);
    expect(actions.every((action) => action === 'aws:runDocument')).toBe(true);
  });
});
