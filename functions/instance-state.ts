/** The deployed `instance-state` handler: handlers/instance-state.ts with the AWS runtime (runtime.ts). */
import { createHandler } from './handlers/instance-state.js';
import { aws } from './runtime.js';

export const handler = createHandler(aws);
