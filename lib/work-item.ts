/** The work queue's message body. Parsed strictly: the queue is ours, so anything else is a bug. */
import { z } from 'zod';
import { CONFIG_NAME_PATTERN } from './config.js';
import { InvalidInputError } from './errors.js';
import type { WorkItem } from './ports.js';
import { INSTANCE_ID_PATTERN } from './reconcile-request.js';

/** A fan-out batch: 500 ids of 19 characters stay far inside SQS's 256 KB message. */
export const MAX_BATCH_IDS = 500;

const common = { reason: z.string().max(500), attempt: z.number().int().min(0) };
const workItemSchema = z.union([
  z.object({ instanceId: z.string().regex(INSTANCE_ID_PATTERN), ...common }).strict(),
  z.object({ rollout: z.string().regex(CONFIG_NAME_PATTERN), ...common }).strict(),
  z
    .object({
      instanceIds: z.array(z.string().regex(INSTANCE_ID_PATTERN)).min(1).max(MAX_BATCH_IDS),
      silence: z.record(z.string().regex(INSTANCE_ID_PATTERN), z.string().max(500)).optional(),
      ...common,
    })
    .strict(),
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
