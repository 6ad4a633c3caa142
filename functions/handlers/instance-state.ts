/** EC2 Instance State-change Notification (running, terminated): enqueue the instance. */
import { onInstanceStateChange } from '../../lib/entry/events.js';
import { eventBody, lambda, type Environment } from '../handler.js';

export const createHandler = (environment: Environment) => lambda(eventBody(onInstanceStateChange), environment);
