/** EC2 Instance State-change Notification (running, terminated): enqueue the instance. */
import { onInstanceStateChange } from '../../lib/entry/events.js';
import { eventHandlerFor, routedToCell } from '../../lib/organization/route.js';
import { eventBody, lambda, type Environment, type Runtime } from '../handler.js';

const what = 'EC2 state-change';
// In the organization mode the same handler runs in the event's account-region, once the scope admits it
// (without asking Organizations: this function only enqueues, and the worker checks the account).
const inOrganization = routedToCell(onInstanceStateChange, what, { askOrganizations: false });

export const createHandler = (environment: Environment) =>
  lambda((event: unknown, runtime: Runtime) => eventBody(eventHandlerFor(runtime, onInstanceStateChange, what, inOrganization))(event, runtime), environment);
