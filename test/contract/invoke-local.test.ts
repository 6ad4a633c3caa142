/**
 * Issue 7: `sls invoke local -f <fn> -p events/<file>.json` works with the endpoint pointed at a
 * local emulator. scripts/invoke-local.ts starts its own moto, creates the stack's table, queue,
 * parameters and document there, invokes, and reads back what the function left.
 */
import { describe, expect, it } from 'vitest';
import { invokeLocal } from '../../scripts/invoke-local.js';

describe('sls invoke local against moto', () => {
  it('instanceState enqueues the running instance', { timeout: 120_000 }, async () => {
    const result = await invokeLocal('instanceState', 'events/ec2-running.json');
    expect(result.enqueued).toEqual([{ instanceId: 'i-0abc1234def567890', reason: 'state running', attempt: 0 }]);
    expect(result.output).toContain('"message":"event enqueued"');
  });

  it('parameterChange validates the new version and starts its rollout', { timeout: 120_000 }, async () => {
    const result = await invokeLocal('parameterChange', 'events/parameter-updated.json');
    expect(result.enqueued).toEqual([{ rollout: 'web', reason: 'v1 written', attempt: 0 }]);
    expect(result.records).toEqual([expect.objectContaining({ instanceId: { S: 'rollout#web' }, status: { S: 'in-progress' } })]);
  });

  it('passes osls\'s own error on: an unknown function is named as osls names it', { timeout: 120_000 }, async () => {
    await expect(invokeLocal('nope', 'events/ec2-running.json')).rejects.toThrow('Function "nope" doesn\'t exist in this Service');
  });

  it('a malformed event is logged with its reason and changes nothing', { timeout: 120_000 }, async () => {
    const result = await invokeLocal('tagChange', 'events/near-miss-tag-volume.json');
    expect(result.output).toContain('"message":"event rejected"');
    expect(result.enqueued).toEqual([]);
  });
});
