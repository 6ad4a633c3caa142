/** The work queue's message body. Parsed strictly: the queue is ours, so anything else is a bug. */
import { ACCOUNT_ID_PATTERN, CONFIG_NAME_PATTERN, REGION_PATTERN } from '../config.js';
import { InvalidInputError } from '../errors.js';
import { AGENT_ROLLOUT, type WorkItem } from '../ports.js';
import { COMMAND_ID_PATTERN, INSTANCE_ID_PATTERN } from './ids.js';
import { CLAIM_PREFIX } from './lifecycle.js';
import * as z from '../schema.js';


/** "claim-<ms>", as lib/execute.ts takes them. */
const CLAIM_ID_PATTERN = new RegExp(`^${CLAIM_PREFIX}[0-9]{1,16}$`);

/** A fan-out batch: 500 ids of 19 characters stay far inside SQS's 256 KB message. */
export const MAX_BATCH_IDS = 500;

/**
 * The key of a configuration's org-wide rollout (lib/organization/rollout.ts): its items name it so,
 * without a cell, as the hub's own work. "@" is in no configuration name.
 */
export const ORG_ROLLOUT_PREFIX = '@org/';
const ORG_ROLLOUT_PATTERN = new RegExp(`^${ORG_ROLLOUT_PREFIX}${CONFIG_NAME_PATTERN.source.slice(1)}`);

const common = {
  reason: z.string().check(z.maxLength(500)),
  attempt: z.int().check(z.minimum(0)),
  // Organization mode: the account-region the item is about.
  cell: z.optional(z.strictObject({ account: z.string().check(z.regex(ACCOUNT_ID_PATTERN)), region: z.string().check(z.regex(REGION_PATTERN)) })),
};
const workItemSchema = z.union([
  z.strictObject({
    instanceId: z.string().check(z.regex(INSTANCE_ID_PATTERN)),
    commandId: z.optional(z.string().check(z.regex(COMMAND_ID_PATTERN))),
    claimId: z.optional(z.string().check(z.regex(CLAIM_ID_PATTERN))),
    associationSlot: z.optional(z.int().check(z.minimum(0))),
    ...common,
  }),
  // A configuration's rollout, the agent's own (AGENT_ROLLOUT), or a configuration's org-wide rollout.
  z.strictObject({
    rollout: z.union([z.string().check(z.regex(CONFIG_NAME_PATTERN)), z.literal(AGENT_ROLLOUT), z.string().check(z.regex(ORG_ROLLOUT_PATTERN))]),
    ...common,
  }),
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
