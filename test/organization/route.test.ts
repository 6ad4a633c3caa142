/**
 * Events in the organization mode (lib/organization/route.ts): the scope decides before any role
 * is assumed; an event in scope is the single-account handler's, in its cell; the hub's own
 * Parameter Store change starts the org-wide rollout.
 */
import { describe, expect, it } from 'vitest';
import { organizationOf, parameterName } from '../../lib/config.js';
import { onCommandInvocation, onInstanceStateChange } from '../../lib/entry/events.js';
import { InvalidInputError } from '../../lib/errors.js';
import { lazyMemberPorts } from '../../lib/organization/lazy-member.js';
import { orgRolloutKey } from '../../lib/organization/rollout.js';
import { admitEvent, cellOfEvent, eventHandlerFor, onOrgParameterChange, routedToCell, type OrgEventContext } from '../../lib/organization/route.js';
import { MemberScope } from '../../lib/organization/scope.js';
import { handleOrgWorkItems } from '../../lib/organization/worker.js';
import type { Cell, Log, MembersPort, OrganizationsPort } from '../../lib/ports.js';
import type { SimulatedOrganization } from '../../local/organization.js';
import { organization } from './helpers.js';

const stateChange = (cell: Cell, instanceId = 'i-0123456789abcdef0') => ({
  source: 'aws.ec2',
  'detail-type': 'EC2 Instance State-change Notification',
  account: cell.account,
  region: cell.region,
  detail: { 'instance-id': instanceId, state: 'running' },
});

function recordingLog(): Log & { lines: { message: string; extra?: Record<string, unknown> }[] } {
  const lines: { message: string; extra?: Record<string, unknown> }[] = [];
  const write = (message: string, extra?: Record<string, unknown>) => void lines.push({ message, ...(extra && { extra }) });
  return { lines, debug: write, info: write, warn: write, error: write };
}

function hubContext(org: SimulatedOrganization, settings: ReturnType<typeof organization>['settings']) {
  const log = recordingLog();
  const counts = new Map<string, number>();
  const ports = org.hub.ports({ log, metrics: { count: (name, value = 1) => counts.set(name, (counts.get(name) ?? 0) + value) } });
  const context: OrgEventContext = { ports, settings, organization: org.access() };
  return { context, log, counts };
}

/** An OrganizationsPort that counts its calls. */
function countingOrganizations(accounts: string[]): OrganizationsPort & { calls: number } {
  const port = { calls: 0, accountsIn: async () => (port.calls++, accounts) };
  return port;
}

describe('MemberScope', () => {
  it('asks Organizations once per invocation, however many events it admits', async () => {
    const { settings } = organization({}, { memberAccounts: [], organizationalUnits: ['ou-ab12-members01'] });
    const organizations = countingOrganizations(['100000000001']);
    const scope = new MemberScope(organizationOf(settings)!, organizations);
    expect(await scope.outside({ account: '100000000001', region: 'eu-west-1' })).toBeUndefined();
    expect(await scope.outside({ account: '100000000002', region: 'eu-west-1' })).toMatch(/account 100000000002 is not in the stage's scope \(organizational units ou-ab12-members01\)/);
    expect(await scope.cells()).toEqual([
      { account: '100000000001', region: 'eu-west-1' },
      { account: '100000000001', region: 'us-east-1' },
    ]);
    expect(organizations.calls).toBe(1);
  });

  it('does not keep a failed answer: the next caller asks again', async () => {
    const { settings } = organization({}, { memberAccounts: [], organizationalUnits: ['ou-ab12-members01'] });
    let calls = 0;
    const scope = new MemberScope(organizationOf(settings)!, {
      accountsIn: async () => {
        if (calls++ === 0) throw new Error('Organizations throttled');
        return ['100000000001'];
      },
    });
    await expect(scope.outside({ account: '100000000001', region: 'eu-west-1' })).rejects.toThrow('Organizations throttled');
    expect(await scope.outside({ account: '100000000001', region: 'eu-west-1' })).toBeUndefined();
  });

  it('leaves out a region that is not a member region', async () => {
    const { settings } = organization();
    const scope = new MemberScope(organizationOf(settings)!, countingOrganizations([]));
    expect(await scope.outside({ account: '100000000001', region: 'ap-south-1' })).toMatch(/region ap-south-1 is not a member region/);
  });
});

describe('admitEvent', () => {
  it('rejects an event of an account outside the scope before any role is assumed, logging its account and counting it', async () => {
    const { org, settings } = organization({ accounts: 3 }, { memberAccounts: ['100000000001', '100000000002'] });
    const { context, log, counts } = hubContext(org, settings);
    const outside = { account: '100000000003', region: 'eu-west-1' };
    const scope = new MemberScope(organizationOf(settings)!, context.organization.organizations);
    await expect(admitEvent(context, scope, stateChange(outside), 'EC2 state-change')).rejects.toThrow(InvalidInputError);
    await expect(routedToCell(onInstanceStateChange, 'EC2 state-change')(context, stateChange(outside))).rejects.toThrow(/100000000003\/eu-west-1 is outside the organization scope/);
    expect(org.assumeRoles()).toBe(0);
    expect(counts.get('EventsOutOfScope')).toBe(2);
    expect(log.lines.filter((line) => line.extra?.account === '100000000003' && /outside the organization scope/.test(line.message))).toHaveLength(2);
    expect(org.hub.stats().queued).toBe(0);
  });

  it('rejects an event whose envelope names no account-region', () => {
    expect(() => cellOfEvent({ account: 'me', region: 'eu-west-1' }, 'EC2 state-change')).toThrow(/malformed EC2 state-change event/);
    expect(() => cellOfEvent(undefined, 'EC2 state-change')).toThrow(InvalidInputError);
  });
});

describe('an event that only enqueues, with a scope of OUs', () => {
  it('does not ask Organizations; the worker drops an outside account before assuming any role', async () => {
    const { org, settings } = organization(
      { accounts: 3, units: { 'ou-ab12-members01': ['100000000001', '100000000002'], 'ou-ab12-elsewhere': ['100000000003'] } },
      { memberAccounts: [], organizationalUnits: ['ou-ab12-members01'] },
    );
    const { context, counts } = hubContext(org, settings);
    const organizations = countingOrganizations(['100000000001', '100000000002']);
    const withCount = { ...context, organization: { ...context.organization, organizations } };
    const outside = { account: '100000000003', region: 'eu-west-1' };
    const route = routedToCell(onInstanceStateChange, 'EC2 state-change', { askOrganizations: false });
    expect(await route(withCount, stateChange(outside))).toMatchObject({ effect: 'enqueued' });
    // A region outside the member regions is still refused at the event.
    await expect(route(withCount, stateChange({ account: '100000000001', region: 'ap-south-1' }))).rejects.toThrow(/region ap-south-1 is not a member region/);
    expect(organizations.calls).toBe(0);

    const items = [...org.hub.queue.messages.values()].map((message) => message.body);
    const [result] = await handleOrgWorkItems(withCount, items);
    expect(result).toMatchObject({ failed: 0, lines: [{ outcome: 'skipped', detail: expect.stringMatching(/100000000003\/eu-west-1 is outside the scope/) }] });
    expect(organizations.calls).toBe(1);
    expect(org.assumeRoles()).toBe(0);
    expect(counts.get('WorkItemsOutOfScope')).toBe(1);
  });
});

describe('an event in scope', () => {
  it('is enqueued with its cell, and no role is assumed to enqueue it', async () => {
    const { org, settings } = organization();
    const { context } = hubContext(org, settings);
    const cell = { account: '100000000002', region: 'us-east-1' };
    const effect = await routedToCell(onInstanceStateChange, 'EC2 state-change')(context, stateChange(cell));
    expect(effect).toMatchObject({ effect: 'enqueued', instanceId: 'i-0123456789abcdef0', account: cell.account, region: cell.region });
    expect([...org.hub.queue.messages.values()].map((message) => message.body)).toEqual([{ instanceId: 'i-0123456789abcdef0', reason: 'state running', attempt: 0, cell }]);
    expect(org.assumeRoles()).toBe(0);
  });

  it('a command outcome the hub has no record of is dropped without calling the member', async () => {
    const { org, settings } = organization();
    const { context } = hubContext(org, settings);
    const cell = { account: '100000000001', region: 'eu-west-1' };
    const event = {
      source: 'aws.ssm',
      'detail-type': 'EC2 Command Invocation Status-change Notification',
      account: cell.account,
      region: cell.region,
      detail: { 'command-id': '11111111-2222-4333-8444-555555555555', 'document-name': settings.documentName, 'instance-id': 'i-0123456789abcdef0', status: 'Success' },
    };
    expect(await routedToCell(onCommandInvocation, 'command invocation status-change')(context, event)).toMatchObject({ effect: 'outcome', outcome: 'ignored' });
    expect(org.assumeRoles()).toBe(0);
  });
});

describe('Parameter Store change in the organization mode', () => {
  it("the hub's own parameter starts the org-wide rollout over the cells in scope", async () => {
    const { org, settings } = organization();
    const { context } = hubContext(org, settings);
    org.hub.putParameter(parameterName(settings, 'web'), org.member({ account: '100000000001', region: 'eu-west-1' }).parameters.latest(parameterName(settings, 'web'))!.value);
    const event = {
      source: 'aws.ssm',
      'detail-type': 'Parameter Store Change',
      account: org.hub.accountId,
      region: org.hub.region,
      detail: { operation: 'Create', name: parameterName(settings, 'web') },
    };
    expect(await onOrgParameterChange(context, event)).toMatchObject({ effect: 'enqueued', rollout: 'web', version: 1 });
    expect(org.hub.rollout(orgRolloutKey('web'))).toMatchObject({
      status: 'in-progress',
      version: 1,
      organization: { order: ['100000000001/eu-west-1', '100000000001/us-east-1', '100000000002/eu-west-1', '100000000002/us-east-1'], cells: {} },
    });
    expect([...org.hub.queue.messages.values()].map((message) => message.body)).toEqual([{ rollout: orgRolloutKey('web'), reason: 'v1 written', attempt: 0 }]);
    // Nothing in any member yet: the worker takes the canary step.
    expect(org.assumeRoles()).toBe(0);
  });
});

describe('eventHandlerFor', () => {
  it('is the single-account handler itself when the stage has no organization', async () => {
    const { org } = organization();
    const { context } = hubContext(org, { ...organization().settings, organizationId: undefined });
    expect(eventHandlerFor({ ports: context.ports, settings: context.settings }, onInstanceStateChange, 'EC2 state-change')).toBe(onInstanceStateChange);
  });

  it('refuses an organization-mode runtime without a way into the organization', () => {
    const { org, settings } = organization();
    expect(() => eventHandlerFor({ ports: org.hub.ports(), settings }, onInstanceStateChange, 'EC2 state-change')).toThrow(/no way into the organization/);
  });
});

describe('lazyMemberPorts', () => {
  it('opens the cell on its first call only, once, and is not a promise', async () => {
    const { org } = organization();
    let opens = 0;
    const cell = { account: '100000000001', region: 'eu-west-1' };
    const members: MembersPort = { open: (c) => (opens++, org.access().members().open(c)) };
    const ports = lazyMemberPorts(members, cell);
    expect(await Promise.resolve(ports.ssm)).toBe(ports.ssm);
    expect(opens).toBe(0);
    await ports.ssm.getParameters(['nope']);
    await ports.ec2.describeInstances([]);
    expect(opens).toBe(1);
  });
});
