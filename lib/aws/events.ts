/** EventsPort on EventBridge: the service's own events on the default bus. */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FleetwatchError, ServiceUnavailableError } from '../errors.js';
import type { EventsPort } from '../ports.js';
import { chunk } from './batch.js';
import { callAws } from './errors.js';

/** PutEvents takes at most 10 entries per call. */
const ENTRIES_MAX = 10;

/** Entry error codes EventBridge documents as worth sending again. */
const TRANSIENT_CODES = new Set(['InternalFailure', 'ThrottlingException']);
const BUS = 'default event bus';

/** `source`: the stage's event source (lib/model/service-events.ts serviceEventSource). */
export function createEventsPort(client: EventBridgeClient, source: string): EventsPort {
  return {
    async publish(events) {
      for (const batch of chunk(events, ENTRIES_MAX)) {
        // No EventBusName: the default bus, where other automation in the account listens.
        const result = await callAws({ operation: 'PutEvents', resource: BUS }, () =>
          client.send(
            new PutEventsCommand({
              Entries: batch.map((event) => ({ Source: source, DetailType: event.detailType, Detail: JSON.stringify(event.detail) })),
            }),
          ),
        );
        // PutEvents succeeds as a call while failing single entries; results are in entry order.
        if (!result.FailedEntryCount) continue;
        const failures = (result.Entries ?? []).flatMap((entry, index) =>
          entry.ErrorCode ? [{ detailType: batch[index]?.detailType ?? `entry ${index}`, code: entry.ErrorCode, message: entry.ErrorMessage ?? '' }] : [],
        );
        const reasons = failures.map((failure) => `${failure.detailType}: ${failure.code} ${failure.message}`.trim());
        const Typed = failures.every((failure) => TRANSIENT_CODES.has(failure.code)) ? ServiceUnavailableError : FleetwatchError;
        throw new Typed(`PutEvents: ${result.FailedEntryCount} of ${batch.length} event(s) not published: ${reasons.join('; ')}`, { resource: BUS });
      }
    },
  };
}
