/** The work queue's message body. Parsed strictly: the queue is ours, so anything else is a bug. */
import { z } from 'zod';
import { InvalidInputError } from './errors.js';
import type { WorkItem } from './ports.js';
import { INSTANCE_ID_PATTERN } from './reconcile-request.js';

const workItemSchema = z.object({
  instanceId: z.string().regex(INSTANCE_ID_PATTERN),
  reason: z.string().max(500),
  attempt: z.number().int().min(0),
  configName: z.string().optional(),
});

export function parseWorkItem(body: string): WorkItem {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidInputError(`work item is not JSON: ${body.slice(0, 200)}`);
  }
  const parsed = workItemSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidInputError(`malformed work item: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const { configName, ...rest } = parsed.data;
  return { ...rest, ...(configName !== undefined && { configName }) };
}
