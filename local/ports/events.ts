/** EventsPort: PutEvents on the default bus, 10 entries a call. */
import type { EventsPort } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { batched } from './paginate.js';

export function eventsPort(account: AccountBackend, layer: CallLayer): EventsPort {
  return {
    async publish(events) {
      await batched(layer, 'PutEvents', events, LIMITS.putEventsEntries, (batch) => batch.map((event) => account.publish(event)));
    },
  };
}
