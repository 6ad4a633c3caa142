/**
 * `reconcile`: invoked by hand (`sls invoke -f reconcile --data '{"dryRun":true}'`) or by the
 * drift-sweep schedule. Validates the request, runs one reconcile and returns the report, or
 * with {"mode":"status"} returns the fleet's status per configuration.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { parseFunctionRequest } from '../lib/reconcile-request.js';
import { reconcile, type ReconcileReport } from '../lib/reconcile.js';
import { fleetStatus, type FleetStatus } from '../lib/status.js';
import { logger, metrics, runtime, tracer } from './runtime.js';

export const handler = middy(async (event: unknown): Promise<ReconcileReport | FleetStatus> => {
  const { settings, ports } = runtime();
  const parsed = parseFunctionRequest(event);
  if (parsed.mode === 'status') return fleetStatus(ports, settings);
  const { request } = parsed;
  logger.info('reconcile requested', { request });
  const report = await reconcile(ports, settings, request);
  logger.info('reconcile finished', { actions: report.actions, byAction: report.byAction, failed: report.failed });
  return report;
})
  // Reports can be larger than an X-Ray segment allows (64 KB): trace the call, not its response.
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
