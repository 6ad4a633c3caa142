/**
 * `reconcile`: invoked by hand (`sls invoke -f reconcile --data '{"dryRun":true}'`) or by the
 * drift-sweep schedule. Validates the request, runs one reconcile, returns the report.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parseReconcileRequest } from '../lib/reconcile-request.js';
import { reconcile, type ReconcileReport } from '../lib/reconcile.js';
import { logger, metrics, runtime } from './runtime.js';

export const handler = middy(async (event: unknown): Promise<ReconcileReport> => {
  const { settings, ports } = runtime();
  const request = parseReconcileRequest(event);
  logger.info('reconcile requested', { request });
  const report = await reconcile(ports, settings, request);
  logger.info('reconcile finished', { actions: report.actions, byAction: report.byAction, failed: report.failed });
  return report;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
