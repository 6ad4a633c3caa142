/**
 * The `reconcile` function's input. Validated whole before anything is read or changed, so a
 * typo never becomes a partial apply. Defaults are the safe ones: a dry run of an ensure.
 */
import { z } from 'zod';
import { CONFIG_NAME_PATTERN } from './config.js';
import { InvalidInputError } from './errors.js';
import type { ReconcileRequest } from './reconcile.js';

/** EC2 instance ids: i- and 8 or 17 hex digits. */
export const INSTANCE_ID_PATTERN = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

const requestSchema = z
  .object({
    /** reconcile (default): plan or apply; status: per-configuration versions and instance counts. */
    mode: z.enum(['reconcile', 'status']).default('reconcile'),
    dryRun: z.boolean().default(true),
    action: z.enum(['ensure', 'install', 'configure', 'restart']).default('ensure'),
    instanceIds: z.array(z.string().regex(INSTANCE_ID_PATTERN, 'is not an EC2 instance id')).min(1).max(1000).optional(),
    config: z.string().regex(CONFIG_NAME_PATTERN, 'is not a configuration name').optional(),
    maxInstances: z.number().int().positive().optional(),
    lineLimit: z.number().int().min(0).max(10_000).optional(),
  })
  .strict();

export type ParsedRequest = { mode: 'reconcile'; request: ReconcileRequest } | { mode: 'status' };

/** The `reconcile` function's input: a reconcile (plan or apply) or a status read. */
export function parseFunctionRequest(input: unknown): ParsedRequest {
  const mode = (input as { mode?: unknown } | null)?.mode;
  if (mode === 'status') {
    parseReconcileRequest(input); // still rejects unknown keys and bad values
    return { mode: 'status' };
  }
  return { mode: 'reconcile', request: parseReconcileRequest(input) };
}

export function parseReconcileRequest(input: unknown): ReconcileRequest {
  // The schedule and a bare `sls invoke` pass no data: that is a dry run of the whole fleet.
  const raw = input === undefined || input === null || input === '' ? {} : input;
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`);
    throw new InvalidInputError(`invalid reconcile request: ${problems.join('; ')}`);
  }
  const { dryRun, action, instanceIds, config, maxInstances, lineLimit } = parsed.data; // mode is parseFunctionRequest's
  return {
    dryRun,
    action,
    scope: { ...(instanceIds && { instanceIds }), ...(config && { configName: config }) },
    ...(maxInstances !== undefined && { maxInstances }),
    ...(lineLimit !== undefined && { lineLimit }),
  };
}
