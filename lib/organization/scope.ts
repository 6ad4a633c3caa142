/**
 * The organization mode's scope: which account-regions the stage works in. The accounts are the
 * stage's memberAccounts, or the ACTIVE accounts AWS Organizations holds under its
 * organizationalUnits; the regions are its memberRegions. Everything outside is left alone.
 */
import type { Organization } from '../config.js';
import { cellsOf } from '../model/cell.js';
import type { Cell, OrganizationsPort } from '../ports.js';

/**
 * The stage's scope for one invocation: its account list, or the accounts Organizations holds
 * under its organizational units, asked at most once (an invocation sees one answer, and a burst
 * of events costs one ListAccountsForParent walk per invocation, not one per event).
 */
export class MemberScope {
  private accounts: Promise<ReadonlySet<string>> | undefined;

  constructor(
    readonly organization: Organization,
    private readonly organizations: OrganizationsPort,
  ) {}

  accountsInScope(): Promise<ReadonlySet<string>> {
    const { scope } = this.organization;
    this.accounts ??= ('accounts' in scope ? Promise.resolve(scope.accounts) : this.organizations.accountsIn(scope.organizationalUnits)).then(
      (accounts) => new Set(accounts),
      (error: unknown) => {
        // Not cached: the next caller of this invocation asks again rather than inheriting a failure.
        this.accounts = undefined;
        throw error;
      },
    );
    return this.accounts;
  }

  /** Why a cell is outside the scope; undefined when it is inside. */
  async outside(cell: Cell): Promise<string | undefined> {
    const { regions, scope } = this.organization;
    if (!regions.includes(cell.region)) return `region ${cell.region} is not a member region of the stage (${regions.join(', ')})`;
    if (!(await this.accountsInScope()).has(cell.account)) {
      return `account ${cell.account} is not in the stage's scope (${'accounts' in scope ? 'memberAccounts' : `organizational units ${scope.organizationalUnits.join(', ')}`})`;
    }
    return undefined;
  }

  /** Every cell in scope, account by account in account order: the order an org rollout reaches them in. */
  async cells(): Promise<Cell[]> {
    return cellsOf([...(await this.accountsInScope())].sort(), this.organization.regions);
  }
}
