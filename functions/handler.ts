/**
 * The one wrapper every function uses: a middy handler around a body that gets the event and the
 * runtime (settings and ports). Deployed, the runtime is built from the environment and the
 * middlewares are Powertools' tracer, logger context and metrics flush (runtime.ts); the simulated
 * account (local/stack.ts) builds the same handlers with its own runtime and no middlewares, so
 * every simulated run goes through the code here and in each function.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Settings } from '../lib/config.js';
import { InvalidInputError } from '../lib/errors.js';
import type { EventEffect } from '../lib/entry/events.js';
import type { OrganizationAccess, Ports } from '../lib/ports.js';
import { boundedForLog } from '../lib/support/bounded.js';

export interface Runtime {
  settings: Settings;
  ports: Ports;
  /** The organization mode's ways into member accounts (undefined in the single-account mode). */
  organization?: OrganizationAccess;
}

/** Where a handler runs: how it gets its runtime, and what wraps it. */
export interface Environment {
  runtime(): Runtime;
  middlewares: MiddlewareObj[];
}

export type FunctionHandler<E, R> = (event: E, context: Context) => Promise<R>;

export function lambda<E, R>(body: (event: E, runtime: Runtime) => Promise<R>, environment: Environment): FunctionHandler<E, R> {
  const handler = middy(async (event: E): Promise<R> => body(event, environment.runtime()));
  for (const middleware of environment.middlewares) handler.use(middleware);
  return handler as unknown as FunctionHandler<E, R>;
}

/** What an EventBridge-triggered function did with its event. Lambda drops the result of an async invocation; logs and tests read it. */
export type EventResult = { effects: EventEffect[] } | { rejected: string };

/**
 * The body of every EventBridge-triggered function. A malformed or unexpected event is logged with
 * its reason and counted (EventsRejected), then dropped: retrying it would fail the same way
 * forever. Anything else is rethrown, so Lambda's async retries and the on-failure destination do
 * their job.
 */
export function eventBody(handle: (ports: Ports, settings: Settings, event: unknown) => Promise<EventEffect>) {
  return async (event: unknown, { ports, settings }: Runtime): Promise<EventResult> => {
    try {
      const effect = await handle(ports, settings, event);
      ports.log.info(`event ${effect.effect}`, { ...effect });
      ports.metrics.count(`Events${effect.effect[0]!.toUpperCase()}${effect.effect.slice(1)}`);
      return { effects: [effect] };
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      // Bounded: whatever reached the function, logging it must not crash or flood the log.
      ports.log.warn('event rejected', { reason: boundedForLog(error.message), event: boundedForLog(event) });
      ports.metrics.count('EventsRejected');
      return { rejected: error.message };
    }
  };
}
