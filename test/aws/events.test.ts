import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../lib/errors.js';
import { awsPorts } from './helpers.js';

const eventBridge = mockClient(EventBridgeClient);
beforeEach(() => eventBridge.reset());

const events = (n: number) => Array.from({ length: n }, (_, i) => ({ detailType: 'Instance Onboarded', detail: { instanceId: `i-${i}` } }));

describe('publish', () => {
  it('puts 10 entries a call on the default bus with the stage source fleetwatch.<stage>', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });

    await awsPorts().events.publish(events(12));

    const calls = eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(calls.map((entries) => entries.length)).toEqual([10, 2]);
    expect(calls[0]?.[0]).toEqual({ Source: 'fleetwatch.dev', DetailType: 'Instance Onboarded', Detail: '{"instanceId":"i-0"}' });
    expect(calls.flat().every((entry) => entry.EventBusName === undefined)).toBe(true);
  });

  it('raises an error when entries fail', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'e-1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const publishing = awsPorts().events.publish(events(2));
    await expect(publishing).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(publishing).rejects.toThrow(/1 of 2 .*InternalFailure/);
  });

  it('does not call for no events', async () => {
    await awsPorts().events.publish([]);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });
});
