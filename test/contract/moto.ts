/** Shared fixtures for the contract tests: the moto endpoint, SDK client settings, the ports under test. */
import { inject } from 'vitest';
import { createAwsPorts } from '../../lib/aws/clients.js';
import { testSettings } from '../../lib/config.js';
import type { Ports } from '../../lib/ports.js';
import { ACCOUNT_ID, REGION } from './template.js';

export { ACCOUNT_ID, REGION };
export const TABLE = 'fleetwatch-dev-state';

export function motoEndpoint(): string {
  return inject('motoEndpoint');
}

/**
 * Settings for the SDK clients a test builds to arrange or inspect state on moto. One attempt:
 * a setup call that fails should fail the test now, not after the SDK's backoff.
 */
export function clientConfig() {
  return {
    region: REGION,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  };
}

/** The ports as production builds them (lib/aws/clients.ts), pointed at moto. */
export function contractPorts(resources: { workQueueUrl?: string } = {}): Ports {
  return createAwsPorts(
    {
      ...testSettings(),
      stateTableName: TABLE,
      workQueueUrl: resources.workQueueUrl ?? `${motoEndpoint()}/${ACCOUNT_ID}/unused`,
    },
    { endpoint: motoEndpoint() },
  );
}

/** Forgets every resource in every service: each file starts from an empty account. */
export async function resetMoto(): Promise<void> {
  const response = await fetch(`${motoEndpoint()}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: ${response.status} ${await response.text()}`);
}

/** Runs the calls with at most `limit` in flight: moto answers concurrent requests, one by one is slow. */
export async function inParallel<T>(count: number, limit: number, call: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await call(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
