/** EC2 Command Invocation Status-change Notification for the service's document: record the outcome. */
import { onCommandInvocation } from '../../lib/entry/events.js';
import { eventBody, lambda, type Environment } from '../handler.js';

export const createHandler = (environment: Environment) => lambda(eventBody(onCommandInvocation), environment);
