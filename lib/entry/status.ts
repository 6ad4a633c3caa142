/**
 * Fleet status, per configuration: which version stands (and which newest version was held back),
 * its rollout, and how many instances run it, are behind, pending, in flight, failed or
 * unreachable. Read from the state table and Parameter Store only: cheap enough to ask often.
 */
import type { Settings } from '../config.js';
import { observeConfigSet } from '../observation/observe.js';
import type { InstanceRecord, Ports, RecordStatus, RolloutRecord } from '../ports.js';

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

export interface FleetStatus {
  configurations: ConfigurationStatus[];
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
    ports.rollouts.getMany(settings.configNames),
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
      ...(rollout && {
        rollout: {
          version: rollout.version,
          status: rollout.status,
          total: rollout.total,
          sent: rollout.sent,
          succeeded: rollout.succeeded,
          failed: rollout.failed,
          ...(rollout.reason && { reason: rollout.reason }),
        },
      }),
      instances,
    };
  });

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
  return { configurations, byStatus, problems };
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
