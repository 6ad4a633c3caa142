/**
 * `reconcile`: invoked by hand (`sls invoke -f reconcile --data '{"dryRun":true}'`) or by the
 * drift-sweep schedule. Validates the request, runs one reconcile and returns the report, or
 * with {"mode":"status"} returns the fleet's status per configuration.
 */
import { parseFunctionRequest } from '../../lib/entry/reconcile-request.js';
import { reconcile, type ReconcileReport } from '../../lib/entry/reconcile.js';
import { fleetStatus, type FleetStatus } from '../../lib/entry/status.js';
import { lambda, type Environment } from '../handler.js';

export const createHandler = (environment: Environment) =>
  lambda(async (event: unknown, { ports, settings }): Promise<ReconcileReport | FleetStatus> => {
    const parsed = parseFunctionRequest(event);
    if (parsed.mode === 'status') return fleetStatus(ports, settings);
    const { request } = parsed;
    ports.log.info('reconcile requested', { request });
    const report = await reconcile(ports, settings, request);
    ports.log.info('reconcile finished', { actions: report.actions, byAction: report.byAction, failed: report.failed });
    return report;
  }, environment);
