/**
 * `reconcile`: invoked by hand (`sls invoke -f reconcile --data '{"dryRun":true}'`) or by the
 * drift-sweep schedule. Validates the request, runs one reconcile and returns the report, or
 * with {"mode":"status"} returns the fleet's status per configuration. In the organization mode
 * (the stage's organizationId) the same runs once per member account-region, optionally only
 * those of {"accounts": [...], "regions": [...]}, and the report is the organization's.
 */
import { organizationOf, type Settings } from '../../lib/config.js';
import { InvalidInputError } from '../../lib/errors.js';
import { parseFunctionRequest, type CellSelection } from '../../lib/entry/reconcile-request.js';
import { reconcile, type ReconcileReport } from '../../lib/entry/reconcile.js';
import { fleetStatus, type FleetStatus } from '../../lib/entry/status.js';
import { reconcileOrganization, type OrganizationReconcileReport } from '../../lib/organization/reconcile.js';
import { organizationStatus, type OrganizationStatus } from '../../lib/organization/status.js';
import { lambda, type Environment, type Runtime } from '../handler.js';

/**
 * The single-account mode has one account and region, its own: a selection naming another is
 * refused rather than read as "nothing there".
 */
function checkOwnCell(settings: Settings, cells: CellSelection): void {
  const strays = [
    ...(cells.accounts ?? []).filter((account) => account !== settings.accountId).map((account) => `account ${account}`),
    ...(cells.regions ?? []).filter((region) => region !== settings.region).map((region) => `region ${region}`),
  ];
  if (strays.length) {
    throw new InvalidInputError(`stage ${settings.stage} covers account ${settings.accountId} in ${settings.region} only (no organization mode); not ${strays.join(', ')}`);
  }
}

export const createHandler = (environment: Environment) =>
  lambda(async (event: unknown, runtime: Runtime): Promise<ReconcileReport | FleetStatus | OrganizationReconcileReport | OrganizationStatus> => {
    const { ports, settings } = runtime;
    const parsed = parseFunctionRequest(event);
    const organization = organizationOf(settings);
    if (organization) {
      // Settings without the runtime's way into the members is a wiring fault, not the operator's.
      if (!runtime.organization) throw new Error('the organization mode is set but the runtime has no way into member accounts');
      const context = { hub: ports, settings, organization, access: runtime.organization };
      if (parsed.mode === 'status') return organizationStatus(context, parsed.cells);
      ports.log.info('organization reconcile requested', { request: parsed.request, cells: parsed.cells });
      const report = await reconcileOrganization(context, parsed.request, parsed.cells);
      ports.log.info('organization reconcile finished', { cells: report.cells, actions: report.totals.actions, failed: report.totals.failed });
      return report;
    }
    checkOwnCell(settings, parsed.cells);
    if (parsed.mode === 'status') return fleetStatus(ports, settings);
    const { request } = parsed;
    ports.log.info('reconcile requested', { request });
    const report = await reconcile(ports, settings, request);
    ports.log.info('reconcile finished', { actions: report.actions, byAction: report.byAction, failed: report.failed });
    return report;
  }, environment);
