/** The work queue's message body. Parsed strictly: the queue is ours, so anything else is a bug. */
import { CONFIG_NAME_PATTERN } from '../config.js';
import { InvalidInputError } from '../errors.js';
import { AGENT_ROLLOUT, type WorkItem } from '../ports.js';
import { COMMAND_ID_PATTERN, INSTANCE_ID_PATTERN } from './ids.js';
import { CLAIM_PREFIX } from './lifecycle.js';
import * as z from '../schema.js';


/** "claim-<ms>", as lib/execute.ts takes them. */
const CLAIM_ID_PATTERN = new RegExp(`^${CLAIM_PREFIX}[0-9]{1,16}$`);

/** A fan-out batch: 500 ids of 19 characters stay far inside SQS's 256 KB message. */
export const MAX_BATCH_IDS = 500;

const common = { reason: z.string().check(z.maxLength(500)), attempt: z.int().check(z.minimum(0)) };
const workItemSchema = z.union([
  z.strictObject({
    instanceId: z.string().check(z.regex(INSTANCE_ID_PATTERN)),
    commandId: z.optional(z.string().check(z.regex(COMMAND_ID_PATTERN))),
    claimId: z.optional(z.string().check(z.regex(CLAIM_ID_PATTERN))),
    associationSlot: z.optional(z.int().check(z.minimum(0))),
    ...common,
  }),
  // A configuration's rollout, or the agent's own (AGENT_ROLLOUT).
  z.strictObject({ rollout: z.union([z.string().check(z.regex(CONFIG_NAME_PATTERN)), z.literal(AGENT_ROLLOUT)]), ...common }),
  z.strictObject({
    instanceIds: z.array(z.string().check(z.regex(INSTANCE_ID_PATTERN))).check(z.minLength(1), z.maxLength(MAX_BATCH_IDS)),
    silence: z.optional(z.record(z.string().check(z.regex(INSTANCE_ID_PATTERN)), z.string().check(z.maxLength(500)))),
    ...common,
  }),
]);

export function parseWorkItem(body: string): WorkItem {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidInputError(`work item is not JSON: ${body.slice(0, 200)}`);
  }
  const parsed = workItemSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidInputError(`malformed work item ${body.slice(0, 200)}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
