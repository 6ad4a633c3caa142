/**
 * The `reconcile` function's input. Validated whole before anything is read or changed, so a
 * typo never becomes a partial apply. Defaults are the safe ones: a dry run of an ensure.
 */
import { ACCOUNT_ID_PATTERN, CONFIG_NAME_PATTERN, REGION_PATTERN } from '../config.js';
import { InvalidInputError } from '../errors.js';
import type { ReconcileRequest } from './reconcile.js';
import { INSTANCE_ID_PATTERN } from '../model/ids.js';
import * as z from '../schema.js';


const requestSchema = z.strictObject({
  /** reconcile (default): plan or apply; status: per-configuration versions and instance counts. */
  mode: z._default(z.enum(['reconcile', 'status']), 'reconcile'),
  dryRun: z._default(z.boolean(), true),
  action: z._default(z.enum(['ensure', 'install', 'configure', 'restart']), 'ensure'),
  instanceIds: z.optional(
    z.array(z.string().check(z.regex(INSTANCE_ID_PATTERN, 'is not an EC2 instance id'))).check(z.minLength(1), z.maxLength(1000)),
  ),
  config: z.optional(z.string().check(z.regex(CONFIG_NAME_PATTERN, 'is not a configuration name'))),
  maxInstances: z.optional(z.int().check(z.positive())),
  lineLimit: z.optional(z.int().check(z.minimum(0), z.maximum(10_000))),
  /** The organization mode: only these member accounts, only these regions (the single-account mode takes its own only). */
  accounts: z.optional(z.array(z.string().check(z.regex(ACCOUNT_ID_PATTERN, 'is not a 12-digit account id'))).check(z.minLength(1), z.maxLength(1000))),
  regions: z.optional(z.array(z.string().check(z.regex(REGION_PATTERN, 'is not a region name'))).check(z.minLength(1), z.maxLength(50))),
});

/** Which account-regions a request is about (unset: all of the stage's). */
export interface CellSelection {
  accounts?: string[];
  regions?: string[];
}

export type ParsedRequest = { mode: 'reconcile'; request: ReconcileRequest; cells: CellSelection } | { mode: 'status'; cells: CellSelection };

/** The `reconcile` function's input: a reconcile (plan or apply) or a status read. */
export function parseFunctionRequest(input: unknown): ParsedRequest {
  const mode = (input as { mode?: unknown } | null)?.mode;
  const data = parseRequestData(input); // a status read still rejects unknown keys and bad values
  const cells: CellSelection = { ...(data.accounts && { accounts: data.accounts }), ...(data.regions && { regions: data.regions }) };
  if (mode === 'status') return { mode: 'status', cells };
  return { mode: 'reconcile', request: reconcileRequestOf(data), cells };
}

function parseRequestData(input: unknown): z.infer<typeof requestSchema> {
  // The schedule and a bare `sls invoke` pass no data: that is a dry run of the whole fleet.
  const raw = input === undefined || input === null || input === '' ? {} : input;
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`);
    throw new InvalidInputError(`invalid reconcile request: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export function parseReconcileRequest(input: unknown): ReconcileRequest {
  return reconcileRequestOf(parseRequestData(input));
}

function reconcileRequestOf(data: z.infer<typeof requestSchema>): ReconcileRequest {
  const { dryRun, action, instanceIds, config, maxInstances, lineLimit } = data; // mode is parseFunctionRequest's, the cells its selection
  return {
    dryRun,
    action,
    scope: { ...(instanceIds && { instanceIds }), ...(config && { configName: config }) },
    ...(maxInstances !== undefined && { maxInstances }),
    ...(lineLimit !== undefined && { lineLimit }),
  };
}
