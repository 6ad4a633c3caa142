/** EventsPort: PutEvents on the default bus, 10 entries a call. */
import type { EventsPort } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { arnsOf } from './arns.js';
import { batched } from './paginate.js';

export function eventsPort(account: AccountBackend, layer: CallLayer, source: string): EventsPort {
  return {
    async publish(events) {
      const bus = arnsOf(account).eventBus;
      await batched(
        layer,
        'PutEvents',
        events,
        LIMITS.putEventsEntries,
        (batch) => batch.map((event) => account.publish(event, source)),
        // events:source holds the Source of every entry of the call.
        () => [{ action: 'events:PutEvents', resource: bus, context: { 'events:source': [source] } }],
      );
    },
  };
}
