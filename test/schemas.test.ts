import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../lib/errors.js';
import { parseReconcileRequest } from '../lib/entry/reconcile-request.js';
import { parseWorkItem } from '../lib/model/work-item.js';

describe('parseReconcileRequest', () => {
  it('defaults to a dry run of an ensure over the whole fleet', () => {
    expect(parseReconcileRequest(undefined)).toEqual({ dryRun: true, action: 'ensure', scope: {} });
  });
  it('takes a scope, an action and a cap', () => {
    expect(parseReconcileRequest({ dryRun: false, action: 'restart', instanceIds: ['i-0123456789abcdef0'], config: 'web', maxInstances: 10 })).toEqual({
      dryRun: false,
      action: 'restart',
      scope: { instanceIds: ['i-0123456789abcdef0'], configName: 'web' },
      maxInstances: 10,
    });
  });
  it.each([
    [{ action: 'reboot' }, /action/],
    [{ instanceIds: ['i-123'] }, /instanceIds.0: is not an EC2 instance id/],
    [{ instanceIds: [] }, /instanceIds/],
    [{ config: 'a;b' }, /config: is not a configuration name/],
    [{ dryRun: 'no' }, /dryRun/],
    [{ dryrun: false }, /Unrecognized key/],
  ])('rejects %j with a clear error', (input, message) => {
    expect(() => parseReconcileRequest(input)).toThrow(InvalidInputError);
    expect(() => parseReconcileRequest(input)).toThrow(message);
  });
});

describe('parseWorkItem', () => {
  it('parses a work item', () => {
    expect(parseWorkItem('{"instanceId":"i-0123456789abcdef0","reason":"state running","attempt":2}')).toEqual({
      instanceId: 'i-0123456789abcdef0',
      reason: 'state running',
      attempt: 2,
    });
  });
  it('parses an outcome check, which names its SSM command', () => {
    const body = '{"instanceId":"i-0123456789abcdef0","commandId":"0b7a8c4e-1f2d-4e3a-9b5c-6d7e8f901234","reason":"outcome check","attempt":0}';
    expect(parseWorkItem(body)).toMatchObject({ commandId: '0b7a8c4e-1f2d-4e3a-9b5c-6d7e8f901234' });
  });
  it.each([
    'not json',
    '{"instanceId":"../x","reason":"r","attempt":0}',
    '{"instanceId":"i-0123456789abcdef0"}',
    '{"instanceId":"i-0123456789abcdef0","commandId":"x; rm -rf /","reason":"r","attempt":0}',
  ])(
    'rejects %s',
    (body) => {
      expect(() => parseWorkItem(body)).toThrow(InvalidInputError);
    },
  );
});
