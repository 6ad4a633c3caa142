/** The deployed `parameter-change` handler: handlers/parameter-change.ts with the AWS runtime (runtime.ts). */
import { createHandler } from './handlers/parameter-change.js';
import { aws } from './runtime.js';

export const handler = createHandler(aws);
