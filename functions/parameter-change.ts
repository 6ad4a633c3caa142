/** Parameter Store Change of one of the stage's configuration parameters: validate, start the rollout. */
import { onParameterChange } from '../lib/rollout.js';
import { eventHandler } from './event-handler.js';

export const handler = eventHandler(onParameterChange);
