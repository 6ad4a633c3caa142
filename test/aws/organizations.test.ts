import { ListAccountsForParentCommand, ListChildrenCommand, OrganizationsClient, type AccountState } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAwsOrganizationAccess } from '../../lib/aws/clients.js';
import { testSettings } from '../../lib/config.js';
import { NotFoundError } from '../../lib/errors.js';
import { awsError } from './helpers.js';

const organizations = mockClient(OrganizationsClient);
beforeEach(() => organizations.reset());

const settings = testSettings({ organizationId: 'o-a1b2c3d4e5', organizationalUnits: ['ou-root-aaaaaaaa'] });
const port = () => createAwsOrganizationAccess(settings)!.organizations;
const account = (Id: string, State: AccountState = 'ACTIVE') => ({ Id, State });

describe('accountsIn', () => {
  it('walks nested OUs page by page and keeps ACTIVE accounts only, each once', async () => {
    organizations.on(ListChildrenCommand).resolves({ Children: [] });
    // ou-root-aaaaaaaa holds accounts 1 and 2 (two pages) and OUs b and c; c holds d; d holds account 4.
    organizations
      .on(ListAccountsForParentCommand, { ParentId: 'ou-root-aaaaaaaa' })
      .resolvesOnce({ Accounts: [account('111111111111')], NextToken: 't1' })
      .resolvesOnce({ Accounts: [account('222222222222'), account('999999999999', 'SUSPENDED')] });
    organizations.on(ListAccountsForParentCommand, { ParentId: 'ou-root-bbbbbbbb' }).resolves({ Accounts: [account('333333333333', 'PENDING_CLOSURE')] });
    organizations.on(ListAccountsForParentCommand, { ParentId: 'ou-root-cccccccc' }).resolves({ Accounts: [] });
    // An answer from before State existed: Status says the same.
    organizations.on(ListAccountsForParentCommand, { ParentId: 'ou-root-dddddddd' }).resolves({ Accounts: [{ Id: '444444444444', Status: 'ACTIVE' as const }] });
    organizations
      .on(ListChildrenCommand, { ParentId: 'ou-root-aaaaaaaa' })
      .resolvesOnce({ Children: [{ Id: 'ou-root-bbbbbbbb', Type: 'ORGANIZATIONAL_UNIT' }], NextToken: 'c1' })
      .resolvesOnce({ Children: [{ Id: 'ou-root-cccccccc', Type: 'ORGANIZATIONAL_UNIT' }] });
    organizations.on(ListChildrenCommand, { ParentId: 'ou-root-cccccccc' }).resolves({ Children: [{ Id: 'ou-root-dddddddd', Type: 'ORGANIZATIONAL_UNIT' }] });

    // d is also named on its own: walked once.
    const accounts = await port().accountsIn(['ou-root-aaaaaaaa', 'ou-root-dddddddd']);

    expect(accounts).toEqual(['111111111111', '222222222222', '444444444444']);
    expect(organizations).toHaveReceivedCommandWith(ListChildrenCommand, { ParentId: 'ou-root-aaaaaaaa', ChildType: 'ORGANIZATIONAL_UNIT' });
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsForParentCommand, 5);
  });

  it('names an OU that is not in the organization', async () => {
    organizations.on(ListAccountsForParentCommand).rejects(awsError('ParentNotFoundException', 'We could not find a root or OU with the ID that you specified.'));
    const error = await port().accountsIn(['ou-gone-aaaaaaaa']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ resource: 'ou-gone-aaaaaaaa' });
  });
});
