/**
 * The log groups a configuration makes the agent write to, derived exactly as the agent derives
 * them, so that fleetwatch creates the very groups the agent writes to (with retention, class,
 * KMS key and tags) and no others. Sources followed, in aws/amazon-cloudwatch-agent:
 * - plugins/inputs/logfile/fileconfig.go (FileConfig.init, logGroupName): with no
 *   log_group_name and no publish_multi_logs, the name is file_path less Go's filepath.Ext,
 *   the extension of the last path element only;
 * - plugins/inputs/logfile/logfile.go (FindLogSrc, generateLogGroupName): with
 *   publish_multi_logs and no log_group_name, one group per file the glob matches, named after
 *   that file; with a log_group_name, that one group (the streams vary by file);
 * - translator/translate/logs/logs_collected/files/collect_list/ruleLogGroupName.go and
 *   translator/translate/util/placeholderUtil.go: placeholders in log_group_name, {date} the
 *   day the configuration is translated;
 * - translator/translate/logs/logs_collected/files/collect_list/ruleRetentionInDays.go and
 *   translator/translate/logs/util/validate_fields.go: retention_in_days absent means -1, and
 *   -1 (or anything below 1) means the agent leaves retention alone; two different retentions,
 *   or two different classes, for one group (names compared lower-cased) fail translation;
 * - translator/util (DefaultLogGroupClassCase): log_group_class is upper-cased; a value other
 *   than STANDARD or INFREQUENT_ACCESS is dropped (the agent logs it and sets no class).
 */
import type { LogGroupClass } from '../ports.js';
import { isObject, jsonPath, type PathSegment } from './paths.js';
import { LOG_GROUP_PLACEHOLDERS, logGroupNameTemplateProblems, unknownPlaceholders } from './placeholders.js';

export interface LogGroupSpec {
  /** The name as written in the configuration; may contain placeholders (see placeholders.ts). */
  name: string;
  /** Undefined when no entry sets a retention of 1 day or more: the stage default applies. */
  retentionInDays?: number;
  /** Undefined when no entry sets log_group_class: the stage default applies. */
  logGroupClass?: LogGroupClass;
  /** JSON path of the first entry naming this group, e.g. logs.logs_collected.files.collect_list[2]. */
  path: string;
  /** The first entry's log_stream_name, when it sets one (else logs.log_stream_name, else {instance_id}). */
  streamName?: string;
}

export const LOG_GROUP_CLASSES: readonly LogGroupClass[] = ['STANDARD', 'INFREQUENT_ACCESS'];

const SOURCES = ['files', 'windows_events', 'journald'] as const;
type LogSource = (typeof SOURCES)[number];

interface Entry {
  name: string;
  path: string;
  retentionInDays?: number;
  logGroupClass?: LogGroupClass;
  streamName?: string;
}

/**
 * Go's filepath.Ext: the suffix from the last dot of the last path element, or "" when that
 * element has none. "/var/log/my.app/messages" has no extension (the agent's group is the whole
 * path); "/var/log/app.log.1" has ".1".
 */
export function goFilepathExt(path: string): string {
  for (let i = path.length - 1; i >= 0 && path[i] !== '/'; i--) {
    if (path[i] === '.') return path.slice(i);
  }
  return '';
}

/** The group a file entry without log_group_name (and without publish_multi_logs) writes to. */
export function defaultLogGroupName(filePath: string): string {
  return filePath.slice(0, filePath.length - goFilepathExt(filePath).length);
}

/**
 * The log groups of the three collect lists of a schema-valid document, one spec per distinct
 * name, and the problems that stop fleetwatch from knowing or creating them.
 */
export function deriveLogGroups(document: Record<string, unknown>): { logGroups: LogGroupSpec[]; problems: string[] } {
  const problems: string[] = [];
  const entries: Entry[] = [];
  const logs = isObject(document.logs) ? document.logs : {};
  if (typeof logs.log_stream_name === 'string') problems.push(...streamNameProblems(logs.log_stream_name, ['logs', 'log_stream_name']));
  const collected = isObject(logs.logs_collected) ? logs.logs_collected : {};
  for (const source of SOURCES) {
    const section = collected[source];
    const list = isObject(section) && Array.isArray(section.collect_list) ? section.collect_list : [];
    list.forEach((entry: unknown, index) => {
      if (!isObject(entry)) return;
      const entryPath = ['logs', 'logs_collected', source, 'collect_list', index];
      if (typeof entry.log_stream_name === 'string') problems.push(...streamNameProblems(entry.log_stream_name, [...entryPath, 'log_stream_name']));
      const named = logGroupNameOf(source, entry, entryPath);
      if ('problem' in named) {
        problems.push(named.problem);
        return;
      }
      problems.push(...named.nameProblems);
      entries.push({
        name: named.name,
        path: jsonPath(entryPath),
        ...(typeof entry.log_stream_name === 'string' && { streamName: entry.log_stream_name }),
        // Below 1 (-1, the agent's default) the agent sets no retention: the stage default applies.
        ...(typeof entry.retention_in_days === 'number' && entry.retention_in_days >= 1 && { retentionInDays: entry.retention_in_days }),
        ...(typeof entry.log_group_class === 'string' && { logGroupClass: entry.log_group_class.toUpperCase() as LogGroupClass }),
      });
    });
  }
  return merge(entries, problems);
}

type Named = { name: string; nameProblems: string[] } | { problem: string };

function logGroupNameOf(source: LogSource, entry: Record<string, unknown>, entryPath: PathSegment[]): Named {
  const namePath = jsonPath([...entryPath, 'log_group_name']);
  if (typeof entry.log_group_name === 'string') {
    return { name: entry.log_group_name, nameProblems: logGroupNameTemplateProblems(entry.log_group_name).map((problem) => `${namePath}: ${problem}`) };
  }
  if (source === 'files') {
    if (entry.publish_multi_logs === true) {
      return {
        problem: `${namePath}: is required with publish_multi_logs: the agent makes one log group per file the pattern matches, named after the file, which cannot be known ahead`,
      };
    }
    const name = defaultLogGroupName(String(entry.file_path));
    const problems = logGroupNameTemplateProblems(name);
    return {
      name,
      nameProblems: problems.map(
        (problem) =>
          `${jsonPath([...entryPath, 'file_path'])}: the default log group name ${JSON.stringify(name)} (the path less its file extension) is not usable: ${problem}; set log_group_name`,
      ),
    };
  }
  // windows_events: fleetwatch must know the group to create it with retention, class and KMS key.
  // (journald entries always have one: the agent's schema requires it.)
  return { problem: `${namePath}: is required (fleetwatch creates every log group ahead of the agent, so it must be named)` };
}

/**
 * Stream names: CloudWatch Logs allows 1-512 characters except ':' and '*'. An unknown
 * {placeholder} would be written verbatim by the agent, so it is almost surely a typo; ${NAME}
 * is an environment variable the agent leaves for the instance's environment to fill.
 */
function streamNameProblems(value: string, path: readonly PathSegment[]): string[] {
  const problems: string[] = [];
  if (/[:*]/.test(value)) problems.push(`${jsonPath(path)}: log stream name may not contain ':' or '*'`);
  for (const token of unknownPlaceholders(value)) {
    problems.push(`${jsonPath(path)}: unknown placeholder ${token} (known: ${LOG_GROUP_PLACEHOLDERS.join(', ')})`);
  }
  return problems;
}

/**
 * One spec per distinct name. Two entries that give one group different retentions or classes:
 * the agent fails translation when they are in one collect list; fleetwatch creates the group
 * once, so it refuses them across lists too.
 */
function merge(entries: Entry[], problems: string[]): { logGroups: LogGroupSpec[]; problems: string[] } {
  const specs = new Map<string, LogGroupSpec>();
  const first = new Map<string, { retention?: Entry; cls?: Entry }>();
  for (const entry of entries) {
    const key = entry.name.toLowerCase();
    const seen = first.get(key) ?? {};
    if (entry.retentionInDays !== undefined) {
      if (seen.retention && seen.retention.retentionInDays !== entry.retentionInDays) {
        problems.push(
          `${entry.path}.retention_in_days: log group ${JSON.stringify(entry.name)} gets retention ${entry.retentionInDays} here but ${seen.retention.retentionInDays} at ${seen.retention.path} (the agent stops on this)`,
        );
      }
      seen.retention ??= entry;
    }
    if (entry.logGroupClass !== undefined && LOG_GROUP_CLASSES.includes(entry.logGroupClass)) {
      if (seen.cls && seen.cls.logGroupClass !== entry.logGroupClass) {
        problems.push(
          `${entry.path}.log_group_class: log group ${JSON.stringify(entry.name)} gets class ${entry.logGroupClass} here but ${seen.cls.logGroupClass} at ${seen.cls.path} (the agent stops on this)`,
        );
      }
      seen.cls ??= entry;
    }
    first.set(key, seen);
    const spec = specs.get(entry.name) ?? { name: entry.name, path: entry.path, ...(entry.streamName !== undefined && { streamName: entry.streamName }) };
    spec.retentionInDays ??= entry.retentionInDays;
    spec.logGroupClass ??= entry.logGroupClass;
    specs.set(entry.name, spec);
  }
  // Specs carry only explicit settings; a field left out gets the stage default later.
  const logGroups = [...specs.values()].map((spec) => ({
    name: spec.name,
    path: spec.path,
    ...(spec.streamName !== undefined && { streamName: spec.streamName }),
    ...(spec.retentionInDays !== undefined && { retentionInDays: spec.retentionInDays }),
    ...(spec.logGroupClass !== undefined && { logGroupClass: spec.logGroupClass }),
  }));
  return { logGroups, problems };
}
