/**
 * Placeholders in the agent's log group (and stream) names, and their resolution for one
 * instance, so that fleetwatch can create a log group ahead of the agent with the right retention,
 * class, KMS key and tags. The agent itself resolves the same placeholders on the instance
 * (translator/translate/util/placeholderUtil.go in amazon-cloudwatch-agent); what we resolve here
 * must give the exact name the agent will write to, or we would pre-create a group nobody writes
 * to while the agent auto-creates the real one with no retention. So when a value cannot be known
 * from outside the instance we say so (ok: false) instead of guessing.
 */

/** Every placeholder the agent substitutes in log group and stream names. */
export const LOG_GROUP_PLACEHOLDERS = [
  '{instance_id}',
  '{hostname}',
  '{local_hostname}',
  '{ip_address}',
  '{aws_region}',
  '{account_id}',
  '{date}',
] as const;

export type LogGroupPlaceholder = (typeof LOG_GROUP_PLACEHOLDERS)[number];

/** CloudWatch Logs' own limits on a log group name (CreateLogGroup: 1-512 chars of this set). */
export const LOG_GROUP_NAME_MAX_LENGTH = 512;
const LOG_GROUP_NAME_CHARS = /^[.\-_/#A-Za-z0-9]+$/;

const PLACEHOLDER_TOKEN = /\{[^{}]*\}/g;
/** ${NAME}: an environment variable, which the agent leaves in place for the instance to fill. */
const ENVIRONMENT_TOKEN = /\$\{[^{}]*\}/g;

/**
 * Placeholders whose value only the instance knows: {date} is the day the agent translates its
 * configuration (placeholderUtil.go formats time.Now()), so it changes with every restart on a
 * new day; {local_hostname} is the OS hostname (see resolveLogGroupName).
 */
export const INSTANCE_ONLY_PLACEHOLDERS: readonly LogGroupPlaceholder[] = ['{date}', '{local_hostname}'];

export interface InstanceFacts {
  instanceId: string;
  privateIpAddress?: string;
  /** e.g. ip-10-0-0-12.eu-west-1.compute.internal (EC2 DescribeInstances PrivateDnsName). */
  privateDnsName?: string;
  region: string;
  accountId: string;
}

export type ResolvedName = { ok: true; name: string } | { ok: false; reason: string };

export function hasPlaceholders(template: string): boolean {
  return LOG_GROUP_PLACEHOLDERS.some((placeholder) => template.includes(placeholder));
}

/** `{...}` tokens in a template that the agent does not know (it would leave them verbatim); `${NAME}` is not one. */
export function unknownPlaceholders(template: string): string[] {
  const known: readonly string[] = LOG_GROUP_PLACEHOLDERS;
  return [...new Set(template.replace(ENVIRONMENT_TOKEN, '').match(PLACEHOLDER_TOKEN) ?? [])].filter((token) => !known.includes(token));
}

/**
 * Problems with a log group name template, without the JSON path (the caller adds it).
 * Placeholders are checked by name; the characters around them by CloudWatch Logs' rules.
 * The length is checked on the template: a resolved name is checked again by resolveLogGroupName.
 */
export function logGroupNameTemplateProblems(template: string): string[] {
  const problems: string[] = [];
  if (template.length === 0 || template.length > LOG_GROUP_NAME_MAX_LENGTH) {
    problems.push(`log group name must be 1-${LOG_GROUP_NAME_MAX_LENGTH} characters (got ${template.length})`);
  }
  for (const token of new Set(template.match(ENVIRONMENT_TOKEN) ?? [])) {
    problems.push(`environment variable ${token} in log group name ${JSON.stringify(template)}: only the instance knows its value, so fleetwatch cannot create the group ahead`);
  }
  const withoutEnvironment = template.replace(ENVIRONMENT_TOKEN, '');
  const unknown = unknownPlaceholders(withoutEnvironment);
  for (const token of unknown) {
    problems.push(`unknown placeholder ${token} in log group name ${JSON.stringify(template)} (known: ${LOG_GROUP_PLACEHOLDERS.join(', ')})`);
  }
  for (const token of INSTANCE_ONLY_PLACEHOLDERS.filter((placeholder) => template.includes(placeholder))) {
    problems.push(`${token} in log group name ${JSON.stringify(template)}: only the instance knows its value, so fleetwatch cannot create the group ahead`);
  }
  const literal = withoutEnvironment.replace(PLACEHOLDER_TOKEN, (token) => (unknown.includes(token) ? '' : 'x'));
  if (literal.length > 0 && !LOG_GROUP_NAME_CHARS.test(literal)) {
    problems.push(`log group name ${JSON.stringify(template)} may only contain letters, digits and . - _ / # besides placeholders`);
  }
  return problems;
}

/**
 * The log group name the agent on this instance will write to, or why it cannot be known ahead.
 */
export function resolveLogGroupName(template: string, facts: InstanceFacts): ResolvedName {
  const unknown = unknownPlaceholders(template);
  if (unknown.length > 0) return { ok: false, reason: `unknown placeholder ${unknown.join(', ')}` };

  // {date} is replaced with the current day (2006-01-02 layout) each time the agent resolves the
  // name, so the agent starts a new group every day: none of them can be created ahead.
  if (template.includes('{date}')) {
    return { ok: false, reason: '{date} names a new log group every day; the agent creates each one itself' };
  }
  // {local_hostname} is the OS hostname (Go's os.Hostname() in the agent), "regardless of ec2
  // metadata". It can be changed inside the instance and differs by distribution with no change
  // (short ip-10-0-0-12 on Ubuntu, the full DNS name on Amazon Linux, EC2AMAZ-XXXXXXX on Windows):
  // it cannot be seen from outside, so we do not guess.
  if (template.includes('{local_hostname}')) {
    return { ok: false, reason: '{local_hostname} is the OS hostname, which cannot be seen from outside the instance' };
  }

  const values: Partial<Record<LogGroupPlaceholder, string | undefined>> = {
    '{instance_id}': facts.instanceId,
    // The agent takes {hostname} from instance metadata "hostname": the private IPv4 DNS name,
    // the same value as DescribeInstances' PrivateDnsName (ip-10-0-0-12.eu-west-1.compute.internal,
    // or i-0abc....compute.internal with resource-based naming). A custom OS hostname does not
    // change it.
    '{hostname}': facts.privateDnsName || undefined,
    // Instance metadata local-ipv4: the primary private IPv4 address.
    '{ip_address}': facts.privateIpAddress || undefined,
    '{aws_region}': facts.region,
    '{account_id}': facts.accountId,
  };

  let name = template;
  for (const [placeholder, value] of Object.entries(values)) {
    if (!name.includes(placeholder)) continue;
    if (value === undefined) {
      return { ok: false, reason: `${placeholder} is not known for instance ${facts.instanceId}` };
    }
    name = name.split(placeholder).join(value);
  }

  if (name.length > LOG_GROUP_NAME_MAX_LENGTH) {
    return { ok: false, reason: `resolved name is ${name.length} characters; CloudWatch Logs allows ${LOG_GROUP_NAME_MAX_LENGTH}` };
  }
  if (!LOG_GROUP_NAME_CHARS.test(name)) {
    return { ok: false, reason: `resolved name ${JSON.stringify(name)} has characters CloudWatch Logs does not allow` };
  }
  return { ok: true, name };
}
