/**
 * The Ports of one member account-region (a cell) in the organization mode. The hub runs the
 * single-account domain unchanged once per cell, on these: the cell's member ports (its own SDK
 * clients through its execution role, so its own rate budget) and the hub's state table, queue,
 * events, log and metrics scoped to the cell.
 *
 * Scoping the hub's table: records and rollouts are keyed with their cell as a suffix
 * ("i-0abc…@123456789012/eu-west-1", "rollout#web@123456789012/eu-west-1"), so instance records
 * still start with "i-" and rollout items with "rollout#" (the adapters' Scan filters, unchanged),
 * two cells never collide (simulated accounts, and in principle real ones, can repeat instance
 * ids), and each item also carries account and region as attributes. The domain never sees the
 * suffix: the ports strip it on the way out.
 */
import type { Settings } from '../config.js';
import { cellKey } from '../model/cell.js';
import type {
  Cell,
  EventsPort,
  InstanceRecord,
  Log,
  MemberPorts,
  MetricSink,
  OrganizationAccess,
  Ports,
  QueuePort,
  RolloutPort,
  RolloutRecord,
  StatePort,
} from '../ports.js';
import { withCallBudget } from './call-budget.js';
import { lazyMemberPorts } from './lazy-member.js';

/** Between an id (instance id, configuration name) and its cell in a hub table key; neither may contain it. */
const CELL_SEPARATOR = '@';

/** The hub table key of an instance id or configuration name of a cell. */
export function cellScopedKey(id: string, cell: Cell): string {
  return `${id}${CELL_SEPARATOR}${cellKey(cell)}`;
}

/** An id and its cell key out of a hub table key; undefined when the key names no cell (single-account items). */
export function splitCellScopedKey(key: string): { id: string; cell: string } | undefined {
  const at = key.lastIndexOf(CELL_SEPARATOR);
  if (at <= 0) return undefined;
  return { id: key.slice(0, at), cell: key.slice(at + 1) };
}

/** The stage's settings as the domain must see them in a cell: its account and region (ARNs, log group placeholders). */
export function cellSettings(settings: Settings, cell: Cell): Settings {
  return { ...settings, accountId: cell.account, region: cell.region };
}

/** A hub record in the domain's shape: the cell suffix off its id. */
function recordOfCell(stored: InstanceRecord): InstanceRecord {
  const split = splitCellScopedKey(stored.instanceId);
  return split ? { ...stored, instanceId: split.id } : stored;
}

/**
 * The invocation's one read of the hub table's instance records, shared by every cell: one Scan
 * of the whole table instead of one per cell (200 cells would each read all 200 cells' records).
 * Writes a cell makes through its ports are folded in, so a cell that lists again sees them.
 */
export class HubRecords {
  private scan: Promise<Map<string, Map<string, InstanceRecord>>> | undefined;

  constructor(private readonly hub: StatePort) {}

  /** Every cell's records by cell key, each by instance id (read once, on first use). */
  byCell(): Promise<Map<string, Map<string, InstanceRecord>>> {
    this.scan ??= this.hub.list().then((stored) => {
      const cells = new Map<string, Map<string, InstanceRecord>>();
      for (const record of stored) {
        const split = splitCellScopedKey(record.instanceId);
        if (!split) continue; // not an organization-mode record
        let records = cells.get(split.cell);
        if (!records) cells.set(split.cell, (records = new Map()));
        records.set(split.id, { ...record, instanceId: split.id });
      }
      return cells;
    });
    return this.scan;
  }

  async of(cell: Cell): Promise<InstanceRecord[]> {
    return [...((await this.byCell()).get(cellKey(cell))?.values() ?? [])];
  }

  /** A record the cell just wrote: later lists in this invocation see it. */
  async wrote(cell: Cell, record: InstanceRecord): Promise<void> {
    if (!this.scan) return; // nothing read yet: the Scan, when it comes, reads it
    const cells = await this.scan;
    const key = cellKey(cell);
    let records = cells.get(key);
    if (!records) cells.set(key, (records = new Map()));
    records.set(record.instanceId, record);
  }
}

function cellState(hub: StatePort, cell: Cell, shared: HubRecords): StatePort {
  const stamp = { account: cell.account, region: cell.region };
  return {
    get: async (instanceId) => {
      const stored = await hub.get(cellScopedKey(instanceId, cell));
      return stored && recordOfCell(stored);
    },
    getMany: async (instanceIds) => (await hub.getMany(instanceIds.map((id) => cellScopedKey(id, cell)))).map(recordOfCell),
    list: () => shared.of(cell),
    put: async (record, expectedRevision) => {
      const stored = recordOfCell(await hub.put({ ...record, ...stamp, instanceId: cellScopedKey(record.instanceId, cell) }, expectedRevision));
      await shared.wrote(cell, stored);
      return stored;
    },
  };
}

function cellRollouts(hub: RolloutPort, cell: Cell): RolloutPort {
  const key = cellKey(cell);
  const ofCell = (stored: RolloutRecord): RolloutRecord => ({ ...stored, configName: splitCellScopedKey(stored.configName)?.id ?? stored.configName });
  return {
    get: async (configName) => {
      const stored = await hub.get(cellScopedKey(configName, cell));
      return stored && ofCell(stored);
    },
    getMany: async (configNames) => (await hub.getMany(configNames.map((name) => cellScopedKey(name, cell)))).map(ofCell),
    list: async () => (await hub.list()).filter((stored) => splitCellScopedKey(stored.configName)?.cell === key).map(ofCell),
    put: async (record, expectedRevision) =>
      ofCell(await hub.put({ ...record, account: cell.account, region: cell.region, configName: cellScopedKey(record.configName, cell) }, expectedRevision)),
  };
}

/** Work items of a cell name it, so the worker opens that cell for them. */
function cellQueue(hub: QueuePort, cell: Cell): QueuePort {
  return { enqueue: (items, delaySeconds) => hub.enqueue(items.map((item) => ({ ...item, cell: { account: cell.account, region: cell.region } })), delaySeconds) };
}

/** Service events of a cell carry its account and region in their detail. */
function cellEvents(hub: EventsPort, cell: Cell): EventsPort {
  return { publish: (events) => hub.publish(events.map((event) => ({ ...event, detail: { ...event.detail, account: cell.account, region: cell.region } }))) };
}

function cellLog(hub: Log, cell: Cell): Log {
  const stamp = { account: cell.account, region: cell.region };
  return {
    debug: (message, extra) => hub.debug(message, { ...extra, ...stamp }),
    info: (message, extra) => hub.info(message, { ...extra, ...stamp }),
    warn: (message, extra) => hub.warn(message, { ...extra, ...stamp }),
    error: (message, extra) => hub.error(message, { ...extra, ...stamp }),
  };
}

/** Counts of a cell carry its account and region as dimensions. */
function cellMetrics(hub: MetricSink, cell: Cell): MetricSink {
  return { count: (name, value, dimensions) => hub.count(name, value, { ...dimensions, account: cell.account, region: cell.region }) };
}

export interface CellPortsOptions {
  /** The invocation's shared read of the hub table; default one of its own (one Scan for this cell alone). */
  records?: HubRecords;
}

/**
 * The Ports the single-account domain runs on in one cell. The hub's memory of log groups is
 * left out: log groups are per account and region, so what the hub saw is no guide to a cell.
 */
export function cellPorts(hub: Ports, cell: Cell, member: MemberPorts, options: CellPortsOptions = {}): Ports {
  return {
    ec2: member.ec2,
    iam: member.iam,
    ssm: member.ssm,
    logs: member.logs,
    telemetry: member.telemetry,
    state: cellState(hub.state, cell, options.records ?? new HubRecords(hub.state)),
    rollouts: cellRollouts(hub.rollouts, cell),
    queue: cellQueue(hub.queue, cell),
    events: cellEvents(hub.events, cell),
    clock: hub.clock,
    log: cellLog(hub.log, cell),
    metrics: cellMetrics(hub.metrics, cell),
  };
}

/**
 * The cells of one invocation: every cell it opens shares one MembersPort (one AssumeRole per cell,
 * cached), one budget of member calls in flight (call-budget.ts) and one read of the hub's table.
 * Every path of the organization mode opens its cells here, so none can miss the budget or read
 * the table once per cell.
 */
export interface InvocationCells {
  /** The invocation's read of the hub table (its records by cell, for what left the scope). */
  records: HubRecords;
  /** The cell's ports, its role assumed now (a refusal is thrown here, with its reason). */
  open(cell: Cell): Promise<Ports>;
  /** The cell's ports, its role assumed on the first call into the member, if any. */
  openLazily(cell: Cell): Ports;
}

export function invocationCells(hub: Ports, access: Pick<OrganizationAccess, 'members'>): InvocationCells {
  const members = withCallBudget(access.members());
  const records = new HubRecords(hub.state);
  return {
    records,
    open: async (cell) => cellPorts(hub, cell, await members.open(cell), { records }),
    openLazily: (cell) => cellPorts(hub, cell, lazyMemberPorts(members, cell), { records }),
  };
}
