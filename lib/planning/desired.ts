/**
 * Desired state of one instance, from its tags and the stage's configuration set. Pure.
 * The selector tag's value is untrusted input: it is matched against CONFIG_NAME_PATTERN and the
 * known set before it is used for anything, and never reaches a shell, a document or an ARN.
 */
import type { AgentConfig } from '../agent/index.js';
import { resolveLogGroupName } from '../agent/index.js';
import { CONFIG_NAME_PATTERN, LATEST_AGENT, type Settings } from '../config.js';
import type { Instance, LogGroupClass, RolloutRecord } from '../ports.js';

/** One version of a configuration, read from Parameter Store and validated. */
export interface ConfigurationVersion {
  configName: string;
  parameterName: string;
  version: number;
  config: AgentConfig;
  /**
   * A rollout of this version is under way: it paces the instances that run an older version,
   * so a sweep or worker must not configure them ahead of it.
   */
  rolloutInProgress?: boolean;
  /**
   * This version's rollout is over (completed, or it is the good version a rejected or rolled-back
   * one fell back to): an outcome at this version has no rollout to count in, so the outcome
   * handler need not read the rollout. Unset when unsure (no rollout record yet): then it reads.
   */
  rolledOut?: boolean;
  /** Set when the newest parameter version was rejected or rolled back and this older one stands. */
  heldBack?: { version: number; why: string };
}

/** A configuration whose current parameter version is missing or fails the validator. */
export interface UnusableConfiguration {
  configName: string;
  parameterName: string;
  version?: number;
  problems: string[];
}

export interface ConfigSet {
  usable: Map<string, ConfigurationVersion>;
  unusable: Map<string, UnusableConfiguration>;
  /** The agent version instances run, from the stage's agentVersion and its rollout. */
  agent: DesiredAgent;
}

/** Which agent version instances should run. */
export interface DesiredAgent {
  /**
   * An exact version; undefined: not managed (yet): an install gets Distributor's default version.
   * With "latest", the version a sweep last saw Distributor publish, once its rollout started.
   */
  version?: string;
  /**
   * A rollout of this version is under way, or due to start (the setting changed and no reconcile
   * started it yet): it paces the instances on another version, so no sweep or worker upgrades
   * them ahead of it. New instances get this version at once.
   */
  rolloutInProgress?: boolean;
  /** The setting names a version whose rollout has not started: the next reconcile starts it. */
  awaitingRollout?: boolean;
  /** The stage's version was rolled back and this earlier one stands (or none, when there was none to go back to). */
  heldBack?: { version: string; why: string };
}

/**
 * The agent version that stands, from the setting and the rollout record of AGENT_ROLLOUT. Like a
 * configuration version, a version rolled back stays held back until the setting names another.
 * With "latest" the version wanted is the one the record is about: a sweep starts a rollout of
 * each version Distributor newly publishes, and one rolled back stays held back until Distributor
 * publishes another. Before the first, versions are not managed.
 */
export function desiredAgent(settings: Pick<Settings, 'agentVersion'>, rollout: RolloutRecord | undefined): DesiredAgent {
  const recorded = typeof rollout?.version === 'string' ? rollout.version : undefined;
  const wanted = settings.agentVersion === LATEST_AGENT ? recorded : settings.agentVersion;
  if (wanted === undefined) return {};
  if (rollout?.version !== wanted) return { version: wanted, rolloutInProgress: true, awaitingRollout: true };
  if (rollout.status === 'in-progress') return { version: wanted, rolloutInProgress: true };
  if (rollout.status === 'completed') return { version: wanted };
  const heldBack = { version: wanted, why: `agent ${wanted} was ${rollout.status}${rollout.reason ? `: ${rollout.reason}` : ''}` };
  return typeof rollout.goodVersion === 'string' ? { version: rollout.goodVersion, heldBack } : { heldBack };
}

export interface DesiredLogGroup {
  name: string;
  retentionInDays: number;
  logGroupClass: LogGroupClass;
  kmsKeyId?: string;
}

export type Selection =
  | { kind: 'unselected' }
  | { kind: 'invalid'; reason: string }
  | {
      kind: 'selected';
      configuration: ConfigurationVersion;
      logGroups: DesiredLogGroup[];
      /** Log groups the service cannot create ahead (e.g. a {date} name): the agent makes them. */
      skippedLogGroups: { template: string; reason: string }[];
    };

export function selectionOf(instance: Instance, configs: ConfigSet, settings: Settings): Selection {
  const value = instance.tags[settings.selectorTagKey];
  if (value === undefined) return { kind: 'unselected' };
  if (!CONFIG_NAME_PATTERN.test(value)) {
    return {
      kind: 'invalid',
      reason: `tag ${settings.selectorTagKey}=${JSON.stringify(value)} is not a configuration name (must match ${CONFIG_NAME_PATTERN.source})`,
    };
  }
  const configuration = configs.usable.get(value);
  if (!configuration) {
    const unusable = configs.unusable.get(value);
    if (unusable) {
      return {
        kind: 'invalid',
        reason: `configuration ${value} (parameter ${unusable.parameterName}) is not usable: ${unusable.problems.join('; ')}`,
      };
    }
    return {
      kind: 'invalid',
      reason: `tag ${settings.selectorTagKey}=${JSON.stringify(value)} names no configuration of stage ${settings.stage} (known: ${settings.configNames.join(', ')})`,
    };
  }
  return { kind: 'selected', configuration, ...logGroupsFor(instance, configuration.config, settings) };
}

/** The log groups an instance's configuration names, placeholders resolved for that instance. */
export function logGroupsFor(
  instance: Instance,
  config: AgentConfig,
  settings: Settings,
): { logGroups: DesiredLogGroup[]; skippedLogGroups: { template: string; reason: string }[] } {
  const facts = {
    instanceId: instance.instanceId,
    privateIpAddress: instance.privateIpAddress,
    privateDnsName: instance.privateDnsName,
    region: settings.region,
    accountId: settings.accountId,
  };
  const logGroups: DesiredLogGroup[] = [];
  const skippedLogGroups: { template: string; reason: string }[] = [];
  for (const spec of config.logGroups) {
    if (config.logGroupsElsewhere) {
      skippedLogGroups.push({ template: spec.name, reason: config.logGroupsElsewhere });
      continue;
    }
    const resolved = resolveLogGroupName(spec.name, facts);
    if (!resolved.ok) {
      skippedLogGroups.push({ template: spec.name, reason: resolved.reason });
      continue;
    }
    logGroups.push({
      name: resolved.name,
      retentionInDays: spec.retentionInDays ?? settings.defaultRetentionDays,
      logGroupClass: spec.logGroupClass ?? settings.logGroupClass,
      ...(settings.logGroupKmsKeyArn && { kmsKeyId: settings.logGroupKmsKeyArn }),
    });
  }
  return { logGroups, skippedLogGroups };
}
