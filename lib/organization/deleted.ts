/**
 * Who selects a configuration the operator deleted from the hub, in the organization mode. The
 * hub's own EC2 is not the fleet, and asking every member's EC2 would be an AssumeRole per cell
 * for a report: the hub's table already holds a record of every instance of every cell, with the
 * configuration it selects. The report is as fresh as those records (the worker updates a record
 * on every tag change and the sweep on every schedule).
 */
import type { Settings } from '../config.js';
import type { SelectingInstances } from '../entry/events.js';
import { parseCellKey } from '../model/cell.js';
import type { Ports, RecordStatus } from '../ports.js';
import { HubRecords } from './cell-ports.js';

/** Records of instances that no longer select anything: the tag was removed, or the instance is gone. */
const NOT_SELECTING: ReadonlySet<RecordStatus> = new Set(['deselected', 'closed']);

/** The instances each cell's records say select the configuration (one Scan of the hub's table, no member called). */
export async function selectingInOrganization(ports: Pick<Ports, 'state'>, _settings: Settings, configName: string): Promise<SelectingInstances> {
  const byCell = await new HubRecords(ports.state).byCell();
  const cells = [...byCell]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([key, records]) => {
      const instanceIds = [...records.values()]
        .filter((record) => record.configName === configName && !NOT_SELECTING.has(record.status))
        .map((record) => record.instanceId)
        .sort();
      return instanceIds.length ? [{ ...parseCellKey(key), instanceIds }] : [];
    });
  return { instanceIds: cells.flatMap((cell) => cell.instanceIds), cells };
}
