/** Parameter Store Change of one of the stage's configuration parameters: validate, start the rollout. */
import { onParameterChange } from '../../lib/entry/events.js';
import { eventHandlerFor, onOrgParameterChange } from '../../lib/organization/route.js';
import { eventBody, lambda, type Environment, type Runtime } from '../handler.js';

// In the organization mode the same handler runs in the event's account-region, once the scope admits it.
export const createHandler = (environment: Environment) =>
  lambda((event: unknown, runtime: Runtime) => eventBody(eventHandlerFor(runtime, onParameterChange, 'Parameter Store change', onOrgParameterChange))(event, runtime), environment);
