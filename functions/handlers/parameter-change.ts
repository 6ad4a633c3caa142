/** Parameter Store Change of one of the stage's configuration parameters: validate, start the rollout. */
import { onParameterChange } from '../../lib/entry/events.js';
import { eventBody, lambda, type Environment } from '../handler.js';

export const createHandler = (environment: Environment) => lambda(eventBody(onParameterChange), environment);
