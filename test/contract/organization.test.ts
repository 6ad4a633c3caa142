/**
 * The organization mode's adapters and templates against moto over HTTP:
 * - lib/aws/members.ts assumes the member role with STS, and the member ports it builds call the
 *   member's account with those credentials (moto keeps one backend per account and tells the
 *   account by the credentials' access key);
 * - lib/aws/organizations.ts walks a real Organizations tree of nested OUs;
 * - the hub's members bus policy, as the packaged org-mode template writes it, is accepted by
 *   EventBridge and read back unchanged;
 * - the member template's forwarding rules route the sample events exactly as the hub's own.
 *
 * moto 5.2, where it differs from AWS (so what these tests cannot prove): it does not evaluate
 * trust policies or bus policies (IAM decisions are test/iam/member.test.ts's), and AssumeRole of
 * a role that does not exist succeeds.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateEventBusCommand, DescribeEventBusCommand, EventBridgeClient, PutPermissionCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createAwsOrganizationAccess } from '../../lib/aws/clients.js';
import { testSettings } from '../../lib/config.js';
import { ACCOUNT_ID, clientConfig, motoEndpoint, REGION, resetMoto } from './moto.js';
import { loadSamples, manifestKeys, mismatches, route } from './routing.js';
import { cfnLint, eventRules, packageTemplate, readTemplate, templatePath, type Template } from './template.js';

const { MEMBER_TEMPLATE_FILE } = createRequire(import.meta.url)('../../serverless/member-template.cjs') as { MEMBER_TEMPLATE_FILE: string };

const ORGANIZATION_SETTINGS = { organizationId: 'o-a1b2c3d4e5', memberRegions: [REGION, 'us-east-1'] };
const MEMBER = '111111111111';
const LINUX_IMAGE = 'ami-760aaa0f';

beforeAll(() => resetMoto());

/** A client of the account the credentials' access key belongs to, as a test arranges it. */
async function asMember(account: string) {
  const sts = new STSClient(clientConfig());
  const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/setup`, RoleSessionName: 'contract-setup' }));
  return {
    region: REGION,
    endpoint: motoEndpoint(),
    maxAttempts: 1,
    credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! },
  };
}

describe('MembersPort over STS', () => {
  it("assumes the member's execution role, then works in the member account with its credentials, not in the hub's", async () => {
    const member = await asMember(MEMBER);
    await new IAMClient(member).send(
      new CreateRoleCommand({ RoleName: 'fleetwatch-dev-member', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }),
    );
    const ec2 = new EC2Client(member);
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: LINUX_IMAGE,
        InstanceType: 't3.micro',
        MinCount: 2,
        MaxCount: 2,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'fleetwatch:dev:config', Value: 'web' }] }],
      }),
    );
    const memberIds = (launched.Instances ?? []).map((instance) => instance.InstanceId).sort();
    // The hub's own account has an instance of its own, which the member's ports must not see.
    const hubInstance = await new EC2Client(clientConfig()).send(
      new RunInstancesCommand({ ImageId: LINUX_IMAGE, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'fleetwatch:dev:config', Value: 'web' }] }] }),
    );

    const members = createAwsOrganizationAccess(testSettings({ ...ORGANIZATION_SETTINGS, memberAccounts: [MEMBER] }), { endpoint: motoEndpoint() })!.members();
    const ports = await members.open({ account: MEMBER, region: REGION });
    const seen = (await ports.ec2.describeInstancesByTagKey('fleetwatch:dev:config')).map((instance) => instance.instanceId).sort();

    expect(seen).toEqual(memberIds);
    expect(seen).not.toContain(hubInstance.Instances?.[0]?.InstanceId);
    // The same cell again: the same ports (one AssumeRole per cell).
    expect(await members.open({ account: MEMBER, region: REGION })).toBe(ports);
    // moto's own view of the member account agrees.
    const inMember = await ec2.send(new DescribeInstancesCommand({}));
    expect(inMember.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId).sort()).toEqual(memberIds);
  });

  it("reaches the member's other region with the same role: a cell is an account and a region", async () => {
    const members = createAwsOrganizationAccess(testSettings({ ...ORGANIZATION_SETTINGS, memberAccounts: [MEMBER] }), { endpoint: motoEndpoint() })!.members();
    const ports = await members.open({ account: MEMBER, region: 'us-east-1' });
    // The instances above are in eu-west-1: us-east-1 of the same account has none.
    expect(await ports.ec2.describeInstancesByTagKey('fleetwatch:dev:config')).toEqual([]);
  });
});

describe('OrganizationsPort', () => {
  it('lists the ACTIVE accounts under an OU, nested OUs included, and none outside it', async () => {
    const organizations = new OrganizationsClient(clientConfig());
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const root = (await organizations.send(new ListRootsCommand({}))).Roots![0]!.Id!;
    const unit = async (parent: string, name: string) =>
      (await organizations.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name }))).OrganizationalUnit!.Id!;
    const account = async (name: string, parent: string) => {
      const created = await organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
      const id = created.CreateAccountStatus!.AccountId!;
      await organizations.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }));
      return id;
    };
    const workloads = await unit(root, 'workloads');
    const production = await unit(workloads, 'production');
    const eu = await unit(production, 'eu');
    const sandbox = await unit(root, 'sandbox');
    const inScope = [await account('web', workloads), await account('api', production), await account('batch', eu)];
    const outside = await account('playground', sandbox);

    const accounts = await createAwsOrganizationAccess(testSettings({ ...ORGANIZATION_SETTINGS, organizationalUnits: [workloads] }), { endpoint: motoEndpoint() })!.organizations.accountsIn([workloads]);

    expect(accounts.sort()).toEqual(inScope.sort());
    expect(accounts).not.toContain(outside);
    expect(accounts).not.toContain(ACCOUNT_ID);
  });
});

describe('the packaged organization mode', () => {
  let hub: Template;
  let member: Template;
  let hubPath: string;
  let memberPath: string;

  beforeAll(async () => {
    // Inside the run's package directory, which the global teardown removes.
    const dir = path.join(path.dirname(templatePath(inject('template'))), 'organization');
    const packaged = await packageTemplate(dir, ['--param=organizationId=o-a1b2c3d4e5', '--param=memberAccounts=111111111111']);
    hubPath = templatePath(packaged);
    memberPath = path.join(dir, MEMBER_TEMPLATE_FILE);
    hub = await readTemplate(hubPath);
    member = JSON.parse(await readFile(memberPath, 'utf8')) as Template;
  }, 180_000);

  it('passes cfn-lint, hub and member', async () => {
    for (const template of [hubPath, memberPath]) expect((await cfnLint(template)).findings, template).toEqual([]);
  });

  it("has a members bus policy EventBridge accepts and gives back unchanged, from the template or put with PutPermission", async () => {
    const events = new EventBridgeClient(clientConfig());
    const bus = hub.Resources.MembersEventBus!.Properties as { Name: string; Policy: { Statement: { Resource: unknown }[] } };
    const arn = `arn:aws:events:${REGION}:${ACCOUNT_ID}:event-bus/${bus.Name}`;
    // The Resource is a Fn::Sub of pseudo parameters: what CloudFormation would give.
    const policy = { ...bus.Policy, Statement: bus.Policy.Statement.map((statement) => ({ ...statement, Resource: arn })) };

    await events.send(new CreateEventBusCommand({ Name: bus.Name }));
    await events.send(new PutPermissionCommand({ EventBusName: bus.Name, Policy: JSON.stringify(policy) }));
    const described = await events.send(new DescribeEventBusCommand({ Name: bus.Name }));

    expect(JSON.parse(described.Policy!)).toEqual(policy);
    expect(described.Arn).toBe(arn);
  });

  it("forwards from each member the same events the hub's own rules take: every sample to its function's rule, no near miss", async () => {
    const samples = await loadSamples();
    const keys = manifestKeys(samples);
    const forwarding = eventRules(member).map((rule) => ({ label: keys.find((key) => rule.name?.endsWith(`-${key}`)) ?? rule.logicalId, pattern: rule.pattern }));
    expect(forwarding.map((rule) => rule.label).sort()).toEqual([...keys].sort());
    expect(mismatches(samples, await route(forwarding, samples))).toEqual([]);
  });
});
