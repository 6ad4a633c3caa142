/**
 * One account and region: the unit the organization mode works in. AWS rate limits, credentials,
 * Parameter Store versions and the member stack are all per account and region, so every record,
 * work item, lease, rollout, status row, service event and metric of the organization mode names
 * its cell. The single-account mode is one cell: the stage's own account and region.
 */
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from '../config.js';
import type { Cell } from '../ports.js';

export type { Cell };

/** "123456789012/eu-west-1": a cell as one string (record keys, maps, logs). */
export function cellKey(cell: Cell): string {
  return `${cell.account}/${cell.region}`;
}

/** The cell of a cellKey; throws naming the key when it is not one. */
export function parseCellKey(key: string): Cell {
  const [account, region, ...rest] = key.split('/');
  if (rest.length > 0 || !account || !region || !ACCOUNT_ID_PATTERN.test(account) || !REGION_PATTERN.test(region)) {
    throw new Error(`not an account/region: ${JSON.stringify(key)}`);
  }
  return { account, region };
}

export function sameCell(a: Cell, b: Cell): boolean {
  return a.account === b.account && a.region === b.region;
}

/** Every cell of these accounts and regions, account by account (the order work is scheduled in). */
export function cellsOf(accounts: readonly string[], regions: readonly string[]): Cell[] {
  return accounts.flatMap((account) => regions.map((region) => ({ account, region })));
}
