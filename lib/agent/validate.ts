/**
 * Our own validator for a CloudWatch agent configuration (the JSON stored in Parameter Store).
 *
 * Why not trust the agent: it reports some malformed files as valid (an unknown
 * log_group_class is silently dropped, for one) and it only sees a configuration after it has
 * been rolled out to an instance. Rejecting a configuration here stops a bad rollout before any
 * instance is touched. Key sets and enums follow the agent's JSON schema
 * (amazon-cloudwatch-agent translator/config/schema.json); where we are stricter than the agent,
 * a comment says why.
 *
 * Every problem starts with the JSON path it is about, e.g.
 * `logs.logs_collected.files.collect_list[2].retention_in_days: must be one of ...`;
 * `$` is the document itself.
 */
import { ALLOWED_RETENTION_DAYS } from '../config.js';
import { InvalidAgentConfigError } from '../errors.js';
import type { LogGroupClass, ParameterTier } from '../ports.js';
import * as z from '../schema.js';
import { LOG_GROUP_PLACEHOLDERS, logGroupNameTemplateProblems, unknownPlaceholders } from './placeholders.js';

export interface LogGroupSpec {
  /** The name as written in the configuration; may contain placeholders (see placeholders.ts). */
  name: string;
  /** Undefined when no entry sets retention_in_days: the stage default applies. -1: never expire. */
  retentionInDays?: number;
  /** Undefined when no entry sets log_group_class: the stage default applies. */
  logGroupClass?: LogGroupClass;
  /** JSON path of the first entry naming this group, e.g. logs.logs_collected.files.collect_list[2]. */
  path: string;
  /** The first entry's log_stream_name, when it sets one (else logs.log_stream_name, else {instance_id}). */
  streamName?: string;
}

export interface AgentConfig {
  document: Record<string, unknown>;
  /** What is stored in Parameter Store: minified, because of the parameter size limits. */
  minified: string;
  /** One per distinct log group name template, in the order the configuration names them. */
  logGroups: LogGroupSpec[];
}

export type AgentConfigValidation = { ok: true; config: AgentConfig } | { ok: false; problems: string[] };

/** Parameter Store value limits: Standard 4 KB, Advanced 8 KB. */
export const STANDARD_PARAMETER_MAX_BYTES = 4096;
export const ADVANCED_PARAMETER_MAX_BYTES = 8192;

/** The cheapest Parameter Store tier that holds this (minified) configuration. */
export function parameterTierFor(minified: string): ParameterTier {
  return Buffer.byteLength(minified, 'utf8') > STANDARD_PARAMETER_MAX_BYTES ? 'Advanced' : 'Standard';
}

// Top-level sections in the agent's schema. The schema itself allows other top-level keys
// (additionalProperties: true), but the agent ignores them: an unknown section is almost always a
// typo ("log" for "logs") that would silently collect nothing, so we reject it.
const TOP_LEVEL_SECTIONS = ['agent', 'metrics', 'logs', 'traces', 'opentelemetry'] as const;

// Section key sets from the schema; each of these sections has additionalProperties: false.
// ("agent" allows any key, e.g. run_as_user, and so do we.)
const METRICS_KEYS = [
  'namespace',
  'aggregation_dimensions',
  'append_dimensions',
  'metrics_destinations',
  'metrics_collected',
  'force_flush_interval',
  'credentials',
  'endpoint_override',
  'service.name',
  'deployment.environment',
];
const LOGS_KEYS = [
  'logs_collected',
  'metrics_collected',
  'log_stream_name',
  'force_flush_interval',
  'credentials',
  'endpoint_override',
  'service.name',
  'deployment.environment',
  'concurrency',
];
const LOGS_COLLECTED_KEYS = ['files', 'windows_events', 'journald', 'application_signals'];
const TRACES_KEYS = [
  'traces_collected',
  'concurrency',
  'buffer_size_mb',
  'resource_arn',
  'local_mode',
  'insecure',
  'credentials',
  'proxy_override',
  'endpoint_override',
  'region_override',
  'transit_spans_in_otlp_format',
];
const OPENTELEMETRY_KEYS = ['cluster_name', 'resource_attributes', 'collect'];

// metrics_collected plugins whose schema requires a "measurement" list (basicMetricDefinition).
// Any name the schema does not list is a Windows performance object ("Memory", "LogicalDisk"),
// which uses basicMetricDefinition too.
const NAMED_METRIC_PLUGINS = [
  'collectd', 'cpu', 'disk', 'diskio', 'efa', 'statsd', 'swap', 'mem', 'net', 'netstat',
  'processes', 'procstat', 'ethtool', 'nvidia_smi', 'jmx', 'otlp', 'prometheus',
];
const PLUGINS_WITHOUT_MEASUREMENT = ['collectd', 'statsd', 'procstat', 'ethtool', 'nvidia_smi', 'jmx', 'otlp', 'prometheus'];

const LOG_GROUP_CLASSES: readonly LogGroupClass[] = ['STANDARD', 'INFREQUENT_ACCESS'];

// ---------------------------------------------------------------------------------------------
// collect_list entry schemas. Each is strict: the agent rejects unknown keys in a collect_list
// entry (additionalProperties: false in its schema), and the key lists are the schema's.

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

const retentionInDays = z.int().check(
  z.refine((days) => (ALLOWED_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `must be one of ${ALLOWED_RETENTION_DAYS.join(', ')}`,
  }),
);

// The schema only says "string"; the agent upper-cases the value and, when it is not a class
// CreateLogGroup accepts, logs an info line and creates the group as STANDARD. We reject instead.
const logGroupClass = z.string().check(
  z.refine((value) => (LOG_GROUP_CLASSES as readonly string[]).includes(value.toUpperCase()), {
    message: `must be ${LOG_GROUP_CLASSES.join(' or ')} (any case)`,
  }),
);

const filters = z.array(
  z.strictObject({
    type: z.optional(z.enum(['include', 'exclude'])),
    expression: z.optional(z.string()),
  }),
);

// Names are type-checked here and checked for content (placeholders, characters) afterwards.
const logGroupFields = {
  log_group_name: z.optional(z.string()),
  log_stream_name: z.optional(z.string()),
  log_group_class: z.optional(logGroupClass),
  retention_in_days: z.optional(retentionInDays),
  filters: z.optional(filters),
};

const fileEntry = z.strictObject({
  ...logGroupFields,
  file_path: text(4096),
  multi_line_start_pattern: z.optional(text(4096)),
  timestamp_format: z.optional(text(4096)),
  timezone: z.optional(z.enum(['Local', 'LOCAL', 'UTC'])),
  trim_timestamp: z.optional(z.boolean()),
  encoding: z.optional(text(4096)),
  auto_removal: z.optional(z.boolean()),
  backpressure_mode: z.optional(z.enum(['fd_release'])),
  blacklist: z.optional(text(4096)),
  publish_multi_logs: z.optional(z.boolean()),
  'service.name': z.optional(text(255)),
  'deployment.environment': z.optional(text(259)),
});

const windowsEventEntry = z.strictObject({
  ...logGroupFields,
  event_name: text(255).check(
    z.refine((name) => name !== 'Forwarded Events', {
      message: 'the agent cannot collect "Forwarded Events"',
    }),
  ),
  event_levels: z.optional(z.array(z.enum(['CRITICAL', 'ERROR', 'WARNING', 'INFORMATION', 'VERBOSE'])).check(z.minLength(1))),
  event_ids: z.optional(z.array(z.int().check(z.minimum(0), z.maximum(65535))).check(z.minLength(1))),
  event_format: z.optional(z.enum(['text', 'xml'])),
});

const journaldEntry = z.strictObject({
  ...logGroupFields,
  units: z.optional(z.array(z.string().check(z.maxLength(256))).check(z.minLength(1))),
  priority: z.optional(
    z.enum(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', '0', '1', '2', '3', '4', '5', '6', '7']),
  ),
  matches: z.optional(z.array(z.record(z.string(), z.string())).check(z.minLength(1))),
});

type LogSource = 'files' | 'windows_events' | 'journald';

const ENTRY_SCHEMAS: Record<LogSource, z.ZodMiniType> = {
  files: fileEntry,
  windows_events: windowsEventEntry,
  journald: journaldEntry,
};

// ---------------------------------------------------------------------------------------------

type PathSegment = string | number;

/** logs.logs_collected.files.collect_list[2]; keys that are not identifiers as ["service.name"]. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out || '$';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** One problem per zod issue; an unknown key is reported at its own path. */
function zodProblems(base: readonly PathSegment[], error: z.core.$ZodError): string[] {
  const problems: string[] = [];
  for (const issue of error.issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push(`${jsonPath([...path, key])}: unknown key (the agent rejects unknown keys in a collect_list entry)`);
      }
    } else {
      problems.push(`${jsonPath(path)}: ${issue.message}`);
    }
  }
  return problems;
}

// Uniform wording for the messages zod words itself.
const issueMessages: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? 'is required' : `must be ${issue.expected === 'array' ? 'an array' : `a ${issue.expected}`} (got ${describe(issue.input)})`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(issue.input)})`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const bound = issue.code === 'too_small' ? 'at least' : 'at most';
    const limit = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
    if (issue.origin === 'array') return `must hold ${bound} ${limit} item(s)`;
    if (issue.origin === 'string') return `must be ${bound} ${limit} character(s) long`;
    return `must be ${bound} ${limit}`;
  }
  return undefined;
};

interface Context {
  problems: string[];
  /** Every collect_list entry that names a log group, in document order. */
  groups: { name: string; retentionInDays?: number; logGroupClass?: LogGroupClass; path: string; streamName?: string }[];
}

function checkKeys(section: Record<string, unknown>, allowed: readonly string[], base: readonly PathSegment[], ctx: Context): void {
  for (const key of Object.keys(section)) {
    if (!allowed.includes(key)) {
      ctx.problems.push(`${jsonPath([...base, key])}: unknown key (allowed: ${allowed.join(', ')})`);
    }
  }
}

/** An object section, or undefined after reporting that it is not one. */
function objectAt(value: unknown, path: readonly PathSegment[], ctx: Context): Record<string, unknown> | undefined {
  if (isObject(value)) return value;
  ctx.problems.push(`${jsonPath(path)}: must be an object (got ${describe(value)})`);
  return undefined;
}

/**
 * Stream names: CloudWatch Logs allows 1-512 characters except ':' and '*'. An unknown
 * placeholder would be written verbatim by the agent, so it is almost surely a typo.
 */
function checkStreamName(value: unknown, path: readonly PathSegment[], ctx: Context): void {
  if (typeof value !== 'string') return;
  if (value.length < 1 || value.length > 512) ctx.problems.push(`${jsonPath(path)}: log stream name must be 1-512 characters`);
  if (/[:*]/.test(value)) ctx.problems.push(`${jsonPath(path)}: log stream name may not contain ':' or '*'`);
  for (const token of unknownPlaceholders(value)) {
    ctx.problems.push(`${jsonPath(path)}: unknown placeholder ${token} (known: ${LOG_GROUP_PLACEHOLDERS.join(', ')})`);
  }
}

/**
 * The log group a file entry writes to when it names none: the agent uses the file path up to
 * its last dot (/var/log/nginx/access.log -> /var/log/nginx/access; /var/log/messages as is).
 */
export function defaultLogGroupName(filePath: string): string {
  const dot = filePath.lastIndexOf('.');
  return dot > 0 ? filePath.slice(0, dot) : filePath;
}

/** The log group name template an entry writes to, reporting what is wrong with it. */
function logGroupNameOf(
  source: LogSource,
  entry: Record<string, unknown>,
  entryPath: readonly PathSegment[],
  ctx: Context,
): string | undefined {
  const namePath = [...entryPath, 'log_group_name'];
  if (typeof entry.log_group_name === 'string') {
    for (const problem of logGroupNameTemplateProblems(entry.log_group_name)) ctx.problems.push(`${jsonPath(namePath)}: ${problem}`);
    return entry.log_group_name;
  }
  if (entry.log_group_name !== undefined) return undefined; // wrong type, reported by the schema
  if (source === 'files') {
    if (typeof entry.file_path !== 'string' || entry.file_path === '') return undefined;
    const name = defaultLogGroupName(entry.file_path);
    for (const problem of logGroupNameTemplateProblems(name)) {
      ctx.problems.push(
        `${jsonPath([...entryPath, 'file_path'])}: the default log group name (the path up to its last dot) is not usable: ${problem}; set log_group_name`,
      );
    }
    return name;
  }
  // windows_events: the schema does not require a name, but there is no file path to derive one
  // from, and fleetwatch must know the group to create it with retention. journald: the schema
  // requires it.
  ctx.problems.push(`${jsonPath(namePath)}: is required`);
  return undefined;
}

function checkCollectList(source: LogSource, value: unknown, base: readonly PathSegment[], ctx: Context): void {
  const section = objectAt(value, base, ctx);
  if (!section) return;
  checkKeys(section, ['collect_list'], base, ctx);
  const listPath = [...base, 'collect_list'];
  const list = section.collect_list;
  if (!Array.isArray(list)) {
    ctx.problems.push(`${jsonPath(listPath)}: ${list === undefined ? 'is required' : `must be an array (got ${describe(list)})`}`);
    return;
  }
  if (list.length === 0) ctx.problems.push(`${jsonPath(listPath)}: must hold at least one entry`);

  list.forEach((entry: unknown, index) => {
    const entryPath = [...listPath, index];
    const before = ctx.problems.length;
    if (!objectAt(entry, entryPath, ctx)) return;
    const record = entry as Record<string, unknown>;
    const parsed = ENTRY_SCHEMAS[source].safeParse(record, { error: issueMessages });
    if (!parsed.success) ctx.problems.push(...zodProblems(entryPath, parsed.error));

    if (source === 'windows_events' && !('event_levels' in record || 'event_ids' in record || 'filters' in record)) {
      // The schema's anyOf: an entry with none of these selects no events at all.
      ctx.problems.push(`${jsonPath(entryPath)}: needs event_levels, event_ids or filters (event_levels is the usual one)`);
    }
    checkStreamName(record.log_stream_name, [...entryPath, 'log_stream_name'], ctx);

    const name = logGroupNameOf(source, record, entryPath, ctx);
    if (name === undefined || ctx.problems.length > before) return;
    ctx.groups.push({
      name,
      path: jsonPath(entryPath),
      ...(typeof record.log_stream_name === 'string' && { streamName: record.log_stream_name }),
      ...(typeof record.retention_in_days === 'number' && { retentionInDays: record.retention_in_days }),
      ...(typeof record.log_group_class === 'string' && {
        logGroupClass: record.log_group_class.toUpperCase() as LogGroupClass,
      }),
    });
  });
}

function checkMetrics(value: unknown, ctx: Context): void {
  const metrics = objectAt(value, ['metrics'], ctx);
  if (!metrics) return;
  checkKeys(metrics, METRICS_KEYS, ['metrics'], ctx);
  if (metrics.namespace !== undefined && (typeof metrics.namespace !== 'string' || metrics.namespace.length < 1 || metrics.namespace.length > 255)) {
    ctx.problems.push('metrics.namespace: must be a string of 1-255 characters');
  }
  if (metrics.append_dimensions !== undefined) {
    const dims = objectAt(metrics.append_dimensions, ['metrics', 'append_dimensions'], ctx);
    if (dims) {
      // CloudWatch allows 30 dimensions per metric.
      if (Object.keys(dims).length > 30) ctx.problems.push('metrics.append_dimensions: at most 30 dimensions');
      for (const [key, dim] of Object.entries(dims)) {
        if (typeof dim !== 'string' || dim.length === 0) {
          ctx.problems.push(`${jsonPath(['metrics', 'append_dimensions', key])}: must be a non-empty string`);
        }
      }
    }
  }
  if (metrics.metrics_collected === undefined) {
    ctx.problems.push('metrics.metrics_collected: is required');
    return;
  }
  const collected = objectAt(metrics.metrics_collected, ['metrics', 'metrics_collected'], ctx);
  if (!collected) return;
  if (Object.keys(collected).length === 0) ctx.problems.push('metrics.metrics_collected: must name at least one plugin');
  for (const [plugin, body] of Object.entries(collected)) {
    const path = ['metrics', 'metrics_collected', plugin];
    if (plugin === 'procstat') continue; // an array of process selectors, not an object
    const config = objectAt(body, path, ctx);
    if (!config || PLUGINS_WITHOUT_MEASUREMENT.includes(plugin)) continue;
    const measurement = config.measurement;
    if (!Array.isArray(measurement) || measurement.length === 0) {
      const what = NAMED_METRIC_PLUGINS.includes(plugin) ? 'plugin' : 'Windows performance object';
      ctx.problems.push(`${jsonPath([...path, 'measurement'])}: must list at least one metric of this ${what}`);
    }
  }
}

function checkLogs(value: unknown, ctx: Context): void {
  const logs = objectAt(value, ['logs'], ctx);
  if (!logs) return;
  checkKeys(logs, LOGS_KEYS, ['logs'], ctx);
  checkStreamName(logs.log_stream_name, ['logs', 'log_stream_name'], ctx);
  if (logs.logs_collected === undefined && logs.metrics_collected === undefined) {
    ctx.problems.push('logs: needs logs_collected or metrics_collected');
  }
  if (logs.logs_collected === undefined) return;
  const collected = objectAt(logs.logs_collected, ['logs', 'logs_collected'], ctx);
  if (!collected) return;
  checkKeys(collected, LOGS_COLLECTED_KEYS, ['logs', 'logs_collected'], ctx);
  if (Object.keys(collected).length === 0) ctx.problems.push('logs.logs_collected: must name at least one source');
  for (const source of ['files', 'windows_events', 'journald'] as const) {
    if (collected[source] !== undefined) checkCollectList(source, collected[source], ['logs', 'logs_collected', source], ctx);
  }
  // Log groups written by logs.metrics_collected (EMF, Container Insights, Prometheus) and
  // application_signals are named by the agent itself; fleetwatch manages those of the three
  // collect lists only (DESIGN.md, desired state 2).
}

function checkPlainSection(name: 'traces' | 'opentelemetry', value: unknown, ctx: Context): void {
  const section = objectAt(value, [name], ctx);
  if (!section) return;
  checkKeys(section, name === 'traces' ? TRACES_KEYS : OPENTELEMETRY_KEYS, [name], ctx);
  if (name === 'traces' && section.traces_collected === undefined) ctx.problems.push('traces.traces_collected: is required');
}

/**
 * One spec per distinct name, and a problem for two entries that give one group different
 * retention or class. The agent fails translation ("Different retention_in_days values can't be
 * set for the same log group") and compares names lower-cased, so we do too. The agent skips
 * -1 in that comparison (to it, -1 means "leave retention alone"); to fleetwatch -1 means "never
 * expire", a real setting, so 7 and -1 for one group conflict here.
 */
function mergeLogGroups(ctx: Context): LogGroupSpec[] {
  const specs = new Map<string, LogGroupSpec>();
  const firstSetting = new Map<string, { retention?: { value: number; path: string }; cls?: { value: LogGroupClass; path: string } }>();
  for (const group of ctx.groups) {
    const key = group.name.toLowerCase();
    const seen = firstSetting.get(key) ?? {};
    if (group.retentionInDays !== undefined) {
      if (seen.retention && seen.retention.value !== group.retentionInDays) {
        ctx.problems.push(
          `${group.path}.retention_in_days: log group ${JSON.stringify(group.name)} gets retention ${group.retentionInDays} here but ${seen.retention.value} at ${seen.retention.path} (the agent stops on this)`,
        );
      }
      seen.retention ??= { value: group.retentionInDays, path: group.path };
    }
    if (group.logGroupClass !== undefined) {
      if (seen.cls && seen.cls.value !== group.logGroupClass) {
        ctx.problems.push(
          `${group.path}.log_group_class: log group ${JSON.stringify(group.name)} gets class ${group.logGroupClass} here but ${seen.cls.value} at ${seen.cls.path}`,
        );
      }
      seen.cls ??= { value: group.logGroupClass, path: group.path };
    }
    firstSetting.set(key, seen);

    const spec = specs.get(group.name) ?? { name: group.name, path: group.path, ...(group.streamName !== undefined && { streamName: group.streamName }) };
    spec.retentionInDays ??= group.retentionInDays;
    spec.logGroupClass ??= group.logGroupClass;
    specs.set(group.name, spec);
  }
  // Specs carry only explicit settings; a field left undefined gets the stage default later.
  return [...specs.values()].map((spec) => ({
    name: spec.name,
    path: spec.path,
    ...(spec.streamName !== undefined && { streamName: spec.streamName }),
    ...(spec.retentionInDays !== undefined && { retentionInDays: spec.retentionInDays }),
    ...(spec.logGroupClass !== undefined && { logGroupClass: spec.logGroupClass }),
  }));
}

export function validateAgentConfig(text: string): AgentConfigValidation {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`$: not valid JSON (${error instanceof Error ? error.message : String(error)})`] };
  }
  if (!isObject(document)) return { ok: false, problems: [`$: must be a JSON object (got ${describe(document)})`] };

  const ctx: Context = { problems: [], groups: [] };
  for (const key of Object.keys(document)) {
    if (!(TOP_LEVEL_SECTIONS as readonly string[]).includes(key)) {
      ctx.problems.push(`${jsonPath([key])}: unknown top-level section (known: ${TOP_LEVEL_SECTIONS.join(', ')})`);
    }
  }
  if (document.agent !== undefined) objectAt(document.agent, ['agent'], ctx);
  if (document.metrics !== undefined) checkMetrics(document.metrics, ctx);
  if (document.logs !== undefined) checkLogs(document.logs, ctx);
  if (document.traces !== undefined) checkPlainSection('traces', document.traces, ctx);
  if (document.opentelemetry !== undefined) checkPlainSection('opentelemetry', document.opentelemetry, ctx);

  const logGroups = mergeLogGroups(ctx);

  const minified = JSON.stringify(document);
  const bytes = Buffer.byteLength(minified, 'utf8');
  if (bytes > ADVANCED_PARAMETER_MAX_BYTES) {
    ctx.problems.push(
      `$: minified configuration is ${bytes} bytes; an Advanced parameter holds at most ${ADVANCED_PARAMETER_MAX_BYTES}`,
    );
  }

  if (ctx.problems.length > 0) return { ok: false, problems: ctx.problems };
  return { ok: true, config: { document, minified, logGroups } };
}

/** validateAgentConfig for callers that want the config or an exception. */
export function parseAgentConfig(configName: string, text: string): AgentConfig {
  const result = validateAgentConfig(text);
  if (!result.ok) throw new InvalidAgentConfigError(configName, result.problems);
  return result.config;
}
