/** Tag Change on Resource for an EC2 instance where the selector key changed: enqueue it. */
import { onTagChange } from '../../lib/entry/events.js';
import { eventHandlerFor, routedToCell } from '../../lib/organization/route.js';
import { eventBody, lambda, type Environment, type Runtime } from '../handler.js';

const what = 'tag-change';
// In the organization mode the same handler runs in the event's account-region, once the scope admits it
// (without asking Organizations: this function only enqueues, and the worker checks the account).
const inOrganization = routedToCell(onTagChange, what, { askOrganizations: false });

export const createHandler = (environment: Environment) =>
  lambda((event: unknown, runtime: Runtime) => eventBody(eventHandlerFor(runtime, onTagChange, what, inOrganization))(event, runtime), environment);
