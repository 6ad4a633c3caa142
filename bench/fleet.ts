/**
 * The simulated account the bench runs on: the documented AWS rate limits (local/rate.ts
 * DEFAULT_RATES) and one fixed latency per API call, with the stack deployed into it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentConfig } from '../lib/agent/index.js';
import { SimulatedAccount } from '../local/index.js';
import { SimulatedStack, type StackOptions } from '../local/stack.js';

/** Round trip of every simulated API call. */
export const LATENCY_MS = 20;
export const MINUTE = 60_000;
export const CONFIG_DIR = join(import.meta.dirname, '..', 'agent', 'configs');

export function benchStack(options: { seed?: number; registrationDelayMs?: number } = {}, stackOptions: StackOptions = {}) {
  const account = new SimulatedAccount({
    seed: options.seed ?? 1,
    latencyMs: LATENCY_MS,
    ...(options.registrationDelayMs !== undefined && { registrationDelayMs: options.registrationDelayMs }),
  });
  const stack = new SimulatedStack(account, { ...stackOptions, settings: { configNames: SimulatedStack.bundledConfigNames(), ...stackOptions.settings } });
  stack.deploy();
  return { account, stack };
}

/** Log group names (templates) each bundled configuration names. */
export function logGroupTemplates(configName: string): string[] {
  const text = readFileSync(join(CONFIG_DIR, `${configName}.json`), 'utf8');
  return parseAgentConfig(configName, text).logGroups.map((group) => group.name);
}

/** The operations' calls that are not retries: what AccountStats.calls counts. */
export function sum(counts: Partial<Record<string, number>>, skip: readonly string[] = []): number {
  let total = 0;
  for (const [operation, n] of Object.entries(counts)) if (!skip.includes(operation)) total += n ?? 0;
  return total;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
