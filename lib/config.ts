/**
 * Stage settings, read from the Lambda environment that serverless.yml sets from `params`.
 * Parsed once at cold start; every problem is named at once so one failed deploy shows them all.
 */
import { ConfigError } from './errors.js';
import * as z from './schema.js';

/** CloudWatch Logs accepts only these retention values (PutRetentionPolicy); -1 here means "never expire". */
export const ALLOWED_RETENTION_DAYS = [
  -1, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** A configuration name, also the selector tag's value. Tag values are untrusted: this is the gate. */
export const CONFIG_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * An exact CloudWatch agent version, as the agent reports it (`amazon-cloudwatch-agent-ctl -a
 * status` prints the CWAGENT_VERSION file: aws/amazon-cloudwatch-agent
 * packaging/dependencies/amazon-cloudwatch-agent-ctl, cwa_status) and as Distributor names the
 * AmazonCloudWatchAgent package's versions, e.g. 1.300032.2b361. Digits, letters and dots only:
 * the same pattern guards the document's agentVersion parameter (agent/document.yml), so a value
 * with a shell metacharacter is refused here, at package time and cold start, before SSM refuses it.
 */
export const AGENT_VERSION_PATTERN = /^[0-9]{1,4}(\.[0-9A-Za-z]{1,32}){1,3}$/;

/** The stage setting that leaves the version to Distributor: whatever it publishes as newest. */
export const LATEST_AGENT = 'latest';

/** The two AWS managed policies the agent's role needs: one to write metrics and logs, one to be managed by SSM. */
export const REQUIRED_POLICY_ARNS = [
  'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
  'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
] as const;

const retention = z.coerce.number().check(
  z.int(),
  z.refine((days) => (ALLOWED_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `must be one of ${ALLOWED_RETENTION_DAYS.join(', ')}`,
  }),
);

/** "10%" or "25": SendCommand's MaxConcurrency / MaxErrors syntax. */
const rate = z.string().check(z.regex(/^([1-9][0-9]{0,2}%|[0-9]+)$/, 'must be a count like "50" or a percentage like "10%"'));

/** Defaults of the limits on log groups (README "Validation"). */
export const DEFAULT_MAX_LOG_GROUPS_PER_INSTANCE = 50;
export const DEFAULT_MAX_NEW_LOG_GROUPS_PER_ROLLOUT = 500;

const flag = z.pipe(z.enum(['true', 'false']), z.transform((value) => value === 'true'));

const positiveInt = (max: number) => z.coerce.number().check(z.int(), z.positive(), z.maximum(max));

/** A comma-separated list of items that each match the pattern ("" is the empty list). */
const commaList = (pattern: RegExp, what: string) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s) => s.split(',').map((item) => item.trim()).filter(Boolean)),
    ),
    z.array(z.string().check(z.regex(pattern, `each must be ${what} (${pattern.source})`))),
  );

/** AWS Organizations' own id patterns (Organizations API reference: Organization.Id, OrganizationalUnit.Id, Root.Id). */
export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;
export const ORGANIZATIONAL_UNIT_PATTERN = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;
export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]$/;
/** serverless.yml's default workerMaxConcurrency. */
export const DEFAULT_WORKER_MAX_CONCURRENCY = 10;
/**
 * Most account-regions one invocation works on at once in the organization mode. Cells share no
 * rate limit, so they run wide; the hub's connections are bounded apart, by one budget of member
 * calls in flight (lib/organization/call-budget.ts), not by holding cells back.
 */
export const DEFAULT_MAX_PARALLEL_CELLS = 200;

const settingsSchema = z.object({
  stage: z.string().check(z.regex(/^[a-z0-9-]{1,16}$/, 'must be 1-16 lowercase letters, digits or dashes')),
  region: z.string().check(z.minLength(1)),
  accountId: z.string().check(z.regex(/^[0-9]{12}$/, 'must be a 12-digit account id')),
  selectorTagKey: z.string().check(z.minLength(1), z.maxLength(128)),
  profileMode: z.enum(['report', 'attach', 'replace']),
  onDeselect: z.enum(['leave', 'stop', 'uninstall']),
  agentVersion: z.string().check(
    z.refine((value) => value === LATEST_AGENT || AGENT_VERSION_PATTERN.test(value), {
      message: `must be ${LATEST_AGENT} or an exact agent version like 1.300032.2b361 (${AGENT_VERSION_PATTERN.source})`,
    }),
  ),
  defaultRetentionDays: retention,
  logGroupClass: z.enum(['STANDARD', 'INFREQUENT_ACCESS']),
  logGroupKmsKeyArn: z.optional(z.string().check(z.startsWith('arn:aws'))),
  managedProfileName: z.string().check(z.minLength(1)),
  parameterPrefix: z
    .string()
    .check(z.startsWith('AmazonCloudWatch-', 'must start with AmazonCloudWatch- (what CloudWatchAgentServerPolicy lets an instance read)')),
  configNames: z.pipe(
    z.pipe(
      z.string(),
      z.transform((s) => s.split(',').map((n) => n.trim()).filter(Boolean)),
    ),
    z.array(z.string().check(z.regex(CONFIG_NAME_PATTERN, 'each name must match ' + CONFIG_NAME_PATTERN.source))).check(z.minLength(1)),
  ),
  documentName: z.string().check(z.minLength(3)),
  registrationWindowMinutes: positiveInt(24 * 60),
  commandLeaseMinutes: positiveInt(48 * 60),
  maxCommandAttempts: positiveInt(10),
  maxConcurrency: rate,
  maxErrors: rate,
  // Agent configurations (lib/agent): what a stage lets them do beyond fleetwatch's defaults.
  allowLogsEndpointOverride: flag,
  allowCrossAccountLogs: flag,
  // Change retention of existing log groups fleetwatch did not create (README "Security").
  adoptLogGroups: flag,
  maxLogGroupsPerInstance: positiveInt(10_000),
  maxNewLogGroupsPerRollout: positiveInt(100_000),
  // The organization mode (README "Organization"): unset organizationId is the single-account mode.
  organizationId: z.optional(z.string().check(z.regex(ORGANIZATION_ID_PATTERN, `must be an organization id like o-a1b2c3d4e5 (${ORGANIZATION_ID_PATTERN.source})`))),
  organizationalUnits: commaList(ORGANIZATIONAL_UNIT_PATTERN, 'an organizational unit or root id'),
  memberAccounts: commaList(ACCOUNT_ID_PATTERN, 'a 12-digit account id'),
  // Empty: the stage's own region only.
  memberRegions: commaList(REGION_PATTERN, 'a region name like eu-west-1'),
  memberRoleName: z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name')),
  maxParallelCells: positiveInt(1000),
  // The worker's SQS event source maximum concurrency (osls allows 2-1000): the number of worker
  // environments that share EC2's association rate (lib/apply/association-budget.ts).
  workerMaxConcurrency: z.coerce.number().check(z.int(), z.minimum(2), z.maximum(1000)),
});

export type Settings = z.infer<typeof settingsSchema>;

/** Environment variable for each setting, and its default (undefined: required). */
const ENVIRONMENT: Record<keyof Settings, [string, string | undefined]> = {
  stage: ['FLEETWATCH_STAGE', undefined],
  region: ['AWS_REGION', undefined],
  accountId: ['FLEETWATCH_ACCOUNT_ID', undefined],
  // Unset: defaultSelectorTagKey(stage), filled in by loadSettings.
  selectorTagKey: ['FLEETWATCH_SELECTOR_TAG_KEY', undefined],
  profileMode: ['FLEETWATCH_PROFILE_MODE', 'report'],
  onDeselect: ['FLEETWATCH_ON_DESELECT', 'leave'],
  agentVersion: ['FLEETWATCH_AGENT_VERSION', LATEST_AGENT],
  defaultRetentionDays: ['FLEETWATCH_DEFAULT_RETENTION_DAYS', '30'],
  logGroupClass: ['FLEETWATCH_LOG_GROUP_CLASS', 'STANDARD'],
  logGroupKmsKeyArn: ['FLEETWATCH_LOG_GROUP_KMS_KEY_ARN', undefined],
  managedProfileName: ['FLEETWATCH_MANAGED_PROFILE_NAME', undefined],
  parameterPrefix: ['FLEETWATCH_PARAMETER_PREFIX', undefined],
  configNames: ['FLEETWATCH_CONFIG_NAMES', undefined],
  documentName: ['FLEETWATCH_DOCUMENT_NAME', undefined],
  registrationWindowMinutes: ['FLEETWATCH_REGISTRATION_WINDOW_MINUTES', '45'],
  commandLeaseMinutes: ['FLEETWATCH_COMMAND_LEASE_MINUTES', '60'],
  maxCommandAttempts: ['FLEETWATCH_MAX_COMMAND_ATTEMPTS', '3'],
  maxConcurrency: ['FLEETWATCH_MAX_CONCURRENCY', '10%'],
  maxErrors: ['FLEETWATCH_MAX_ERRORS', '5%'],
  allowLogsEndpointOverride: ['FLEETWATCH_ALLOW_LOGS_ENDPOINT_OVERRIDE', 'false'],
  allowCrossAccountLogs: ['FLEETWATCH_ALLOW_CROSS_ACCOUNT_LOGS', 'false'],
  adoptLogGroups: ['FLEETWATCH_ADOPT_LOG_GROUPS', 'false'],
  maxLogGroupsPerInstance: ['FLEETWATCH_MAX_LOG_GROUPS_PER_INSTANCE', String(DEFAULT_MAX_LOG_GROUPS_PER_INSTANCE)],
  maxNewLogGroupsPerRollout: ['FLEETWATCH_MAX_NEW_LOG_GROUPS_PER_ROLLOUT', String(DEFAULT_MAX_NEW_LOG_GROUPS_PER_ROLLOUT)],
  organizationId: ['FLEETWATCH_ORGANIZATION_ID', undefined],
  organizationalUnits: ['FLEETWATCH_ORGANIZATIONAL_UNITS', ''],
  memberAccounts: ['FLEETWATCH_MEMBER_ACCOUNTS', ''],
  memberRegions: ['FLEETWATCH_MEMBER_REGIONS', ''],
  // Unset: defaultMemberRoleName(stage), filled in by loadSettings.
  memberRoleName: ['FLEETWATCH_MEMBER_ROLE_NAME', undefined],
  maxParallelCells: ['FLEETWATCH_MAX_PARALLEL_CELLS', String(DEFAULT_MAX_PARALLEL_CELLS)],
  workerMaxConcurrency: ['FLEETWATCH_WORKER_MAX_CONCURRENCY', String(DEFAULT_WORKER_MAX_CONCURRENCY)],
};

/**
 * The selector tag key of a stage that sets none: `fleetwatch:<stage>:config`. Stage isolation by
 * default: two stages in one account select disjoint instances with nothing to remember, because
 * the tag itself names the stage (docs/design.md "Stage isolation").
 */
export function defaultSelectorTagKey(stage: string): string {
  return `fleetwatch:${stage}:config`;
}

/** The execution role's name in every member account: the member template creates it under this name. */
export function defaultMemberRoleName(stage: string): string {
  return `fleetwatch-${stage}-member`;
}

/**
 * Problems between settings no single field shows: the organization mode needs exactly one scope
 * (organizational units or an account list), and the single-account mode takes none.
 */
function organizationProblems(settings: Settings): string[] {
  const units = settings.organizationalUnits.length;
  const accounts = settings.memberAccounts.length;
  if (settings.organizationId === undefined) {
    return units + accounts + settings.memberRegions.length > 0
      ? ['FLEETWATCH_ORGANIZATIONAL_UNITS, FLEETWATCH_MEMBER_ACCOUNTS and FLEETWATCH_MEMBER_REGIONS need FLEETWATCH_ORGANIZATION_ID (the organization mode)']
      : [];
  }
  if (units > 0 && accounts > 0) return ['set FLEETWATCH_ORGANIZATIONAL_UNITS or FLEETWATCH_MEMBER_ACCOUNTS, not both: the scope is one or the other'];
  if (units + accounts === 0) return ['FLEETWATCH_ORGANIZATION_ID needs a scope: FLEETWATCH_ORGANIZATIONAL_UNITS or FLEETWATCH_MEMBER_ACCOUNTS'];
  return [];
}

/** The organization this stage covers, or undefined in the single-account mode (the default). */
export interface Organization {
  organizationId: string;
  scope: { organizationalUnits: string[] } | { accounts: string[] };
  /** Never empty: the stage's own region when memberRegions is. */
  regions: string[];
  memberRoleName: string;
  maxParallelCells: number;
}

export function organizationOf(settings: Settings): Organization | undefined {
  if (settings.organizationId === undefined) return undefined;
  return {
    organizationId: settings.organizationId,
    scope: settings.memberAccounts.length > 0 ? { accounts: settings.memberAccounts } : { organizationalUnits: settings.organizationalUnits },
    regions: settings.memberRegions.length > 0 ? settings.memberRegions : [settings.region],
    memberRoleName: settings.memberRoleName,
    maxParallelCells: settings.maxParallelCells,
  };
}

export function settingsEnvironmentName(key: keyof Settings): string {
  return ENVIRONMENT[key][0];
}

/** Parse settings from an environment; throws one ConfigError naming every bad or missing variable. */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const raw: Record<string, string | undefined> = {};
  for (const [key, [name, fallback]] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    raw[key] = value === undefined || value === '' ? fallback : value;
  }
  if (raw.selectorTagKey === undefined && raw.stage !== undefined) raw.selectorTagKey = defaultSelectorTagKey(raw.stage);
  if (raw.memberRoleName === undefined && raw.stage !== undefined) raw.memberRoleName = defaultMemberRoleName(raw.stage);
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) {
    const problems = organizationProblems(parsed.data);
    if (problems.length > 0) throw new ConfigError(problems);
    return parsed.data;
  }
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path[0] as keyof Settings;
    const name = ENVIRONMENT[key]?.[0] ?? String(key);
    const message = issue.code === 'invalid_type' && raw[key] === undefined ? 'is required' : issue.message;
    return `${name} ${message} (got ${JSON.stringify(raw[key])})`;
  });
  throw new ConfigError(problems);
}

/** The Parameter Store name of a configuration: the prefix CloudWatchAgentServerPolicy can read, stage, name. */
export function parameterName(settings: Pick<Settings, 'parameterPrefix'>, configName: string): string {
  return `${settings.parameterPrefix}${configName}`;
}

/** The configuration a parameter name stands for, or undefined when it is not one of this stage's. */
export function configNameOfParameter(settings: Pick<Settings, 'parameterPrefix' | 'configNames'>, name: string): string | undefined {
  if (!name.startsWith(settings.parameterPrefix)) return undefined;
  const configName = name.slice(settings.parameterPrefix.length);
  return settings.configNames.includes(configName) ? configName : undefined;
}

/**
 * The tag that marks a log group as created by (owned by) a stage. fleetwatch changes retention
 * only on groups it owns, unless the stage adopts others (adoptLogGroups); serverless/iam.cjs
 * conditions the retention actions on it.
 */
export const LOG_GROUP_OWNER_TAG = 'fleetwatch:owner';

/** Tags of a log group fleetwatch creates: the service's tags and the stage's ownership. */
export function logGroupTags(settings: Pick<Settings, 'stage'>): Record<string, string> {
  return { ...serviceTags(settings), [LOG_GROUP_OWNER_TAG]: settings.stage };
}

/**
 * The statement a KMS key's policy needs before CloudWatch Logs can encrypt a log group with it
 * (CreateLogGroup with kmsKeyId is refused without it). As AWS documents it in "Encrypt log data in
 * CloudWatch Logs using AWS KMS": the regional logs service principal, scoped by the encryption
 * context to log groups of this account and region. README "Security" shows it.
 */
export function logsKeyPolicyStatement(settings: Pick<Settings, 'region' | 'accountId'>): Record<string, unknown> {
  return {
    Sid: 'AllowCloudWatchLogsOfFleetwatch',
    Effect: 'Allow',
    Principal: { Service: `logs.${settings.region}.amazonaws.com` },
    Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    Resource: '*',
    Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${settings.region}:${settings.accountId}:log-group:*` } },
  };
}

/** Tags put on everything the service creates, so that ownership is explicit. */
export function serviceTags(settings: Pick<Settings, 'stage'>): Record<string, string> {
  return { 'fleetwatch:managed-by': 'fleetwatch', 'fleetwatch:stage': settings.stage };
}

/** Settings for tests, the simulated account and benchmarks. */
export function testSettings(overrides: Partial<Settings> = {}): Settings {
  // Names as serverless.yml derives them from the stage, so that a second stage is one override.
  const stage = overrides.stage ?? 'dev';
  return {
    stage,
    region: 'eu-west-1',
    accountId: '123456789012',
    selectorTagKey: defaultSelectorTagKey(stage),
    profileMode: 'report',
    onDeselect: 'leave',
    agentVersion: LATEST_AGENT,
    defaultRetentionDays: 30,
    logGroupClass: 'STANDARD',
    managedProfileName: `fleetwatch-${stage}-agent`,
    parameterPrefix: `AmazonCloudWatch-fleetwatch-${stage}-`,
    configNames: ['default', 'web', 'windows'],
    documentName: `fleetwatch-${stage}-agent`,
    registrationWindowMinutes: 45,
    commandLeaseMinutes: 60,
    maxCommandAttempts: 3,
    maxConcurrency: '10%',
    maxErrors: '5%',
    allowLogsEndpointOverride: false,
    allowCrossAccountLogs: false,
    adoptLogGroups: false,
    maxLogGroupsPerInstance: DEFAULT_MAX_LOG_GROUPS_PER_INSTANCE,
    maxNewLogGroupsPerRollout: DEFAULT_MAX_NEW_LOG_GROUPS_PER_ROLLOUT,
    organizationalUnits: [],
    memberAccounts: [],
    memberRegions: [],
    memberRoleName: defaultMemberRoleName(stage),
    maxParallelCells: DEFAULT_MAX_PARALLEL_CELLS,
    workerMaxConcurrency: DEFAULT_WORKER_MAX_CONCURRENCY,
    ...overrides,
  };
}
