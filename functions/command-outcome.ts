/** The deployed `command-outcome` handler: handlers/command-outcome.ts with the AWS runtime (runtime.ts). */
import { createHandler } from './handlers/command-outcome.js';
import { aws } from './runtime.js';

export const handler = createHandler(aws);
