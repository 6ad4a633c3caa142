/** Tag Change on Resource for an EC2 instance where the selector key changed: enqueue it. */
import { onTagChange } from '../../lib/entry/events.js';
import { eventHandlerFor } from '../../lib/organization/route.js';
import { eventBody, lambda, type Environment, type Runtime } from '../handler.js';

// In the organization mode the same handler runs in the event's account-region, once the scope admits it.
export const createHandler = (environment: Environment) =>
  lambda((event: unknown, runtime: Runtime) => eventBody(eventHandlerFor(runtime, onTagChange, 'tag-change'))(event, runtime), environment);
