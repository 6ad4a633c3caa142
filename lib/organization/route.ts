/**
 * Events in the organization mode. Member accounts' rules forward their events to the hub's bus,
 * and EventBridge keeps the source event's `account` and `region` when one bus forwards to
 * another: that pair names the cell an event is about. An event whose account or region is not in
 * the stage's scope is rejected here, logged with its account and counted, before any role is
 * assumed or any call made on its behalf (with a scope of OUs, an event that only enqueues has its
 * account checked by the worker instead: AdmitOptions); an event in scope is handled by the
 * single-account handler unchanged, on the ports of its cell (so the work items it enqueues carry
 * the cell).
 */
import { organizationOf, type Settings } from '../config.js';
import { onParameterChange, type EventEffect } from '../entry/events.js';
import { InvalidInputError } from '../errors.js';
import { cellKey, parseCellKey } from '../model/cell.js';
import type { Cell, OrganizationAccess, Ports } from '../ports.js';
import { cellSettings, invocationCells } from './cell-ports.js';
import { selectingInOrganization } from './deleted.js';
import { startOrgRollout, type OrgContext } from './rollout.js';
import { MemberScope } from './scope.js';

/** The cell an event is about: its envelope's account and region. Throws InvalidInputError when they are not an account-region. */
export function cellOfEvent(event: unknown, what: string): Cell {
  const { account, region } = (event ?? {}) as { account?: unknown; region?: unknown };
  try {
    return parseCellKey(`${String(account)}/${String(region)}`);
  } catch {
    throw new InvalidInputError(`malformed ${what} event: account ${JSON.stringify(account)} and region ${JSON.stringify(region)} name no account-region`);
  }
}

/** The single-account handler of an event, as lib/entry/events.ts exports it. */
export type EventHandler = (ports: Ports, settings: Settings, event: unknown) => Promise<EventEffect>;

/** An effect of an organization-mode event: the single-account effect and the cell it was handled in. */
export type RoutedEffect = EventEffect & { account: string; region: string };

/** The hub's ports and settings and its way into the organization, as the org-wide rollout takes them too. */
export type OrgEventContext = OrgContext;

/**
 * Rejects an event from outside the scope (InvalidInputError, after a log line naming the
 * account and the EventsOutOfScope count) and returns its cell otherwise. Nothing here calls a
 * member: the scope is the stage's list or the hub's own Organizations call.
 */
export async function admitEvent(context: OrgEventContext, scope: MemberScope, event: unknown, what: string, options: AdmitOptions = {}): Promise<Cell> {
  const cell = cellOfEvent(event, what);
  const why = await scope.outside(cell, options);
  if (why === undefined) return cell;
  context.ports.log.warn('event from outside the organization scope rejected; no role assumed', { account: cell.account, region: cell.region, event: what, why });
  context.ports.metrics.count('EventsOutOfScope');
  throw new InvalidInputError(`${what} event of ${cellKey(cell)} is outside the organization scope: ${why}`);
}

/**
 * Handles an event of a member cell with the single-account handler on the cell's ports and
 * settings (the cell's account and region, so the handler's own account and region check holds).
 * The member's role is assumed only when the handler calls the member.
 */
export async function handleInCell(context: OrgEventContext, handle: EventHandler, cell: Cell, event: unknown): Promise<RoutedEffect> {
  const ports = invocationCells(context.ports, context.organization).openLazily(cell);
  const effect = await handle(ports, cellSettings(context.settings, cell), event);
  return { ...effect, account: cell.account, region: cell.region };
}

/** The organization-mode branch of an event handler: scope first, then the single-account handler in the event's cell. */
export function routedToCell(handle: EventHandler, what: string, options: AdmitOptions = {}) {
  return async (context: OrgEventContext, event: unknown): Promise<RoutedEffect> => {
    const scope = new MemberScope(organizationOf(context.settings)!, context.organization.organizations);
    return handleInCell(context, handle, await admitEvent(context, scope, event, what, options), event);
  };
}

/**
 * How an event function checks the scope. One that only enqueues (an EC2 state or tag change)
 * does not ask Organizations (`askOrganizations: false`): with a scope of OUs it checks the
 * region, and the worker checks the account before any role is assumed. A burst of a thousand
 * launches is then a hundred Organizations walks (one per worker batch), not a thousand, and those
 * functions need no Organizations grant. With an account list the whole check is here, at no cost.
 */
export interface AdmitOptions {
  askOrganizations?: boolean;
}

/** Whether an event comes from the hub's own account and region (the operator's Parameter Store, say). */
export function fromHub(settings: Settings, event: unknown): boolean {
  const { account, region } = (event ?? {}) as { account?: unknown; region?: unknown };
  return account === settings.accountId && region === settings.region;
}

/**
 * Parameter Store Change in the organization mode. The hub's own parameter is the operator's
 * version: it starts the org-wide rollout, and its Delete reports the cells' instances that
 * select it (not the hub account's own). A member's parameter is a copy the hub wrote there (or
 * one written in the member): the cell's own rollout of it starts, as in a single account, and the
 * org-wide rollout follows that rollout of the member version it wrote.
 */
export function onOrgParameterChange(context: OrgEventContext, event: unknown): Promise<EventEffect | RoutedEffect> {
  if (fromHub(context.settings, event)) {
    return onParameterChange(
      context.ports,
      context.settings,
      event,
      (ports, settings, configName) => startOrgRollout({ ports, settings, organization: context.organization }, configName),
      selectingInOrganization,
    );
  }
  return routedToCell(onParameterChange, 'Parameter Store change')(context, event);
}

/** What a function's runtime holds: the organization access is there in the organization mode. */
export interface EventRuntime {
  ports: Ports;
  settings: Settings;
  organization?: OrganizationAccess;
}

/**
 * The handler an event function runs: the single-account one as it is, or in the organization
 * mode the organization's branch (`org`, by default the single-account one routed to its cell).
 */
export function eventHandlerFor(
  runtime: EventRuntime,
  handle: EventHandler,
  what: string,
  org: (context: OrgEventContext, event: unknown) => Promise<EventEffect> = routedToCell(handle, what),
): EventHandler {
  if (organizationOf(runtime.settings) === undefined) return handle;
  const organization = organizationAccess(runtime);
  return (ports, settings, event) => org({ ports, settings, organization }, event);
}

/**
 * The runtime's way into the organization, which the organization mode cannot do without: a
 * runtime built without it would otherwise act on the hub's own account as if it were the fleet.
 */
export function organizationAccess(runtime: EventRuntime): OrganizationAccess {
  if (!runtime.organization) throw new Error('the organization mode is set but the runtime has no way into the organization');
  return runtime.organization;
}
