/**
 * What every handler shares, built once per cold start: stage settings (a bad setting fails the
 * cold start, naming every problem), the Powertools logger, metrics and tracer, and the ports
 * from the one composition root in lib/aws/clients.ts.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { createAwsOrganizationAccess, createAwsPorts, loadAwsResources } from '../lib/aws/clients.js';
import { loadSettings } from '../lib/config.js';
import { KnownLogGroups } from '../lib/observation/known-log-groups.js';
import { AssociationBudget } from '../lib/apply/association-budget.js';
import type { Log, MetricSink } from '../lib/ports.js';
import type { Environment, Runtime } from './handler.js';

export const logger = new Logger({ serviceName: 'fleetwatch' });
export const metrics = new Metrics({ namespace: 'fleetwatch', serviceName: 'fleetwatch' });
/** X-Ray: a segment per invocation, a subsegment per AWS call (every client is captured as it is built). */
export const tracer = new Tracer({ serviceName: 'fleetwatch' });

const metricSink: MetricSink = {
  count: (name, value = 1, dimensions) => {
    if (!dimensions) return metrics.addMetric(name, MetricUnit.Count, value);
    // A count with its own dimensions (an account-region's) is its own metric object.
    const single = metrics.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, MetricUnit.Count, value);
  },
};

/** Powertools' Logger takes extra attributes as a rest argument; lib/ logs through this narrower shape. */
const log: Log = {
  debug: (message, extra) => logger.debug(message, extra ?? {}),
  info: (message, extra) => logger.info(message, extra ?? {}),
  warn: (message, extra) => logger.warn(message, extra ?? {}),
  error: (message, extra) => logger.error(message, extra ?? {}),
};

let built: Runtime | undefined;

/** Settings and ports, built on first use and kept for the life of the execution environment. */
export function runtime(): Runtime {
  if (!built) {
    const settings = loadSettings(process.env);
    const resources = loadAwsResources(process.env);
    // One memory of correct log groups and one share of EC2's association rate per execution
    // environment: they live as long as the container (only the worker uses the share).
    const ports = {
      ...createAwsPorts({ ...settings, ...resources }, { log, metrics: metricSink, instrument: (client) => tracer.captureAWSv3Client(client) }),
      knownLogGroups: new KnownLogGroups(),
      associationSlots: new AssociationBudget(settings.workerMaxConcurrency),
    };
    // The organization mode's ways into member accounts (undefined in the single-account mode).
    const organization = createAwsOrganizationAccess(settings, { log, metrics: metricSink, instrument: (client) => tracer.captureAWSv3Client(client) });
    built = { settings, ports, ...(organization && { organization }) };
  }
  return built;
}

/** The deployed environment: the runtime above, traced, with the Lambda context in every log line and metrics flushed per invocation. */
export const aws: Environment = {
  runtime,
  middlewares: [
    // Reports can be larger than an X-Ray segment allows (64 KB): trace the call, not its response.
    captureLambdaHandler(tracer, { captureResponse: false }),
    injectLambdaContext(logger),
    logMetrics(metrics),
  ],
};
