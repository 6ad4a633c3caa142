/** The deployed `reconcile` handler: handlers/reconcile.ts with the AWS runtime (runtime.ts). */
import { createHandler } from './handlers/reconcile.js';
import { aws } from './runtime.js';

export const handler = createHandler(aws);
