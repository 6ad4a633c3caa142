/**
 * The organization's status: the single-account fleet status of every cell (account and region),
 * the organization's totals per configuration and per record status, and the org-wide rollouts
 * (how far each went, its failures against the threshold). A cell that cannot be
 * reached is listed with its reason; a cell that left the scope with the records the hub still holds.
 */
import { fleetStatus, type FleetStatus, type InstanceBucket } from '../entry/status.js';
import { forEachCell, type CellFailure, type CellLeftScope, type OrganizationContext } from './reconcile.js';
import { orgRolloutKey, orgRolloutStatus, type OrgRolloutStatus } from './rollout.js';
import type { CellFilter } from './scope.js';

export interface CellStatus extends FleetStatus {
  account: string;
  region: string;
}

export interface OrganizationStatus {
  organizationId: string;
  /** Cells asked for, read, and not reached. */
  cells: { total: number; read: number; failed: number };
  totals: {
    /** Per configuration, the instance columns summed over the cells read. */
    configurations: { configName: string; instances: Record<InstanceBucket, number> }[];
    byStatus: Record<string, number>;
    /** Instances per agent version they reported, over the cells read. */
    agentVersions: Record<string, number>;
  };
  byCell: CellStatus[];
  /** The org-wide rollouts of the stage's configurations, whatever the filter: a rollout spans the organization. */
  rollouts: OrgRolloutStatus[];
  failedCells: CellFailure[];
  leftScope: CellLeftScope[];
}

/** Problems kept per cell: the organization's status stays readable with hundreds of cells. */
const PROBLEMS_PER_CELL = 10;

export async function organizationStatus(context: OrganizationContext, filter: CellFilter = {}): Promise<OrganizationStatus> {
  const [{ results, leftScope }, orgRollouts] = await Promise.all([
    forEachCell(context, filter, (ports, settings) => fleetStatus(ports, settings, PROBLEMS_PER_CELL)),
    // One BatchGetItem of the hub's org-wide rollout records.
    context.hub.rollouts.getMany(context.settings.configNames.map(orgRolloutKey)),
  ]);
  const configurations = new Map<string, Record<InstanceBucket, number>>();
  const byStatus: Record<string, number> = {};
  const agentVersions: Record<string, number> = {};
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
  };
  const byCell: CellStatus[] = [];
  const failedCells: CellFailure[] = [];
  for (const result of results) {
    const { account, region } = result.cell;
    if (!result.ok) {
      failedCells.push({ account, region, reason: result.reason, error: result.error });
      continue;
    }
    byCell.push({ account, region, ...result.value });
    for (const configuration of result.value.configurations) {
      let instances = configurations.get(configuration.configName);
      if (!instances) configurations.set(configuration.configName, (instances = { current: 0, behind: 0, pending: 0, inFlight: 0, failed: 0, unreachable: 0 }));
      add(instances, configuration.instances);
    }
    add(byStatus, result.value.byStatus);
    add(agentVersions, result.value.agent?.versions ?? {});
  }
  return {
    organizationId: context.organization.organizationId,
    cells: { total: results.length, read: byCell.length, failed: failedCells.length },
    totals: { configurations: [...configurations].map(([configName, instances]) => ({ configName, instances })), byStatus, agentVersions },
    byCell,
    rollouts: orgRollouts
      .flatMap((rollout) => orgRolloutStatus(rollout, context.settings.maxErrors) ?? [])
      .sort((a, b) => a.configName.localeCompare(b.configName)),
    failedCells,
    leftScope,
  };
}
