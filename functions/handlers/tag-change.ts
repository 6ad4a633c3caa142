/** Tag Change on Resource for an EC2 instance where the selector key changed: enqueue it. */
import { onTagChange } from '../../lib/entry/events.js';
import { eventBody, lambda, type Environment } from '../handler.js';

export const createHandler = (environment: Environment) => lambda(eventBody(onTagChange), environment);
