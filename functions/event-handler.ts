/**
 * The one wrapper every EventBridge-triggered handler uses. A malformed or unexpected event is
 * logged with its reason and counted (EventsRejected), then dropped: retrying it would fail the
 * same way forever. Anything else is rethrown, so Lambda's async retries and the on-failure
 * destination do their job.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { InvalidInputError } from '../lib/errors.js';
import type { EventEffect } from '../lib/onboarding.js';
import type { Settings } from '../lib/config.js';
import type { Ports } from '../lib/ports.js';
import { logger, metrics, runtime, tracer } from './runtime.js';

export function eventHandler(handle: (ports: Ports, settings: Settings, event: unknown) => Promise<EventEffect | EventEffect[]>) {
  return middy(async (event: unknown): Promise<void> => {
    const { ports, settings } = runtime();
    try {
      const effects = [await handle(ports, settings, event)].flat();
      for (const effect of effects) {
        logger.info(`event ${effect.effect}`, { ...effect });
        metrics.addMetric(`Events${effect.effect[0]!.toUpperCase()}${effect.effect.slice(1)}`, 'Count', 1);
      }
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      logger.warn('event rejected', { reason: error.message, event });
      metrics.addMetric('EventsRejected', 'Count', 1);
    }
  })
    // Reports can be larger than an X-Ray segment allows (64 KB): trace the call, not its response.
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
