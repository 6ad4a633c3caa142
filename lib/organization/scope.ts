/**
 * Which account-regions one invocation works on. The scope is the stage's: the accounts of its
 * organizational units (asked of AWS Organizations, each invocation, so a new account is picked
 * up and a moved one dropped) or its explicit list, in its member regions. An operator's filter
 * (`--account`, `--region`) narrows it and never widens it. A cell the hub table still holds
 * records for but whose account has left the scope is reported and left alone: no role is
 * assumed there, no record of it is changed.
 */
import type { Organization } from '../config.js';
import { InvalidInputError } from '../errors.js';
import { cellsOf, parseCellKey } from '../model/cell.js';
import type { Cell, OrganizationsPort } from '../ports.js';

/** An operator's narrowing of the organization: these accounts, these regions (unset: all). */
export interface CellFilter {
  accounts?: readonly string[];
  regions?: readonly string[];
}

export interface OrganizationScope {
  /** Accounts in the stage's scope now. */
  accounts: string[];
  /** The cells to work on: the scope's accounts x regions, narrowed by the filter. */
  cells: Cell[];
}

/** The accounts in the stage's scope: its list, or the accounts in its organizational units now. */
export async function scopeAccounts(organization: Organization, organizations: OrganizationsPort): Promise<string[]> {
  const accounts = 'accounts' in organization.scope ? organization.scope.accounts : await organizations.accountsIn(organization.scope.organizationalUnits);
  return [...new Set(accounts)].sort();
}

/**
 * The cells of the scope the filter keeps. A filter naming an account or region outside the scope
 * is refused, naming it, before anything is read or sent: a typo must not read as "nothing to do".
 */
export function cellsInScope(organization: Organization, accounts: readonly string[], filter: CellFilter = {}): OrganizationScope {
  const outside = (wanted: readonly string[] | undefined, known: readonly string[]) => (wanted ?? []).filter((item) => !known.includes(item));
  const strayAccounts = outside(filter.accounts, accounts);
  if (strayAccounts.length) {
    const scope = 'accounts' in organization.scope ? 'its account list' : `organizational units ${organization.scope.organizationalUnits.join(', ')}`;
    throw new InvalidInputError(`account ${strayAccounts.join(', ')} is not in the stage's organization scope (${scope}); nothing was sent to it`);
  }
  const strayRegions = outside(filter.regions, organization.regions);
  if (strayRegions.length) {
    throw new InvalidInputError(`region ${strayRegions.join(', ')} is not a member region of the stage (${organization.regions.join(', ')}); nothing was sent there`);
  }
  const keep = (wanted: readonly string[] | undefined, all: readonly string[]) => (wanted?.length ? all.filter((item) => wanted.includes(item)) : [...all]);
  return { accounts: [...accounts], cells: cellsOf(keep(filter.accounts, accounts), keep(filter.regions, organization.regions)) };
}

/**
 * Cells the hub holds records of whose account is no longer in scope (moved to another OU, taken
 * off the list, closed), narrowed by the filter's regions. Cells of a region taken off the member
 * regions count too: the hub no longer works there either.
 */
export function cellsLeftScope(organization: Organization, accounts: readonly string[], recordedCells: Iterable<string>, filter: CellFilter = {}): Cell[] {
  const inScope = new Set(accounts);
  const regions = new Set(organization.regions);
  const left: Cell[] = [];
  for (const key of recordedCells) {
    const cell = parseCellKey(key);
    if (inScope.has(cell.account) && regions.has(cell.region)) continue;
    if (filter.accounts?.length && !filter.accounts.includes(cell.account)) continue;
    if (filter.regions?.length && !filter.regions.includes(cell.region)) continue;
    left.push(cell);
  }
  return left.sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region));
}

/**
 * The stage's scope for one invocation of an event function or of the worker: scopeAccounts asked
 * at most once (an invocation sees one answer, and a burst of events costs one Organizations walk
 * per invocation, not one per event).
 */
export class MemberScope {
  private accounts: Promise<ReadonlySet<string>> | undefined;

  constructor(
    readonly organization: Organization,
    private readonly organizations: OrganizationsPort,
  ) {}

  accountsInScope(): Promise<ReadonlySet<string>> {
    this.accounts ??= scopeAccounts(this.organization, this.organizations).then(
      (accounts) => new Set(accounts),
      (error: unknown) => {
        // Not cached: the next caller of this invocation asks again rather than inheriting a failure.
        this.accounts = undefined;
        throw error;
      },
    );
    return this.accounts;
  }

  /**
   * Why a cell is outside the scope; undefined when it is inside, or when telling would take asking
   * Organizations and `askOrganizations` is false (then only the regions are checked; the worker,
   * which may ask, checks the account before it assumes any role).
   */
  async outside(cell: Cell, { askOrganizations = true }: { askOrganizations?: boolean } = {}): Promise<string | undefined> {
    const { regions, scope } = this.organization;
    if (!regions.includes(cell.region)) return `region ${cell.region} is not a member region of the stage (${regions.join(', ')})`;
    if (!askOrganizations && !('accounts' in scope)) return undefined;
    if (!(await this.accountsInScope()).has(cell.account)) {
      return `account ${cell.account} is not in the stage's scope (${'accounts' in scope ? 'memberAccounts' : `organizational units ${scope.organizationalUnits.join(', ')}`})`;
    }
    return undefined;
  }

  /** Every cell in scope, account by account in account order: the order an org rollout reaches them in. */
  async cells(): Promise<Cell[]> {
    return cellsOf([...(await this.accountsInScope())], this.organization.regions);
  }
}
