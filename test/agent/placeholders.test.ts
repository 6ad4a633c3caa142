import { describe, it, expect } from 'vitest';
import {
  LOG_GROUP_PLACEHOLDERS,
  hasPlaceholders,
  logGroupNameTemplateProblems,
  resolveLogGroupName,
  type InstanceFacts,
} from '../../lib/agent/index.js';

const facts: InstanceFacts = {
  instanceId: 'i-0123456789abcdef0',
  privateIpAddress: '10.0.0.12',
  privateDnsName: 'ip-10-0-0-12.eu-west-1.compute.internal',
  region: 'eu-west-1',
  accountId: '123456789012',
};

describe('resolveLogGroupName', () => {
  it.each([
    ['/app/plain', '/app/plain'],
    ['/app/{instance_id}', '/app/i-0123456789abcdef0'],
    // The agent's {hostname} is instance metadata "hostname": the full private DNS name.
    ['/app/{hostname}', '/app/ip-10-0-0-12.eu-west-1.compute.internal'],
    ['/app/{ip_address}', '/app/10.0.0.12'],
    ['/app/{aws_region}/{account_id}', '/app/eu-west-1/123456789012'],
    ['/app/{instance_id}/{instance_id}', '/app/i-0123456789abcdef0/i-0123456789abcdef0'],
  ])('%s -> %s', (template, expected) => {
    expect(resolveLogGroupName(template, facts)).toEqual({ ok: true, name: expected });
  });

  it.each([
    ['/app/{date}', '{date}', facts],
    ['/app/{local_hostname}', '{local_hostname}', facts],
    ['/app/{hostname}', '{hostname}', { ...facts, privateDnsName: undefined }],
    ['/app/{hostname}', '{hostname}', { ...facts, privateDnsName: '' }],
    ['/app/{ip_address}', '{ip_address}', { ...facts, privateIpAddress: undefined }],
    ['/app/{nope}', '{nope}', facts],
  ])('%s cannot be resolved ahead (%s)', (template, placeholder, instanceFacts) => {
    const result = resolveLogGroupName(template, instanceFacts);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(placeholder);
  });

  it('explains why {date} cannot be created ahead', () => {
    const result = resolveLogGroupName('/app/{date}', facts);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('every day') });
  });

  it('rejects a resolved name longer than 512 characters', () => {
    const template = `/${'a'.repeat(495)}/{instance_id}`; // 510 as a template, 516 resolved
    expect(template.length).toBeLessThanOrEqual(512);
    const result = resolveLogGroupName(template, facts);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('516 characters') });
  });

  it('rejects characters CloudWatch Logs does not allow', () => {
    expect(resolveLogGroupName('/app name', facts).ok).toBe(false);
  });
});

describe('hasPlaceholders', () => {
  it.each([
    ['/var/log/messages', false],
    ['/app/{nope}', false],
    ...LOG_GROUP_PLACEHOLDERS.map((p) => [`/app/${p}`, true] as [string, boolean]),
  ])('%s -> %s', (template, expected) => {
    expect(hasPlaceholders(template)).toBe(expected);
  });
});

describe('logGroupNameTemplateProblems', () => {
  it.each([
    ['/fleetwatch/web/{instance_id}', []],
    ['/a.b-c_d#e/F9', []],
    ['', ['must be 1-512 characters']],
    ['x'.repeat(513), ['must be 1-512 characters']],
    ['/app/{nope}', ['unknown placeholder {nope}']],
    ['/app/{instance_id', ['may only contain']],
    ['/app name', ['may only contain']],
    ['C:\\logs\\app', ['may only contain']],
  ])('%j', (template, expected) => {
    const problems = logGroupNameTemplateProblems(template);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((fragment, i) => expect(problems[i]).toContain(fragment));
  });
});
