/**
 * Fleet status, per configuration: which version stands (and which newest version was held back),
 * its rollout, and how many instances run it, are behind, pending, in flight, failed or
 * unreachable. Read from the state table and Parameter Store only: cheap enough to ask often.
 */
import type { Settings } from '../config.js';
import { observeConfigSet } from '../observation/observe.js';
import { AGENT_ROLLOUT, type InstanceRecord, type Ports, type RecordStatus, type RolloutRecord } from '../ports.js';

export interface ConfigurationStatus {
  configName: string;
  parameterName: string;
  /** The version instances are brought to; undefined when none is usable. */
  standingVersion?: number;
  /** The newest version, when it is not the standing one (rejected or rolled back). */
  heldBack?: { version: number; why: string };
  problems?: string[];
  rollout?: Pick<RolloutRecord, 'version' | 'status' | 'total' | 'sent' | 'succeeded' | 'failed' | 'reason'>;
  instances: Record<InstanceBucket, number>;
}

export type InstanceBucket = 'current' | 'behind' | 'pending' | 'inFlight' | 'failed' | 'unreachable';

/** The agent's own version: the stage's setting, the version that stands, its rollout, and what instances report. */
export interface AgentStatus {
  /** The stage's agentVersion: "latest" or an exact version. */
  setting: string;
  /** The exact version instances are brought to; undefined with "latest" (or nothing to fall back to). */
  standingVersion?: string;
  heldBack?: { version: string; why: string };
  rollout?: ConfigurationStatus['rollout'];
  /** Instances (records not closed or deselected) per agent version they reported; "unknown": none reported yet. */
  versions: Record<string, number>;
}

/** The key of `versions` for records that have not reported a version. */
export const UNKNOWN_AGENT_VERSION = 'unknown';

export interface FleetStatus {
  configurations: ConfigurationStatus[];
  /** Absent in the answer of a reconcile function deployed before agent versions were reported. */
  agent?: AgentStatus;
  /** Records by status, whatever their configuration (invalid selections and drift included). */
  byStatus: Record<string, number>;
  /** The latest problems, one per instance, newest first (capped). */
  problems: { instanceId: string; status: string; configName?: string; error: string }[];
}

/**
 * Records counted in their configuration's instance columns. Not closed or deselected ones, nor a
 * reported drift: it waits for a person, and the problems list names it with its configuration.
 */
const COUNTED: ReadonlySet<RecordStatus> = new Set<RecordStatus>(['pending', 'in-flight', 'configured', 'failed', 'unreachable']);

export async function fleetStatus(ports: Ports, settings: Settings, problemLimit = 50): Promise<FleetStatus> {
  const [configs, records, rollouts] = await Promise.all([
    observeConfigSet(ports, settings),
    ports.state.list(),
    ports.rollouts.getMany([...settings.configNames, AGENT_ROLLOUT]),
  ]);
  const rolloutOf = new Map(rollouts.map((rollout) => [rollout.configName, rollout]));

  const configurations = settings.configNames.map((configName): ConfigurationStatus => {
    const usable = configs.usable.get(configName);
    const unusable = configs.unusable.get(configName);
    const rollout = rolloutOf.get(configName);
    const instances: Record<InstanceBucket, number> = { current: 0, behind: 0, pending: 0, inFlight: 0, failed: 0, unreachable: 0 };
    for (const record of records) {
      if (record.configName !== configName || !COUNTED.has(record.status)) continue;
      instances[bucketOf(record, usable?.version)]++;
    }
    return {
      configName,
      parameterName: usable?.parameterName ?? unusable!.parameterName,
      ...(usable && { standingVersion: usable.version }),
      ...(usable?.heldBack && { heldBack: usable.heldBack }),
      ...(unusable && { problems: unusable.problems }),
      ...(rollout && { rollout: rolloutStatus(rollout) }),
      instances,
    };
  });
  const agentRollout = rolloutOf.get(AGENT_ROLLOUT);
  const versions: Record<string, number> = {};
  for (const record of records) {
    if (record.status === 'closed' || record.status === 'deselected') continue;
    const version = record.agentVersion ?? UNKNOWN_AGENT_VERSION;
    versions[version] = (versions[version] ?? 0) + 1;
  }
  const agent: AgentStatus = {
    setting: settings.agentVersion,
    ...(configs.agent.version !== undefined && { standingVersion: configs.agent.version }),
    ...(configs.agent.heldBack && { heldBack: configs.agent.heldBack }),
    ...(agentRollout && { rollout: rolloutStatus(agentRollout) }),
    versions,
  };

  const byStatus: Record<string, number> = {};
  for (const record of records) byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
  const problems = records
    .filter((record) => record.lastError && ['failed', 'unreachable', 'invalid', 'drift', 'pending'].includes(record.status))
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .slice(0, problemLimit)
    .map((record) => ({
      instanceId: record.instanceId,
      status: record.status,
      ...(record.configName && { configName: record.configName }),
      error: record.lastError!,
    }));
  return { configurations, agent, byStatus, problems };
}

function rolloutStatus(rollout: RolloutRecord): NonNullable<ConfigurationStatus['rollout']> {
  return {
    version: rollout.version,
    status: rollout.status,
    total: rollout.total,
    sent: rollout.sent,
    succeeded: rollout.succeeded,
    failed: rollout.failed,
    ...(rollout.reason && { reason: rollout.reason }),
  };
}

function bucketOf(record: InstanceRecord, standingVersion: number | undefined): InstanceBucket {
  if (record.status === 'in-flight') return 'inFlight';
  if (record.status === 'failed') return 'failed';
  if (record.status === 'unreachable') return 'unreachable';
  if (record.appliedConfig === record.configName && record.appliedVersion !== undefined) {
    return record.appliedVersion === standingVersion ? 'current' : 'behind';
  }
  return 'pending';
}
