/**
 * Observed state, read through the ports with as few calls as the pages allow: one paginated
 * describe per kind of thing for the whole fleet, never one call per instance. The planner then
 * works on plain data.
 */
import { resolveLogGroupName, telemetrySignals, validateAgentConfig } from '../agent/index.js';
import { parameterName, type Settings } from '../config.js';
import { desiredAgent, type ConfigSet, type ConfigurationVersion, type Selection, type UnusableConfiguration } from '../planning/desired.js';
import { mapWithConcurrency } from '../support/concurrency.js';
import { REPORTING_GRACE_MS, REPORTING_WINDOW_MS } from '../model/timing.js';
import type { InstanceScope, ObservedInstance } from '../model/observed.js';
import { AGENT_ROLLOUT, type Instance, type InstanceRecord, type LogGroup, type Ports, type ProfileAssociation, type ProfileRole } from '../ports.js';

/**
 * Reads every configuration parameter of the stage and decides which version of each stands:
 * the current one, unless its rollout was rejected by the validator or rolled back, in which case
 * the last good version stands (read with GetParameter's "name:version" selector) and the
 * instances keep it.
 */
export async function observeConfigSet(ports: Pick<Ports, 'ssm' | 'rollouts'>, settings: Settings): Promise<ConfigSet> {
  const names = new Map(settings.configNames.map((configName) => [parameterName(settings, configName), configName]));
  const [parameters, rollouts] = await Promise.all([
    ports.ssm.getParameters([...names.keys()]),
    ports.rollouts.getMany([...settings.configNames, AGENT_ROLLOUT]),
  ]);
  const rolloutOf = new Map(rollouts.map((rollout) => [rollout.configName, rollout]));
  const usable = new Map<string, ConfigurationVersion>();
  const unusable = new Map<string, UnusableConfiguration>();

  for (const parameter of parameters) {
    const configName = names.get(parameter.name);
    if (!configName) continue;
    const rollout = rolloutOf.get(configName);
    const result = validateAgentConfig(parameter.value, settings);
    const blocked =
      rollout?.version === parameter.version && (rollout.status === 'rejected' || rollout.status === 'rolled-back')
        ? `v${parameter.version} was ${rollout.status}${rollout.reason ? `: ${rollout.reason}` : ''}`
        : !result.ok
          ? `v${parameter.version} is invalid: ${result.problems.join('; ')}`
          : undefined;
    if (result.ok && !blocked) {
      usable.set(configName, {
        configName,
        parameterName: parameter.name,
        version: parameter.version,
        config: result.config,
        ...(rollout?.status === 'in-progress' && rollout.version === parameter.version && { rolloutInProgress: true }),
        ...(rollout?.status === 'completed' && rollout.version === parameter.version && { rolledOut: true }),
      });
      continue;
    }
    const fallback = rollout?.goodVersion ?? (rollout?.status === 'completed' ? rollout.version : undefined);
    const good = typeof fallback === 'number' && fallback !== parameter.version ? await ports.ssm.getParameterVersion(parameter.name, fallback) : undefined;
    const goodResult = good ? validateAgentConfig(good.value, settings) : undefined;
    if (good && goodResult?.ok) {
      usable.set(configName, {
        configName,
        parameterName: parameter.name,
        version: good.version,
        config: goodResult.config,
        heldBack: { version: parameter.version, why: blocked! },
        rolledOut: true,
      });
    } else {
      unusable.set(configName, {
        configName,
        parameterName: parameter.name,
        version: parameter.version,
        problems: [blocked ?? 'invalid', ...(fallback === undefined ? ['no earlier version rolled out to fall back to'] : [])],
      });
    }
  }
  for (const [name, configName] of names) {
    if (!usable.has(configName) && !unusable.has(configName)) {
      unusable.set(configName, { configName, parameterName: name, problems: [`parameter ${name} does not exist`] });
    }
  }
  return { usable, unusable, agent: desiredAgent(settings, rolloutOf.get(AGENT_ROLLOUT)) };
}

/** The instances in scope with their profile, SSM registration and state record. */
/**
 * The instances (not terminated) whose selector tag names the configuration: what a deleted
 * configuration's report lists. EC2 alone answers it, so the parameter-change function needs
 * no SSM or IAM reads (serverless/iam.cjs grants it none).
 */
export async function instancesSelecting(ports: Pick<Ports, 'ec2'>, settings: Pick<Settings, 'selectorTagKey'>, configName: string): Promise<Instance[]> {
  const described = await ports.ec2.describeInstancesByTagKey(settings.selectorTagKey);
  return described.filter((instance) => instance.state !== 'terminated' && instance.tags[settings.selectorTagKey] === configName);
}

export async function observeInstances(
  ports: Pick<Ports, 'ec2' | 'iam' | 'ssm' | 'state'>,
  settings: Settings,
  scope: InstanceScope = {},
): Promise<ObservedInstance[]> {
  const described = scope.instanceIds
    ? await ports.ec2.describeInstances(scope.instanceIds)
    : await ports.ec2.describeInstancesByTagKey(settings.selectorTagKey);
  // Gone instances are worked out among the asked ids against what EC2 returned for them, before
  // any configuration filter: an instance that is running but selects another configuration is
  // out of scope, not gone (taking it for gone closed the record of a running instance).
  const gone = scope.instanceIds ? goneInstances(scope.instanceIds, described) : [];
  const selects = (instance: Instance) => scope.configName === undefined || instance.tags[settings.selectorTagKey] === scope.configName;
  const instances = [...described.filter(selects), ...gone];
  if (instances.length === 0) return [];
  const ids = instances.map((instance) => instance.instanceId);
  const running = instances.filter((instance) => instance.state === 'running').map((instance) => instance.instanceId);

  // A scope of ids (an event, a fan-out batch) reads its own items and filtered pages; the whole
  // fleet reads whole tables in pages.
  const byIds = scope.instanceIds !== undefined;
  const [associations, managed, records] = await Promise.all([
    running.length ? ports.ec2.describeProfileAssociations(running) : Promise.resolve([]),
    running.length ? ports.ssm.describeManagedInstances(byIds ? running : undefined) : Promise.resolve([]),
    byIds ? ports.state.getMany(ids) : ports.state.list(),
  ]);

  const associationById = new Map(associations.map((association) => [association.instanceId, association]));
  const profiles = await observeProfiles(ports, associations);
  const managedById = new Map(managed.map((info) => [info.instanceId, info]));
  const recordById = new Map(records.map((record) => [record.instanceId, record]));
  // A gone instance has no tags left: it is in a configuration's scope when its record says so.
  const goneIds = new Set(gone.map((instance) => instance.instanceId));
  const inScope = (instance: Instance) =>
    !goneIds.has(instance.instanceId) || scope.configName === undefined || recordById.get(instance.instanceId)?.configName === scope.configName;

  return instances.filter(inScope).map((instance) => {
    const association = associationById.get(instance.instanceId);
    const profile = association ? profiles.get(profileNameOf(association.profileArn)) : undefined;
    return {
      instance,
      ...(association && { association }),
      ...(profile && { profile }),
      ...(managedById.has(instance.instanceId) && { managed: managedById.get(instance.instanceId) }),
      ...(recordById.has(instance.instanceId) && { record: recordById.get(instance.instanceId) }),
    };
  });
}

/**
 * Asked-for ids that DescribeInstances no longer returns: EC2 keeps a terminated instance visible
 * for about an hour, then forgets it. They stand as terminated so that their records get closed.
 */
function goneInstances(asked: string[], found: Instance[]): Instance[] {
  const seen = new Set(found.map((instance) => instance.instanceId));
  return [...new Set(asked)]
    .filter((id) => !seen.has(id))
    .map((instanceId) => ({ instanceId, state: 'terminated', tags: {}, platform: 'linux' }));
}

/** One IAM read per distinct profile: a fleet mostly shares a handful. */
async function observeProfiles(
  ports: Pick<Ports, 'iam'>,
  associations: ProfileAssociation[],
): Promise<Map<string, ProfileRole>> {
  const names = [...new Set(associations.map((association) => profileNameOf(association.profileArn)))];
  const roles = await mapWithConcurrency(names, 5, (name) => ports.iam.getProfileRole(name));
  const byName = new Map<string, ProfileRole>();
  roles.forEach((role, index) => {
    if (role) byName.set(names[index]!, role);
  });
  return byName;
}

/** arn:aws:iam::123456789012:instance-profile/some/path/name → name (IAM names exclude "/"). */
export function profileNameOf(profileArn: string): string {
  return profileArn.slice(profileArn.lastIndexOf('/') + 1);
}

/** ListTagsForResource calls at once while observing log groups. */
const TAG_READ_CONCURRENCY = 5;

/**
 * The existing log groups among `names`, with their tags. Describes by the shortest set of literal prefixes so that
 * per-instance names (/fleetwatch/web/{instance_id}) cost one paginated describe, not one per
 * instance: DescribeLogGroups is limited to 5 TPS per account and region.
 */
export async function observeLogGroups(
  ports: Pick<Ports, 'logs' | 'clock' | 'knownLogGroups'>,
  names: Iterable<string>,
  templates: Iterable<string> = [],
  options: { trustKnown?: boolean } = {},
): Promise<Map<string, LogGroup>> {
  const now = ports.clock.now();
  const found = new Map<string, LogGroup>();
  const wanted = new Set<string>();
  for (const name of names) {
    const known = options.trustKnown ? ports.knownLogGroups?.get(name, now) : undefined;
    if (known) found.set(name, known);
    else wanted.add(name);
  }
  if (wanted.size === 0) return found;
  const prefixes = coveringPrefixes([...templates].map(literalPrefix).filter((prefix) => [...wanted].some((name) => name.startsWith(prefix))).concat([...wanted]));
  const described: LogGroup[] = [];
  for (const prefix of prefixes) {
    for (const group of await ports.logs.describeLogGroups(prefix)) if (wanted.has(group.name)) described.push(group);
  }
  // Ownership is in the tags, which DescribeLogGroups does not return: one ListTagsForResource per
  // existing group the configurations name (the planner changes only groups the stage owns).
  const tagged = await mapWithConcurrency(described, TAG_READ_CONCURRENCY, async (group) =>
    group.arn === undefined || group.tags !== undefined ? group : { ...group, tags: await ports.logs.listTags(group.arn) },
  );
  for (const group of tagged) {
    found.set(group.name, group);
    ports.knownLogGroups?.remember(group, now);
  }
  return found;
}

/**
 * The existing log groups that the configurations of the selected, running instances name: each
 * resolved name, with the templates that hold a placeholder, whose literal prefixes let one
 * describe cover every per-instance name.
 */
export async function observeSelectedLogGroups(
  ports: Pick<Ports, 'logs' | 'clock' | 'knownLogGroups'>,
  planned: readonly { instance: Instance; selection: Selection }[],
  options: { trustKnown?: boolean } = {},
): Promise<Map<string, LogGroup>> {
  const names = new Set<string>();
  const templates = new Set<string>();
  for (const { instance, selection } of planned) {
    if (selection.kind !== 'selected' || instance.state !== 'running') continue;
    for (const group of selection.logGroups) names.add(group.name);
    for (const spec of selection.configuration.config.logGroups) if (literalPrefix(spec.name) !== spec.name) templates.add(spec.name);
  }
  return observeLogGroups(ports, names, templates, options);
}

/** The part of a log group template before its first placeholder. */
export function literalPrefix(template: string): string {
  const brace = template.indexOf('{');
  return brace === -1 ? template : template.slice(0, brace);
}

/** Drops every prefix that another prefix in the set already covers. Empty prefixes are dropped. */
export function coveringPrefixes(prefixes: string[]): string[] {
  const sorted = [...new Set(prefixes.filter(Boolean))].sort();
  const kept: string[] = [];
  for (const prefix of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || !prefix.startsWith(last)) kept.push(prefix);
  }
  return kept;
}


/**
 * Configured instances whose agent CloudWatch does not hear from, with what is missing. Only an
 * instance at its target for longer than the grace period is asked about. An instance whose
 * configuration sends metrics per instance is judged by its metrics (a quiet log file is normal);
 * one that sends none, by its log streams.
 */
export async function observeSilence(
  ports: Pick<Ports, 'telemetry' | 'clock'>,
  settings: Settings,
  planned: { instance: Instance; record?: InstanceRecord; selection: Selection }[],
): Promise<Map<string, string>> {
  const now = ports.clock.now();
  const candidates = planned.flatMap(({ instance, record, selection }) => {
    if (instance.state !== 'running' || selection.kind !== 'selected' || !record || record.status !== 'configured' || record.inFlight) return [];
    const { configName, version, config } = selection.configuration;
    if (record.appliedConfig !== configName || record.appliedVersion !== version) return [];
    if (record.appliedAt === undefined || now - record.appliedAt < REPORTING_GRACE_MS) return [];
    return [{ instance, signals: telemetrySignals(config) }];
  });
  const silent = new Map<string, string>();
  if (candidates.length === 0) return silent;

  const namespaces = new Set(candidates.flatMap(({ signals }) => (signals.metricsNamespace ? [signals.metricsNamespace] : [])));
  const reportingIn = new Map<string, Set<string>>();
  for (const namespace of namespaces) reportingIn.set(namespace, await ports.telemetry.instancesReportingMetrics(namespace));

  const facts = { region: settings.region, accountId: settings.accountId };
  const streamsOf = new Map<string, Set<string>>();
  for (const { instance, signals } of candidates) {
    const id = instance.instanceId;
    if (signals.metricsNamespace) {
      if (!reportingIn.get(signals.metricsNamespace)!.has(id)) silent.set(id, `no metrics in ${signals.metricsNamespace} with InstanceId ${id} in the last 3 h`);
      continue;
    }
    const groups = signals.logGroupsByInstanceStream.flatMap((template) => {
      const resolved = resolveLogGroupName(template, { ...facts, ...instance });
      return resolved.ok ? [resolved.name] : [];
    });
    if (groups.length === 0) continue; // nothing to tell by from outside
    let heard = false;
    for (const group of groups) {
      if (!streamsOf.has(group)) streamsOf.set(group, await ports.telemetry.recentLogStreams(group, now - REPORTING_WINDOW_MS));
      if (streamsOf.get(group)!.has(id)) heard = true;
    }
    if (!heard) silent.set(id, `no log events in ${groups.join(', ')} from stream ${id} in the last 3 h`);
  }
  return silent;
}
