/** EC2 Command Invocation Status-change Notification for the service's document: record the outcome. */
import { onCommandInvocation } from '../../lib/entry/events.js';
import { eventHandlerFor } from '../../lib/organization/route.js';
import { eventBody, lambda, type Environment, type Runtime } from '../handler.js';

// In the organization mode the same handler runs in the event's account-region, once the scope admits it.
export const createHandler = (environment: Environment) =>
  lambda((event: unknown, runtime: Runtime) => eventBody(eventHandlerFor(runtime, onCommandInvocation, 'command invocation status-change'))(event, runtime), environment);
