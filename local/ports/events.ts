/** EventsPort: PutEvents on the default bus, 10 entries a call. */
import type { EventsPort } from '../../lib/ports.js';
import type { SimulatedAccount } from '../account.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { batched } from './paginate.js';

export function eventsPort(account: SimulatedAccount, layer: CallLayer): EventsPort {
  return {
    async publish(events) {
      await batched(layer, 'PutEvents', events, LIMITS.putEventsEntries, (batch) => batch.map((event) => account.publish(event)));
    },
  };
}
