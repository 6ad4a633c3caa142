/** The deployed `tag-change` handler: handlers/tag-change.ts with the AWS runtime (runtime.ts). */
import { createHandler } from './handlers/tag-change.js';
import { aws } from './runtime.js';

export const handler = createHandler(aws);
