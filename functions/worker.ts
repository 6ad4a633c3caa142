/** The deployed `worker` handler: handlers/worker.ts with the AWS runtime (runtime.ts). */
import { createHandler } from './handlers/worker.js';
import { aws } from './runtime.js';

export const handler = createHandler(aws);
