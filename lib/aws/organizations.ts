/**
 * OrganizationsPort on the AWS Organizations API: the ACTIVE accounts under the stage's
 * organizational units, nested OUs included. Called from the hub, which must be the management
 * account or a delegated administrator (README "Organization").
 */
import { paginateListAccountsForParent, paginateListChildren, type Account, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { OrganizationsPort } from '../ports.js';
import { collectPages } from './batch.js';
import { callAws } from './errors.js';

/**
 * Only an ACTIVE account has a member stack to reach; a suspended, closing or not yet activated
 * one is out of the scope. `State` replaced `Status`, which Organizations retired on 9 September
 * 2026 (the SDK's Account model documents both); an answer with only `Status` is read the same way.
 */
function active(account: Account): boolean {
  return (account.State ?? account.Status) === 'ACTIVE';
}

export function createOrganizationsPort(client: OrganizationsClient): OrganizationsPort {
  const accountsOf = (parent: string) =>
    callAws({ operation: 'ListAccountsForParent', resource: parent }, () =>
      collectPages(paginateListAccountsForParent({ client }, { ParentId: parent }), (page) => page.Accounts),
    );
  const childUnitsOf = (parent: string) =>
    callAws({ operation: 'ListChildren', resource: parent }, () =>
      collectPages(paginateListChildren({ client }, { ParentId: parent, ChildType: 'ORGANIZATIONAL_UNIT' }), (page) => page.Children),
    );

  return {
    async accountsIn(units) {
      const accounts = new Set<string>();
      const seen = new Set<string>();
      // Breadth first, one parent at a time: Organizations allows a few calls a second per account,
      // and a parallel walk of a wide tree would only be throttled.
      const queue = [...units];
      for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
        // An OU listed together with one of its ancestors is walked once.
        if (seen.has(parent)) continue;
        seen.add(parent);
        for (const account of await accountsOf(parent)) if (account.Id && active(account)) accounts.add(account.Id);
        for (const child of await childUnitsOf(parent)) if (child.Id) queue.push(child.Id);
      }
      return [...accounts];
    },
  };
}
