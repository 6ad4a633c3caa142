/**
 * How a command ends on an instance. By default the document really runs against the simulated
 * agent (world/agent.ts) and succeeds or fails on its merits; a policy, per instance or for the
 * whole account, can force failures (e.g. 3% fail with a given error text) or change how long
 * commands run.
 */
import type { Random } from './random.js';

export interface CommandContext {
  instanceId: string;
  commandId: string;
  documentName: string;
  parameters: Record<string, string[]>;
  /** 1 for the first command this instance runs, 2 for the second, … */
  attempt: number;
  now: number;
  /** The account's seeded PRNG: repeatable per seed. */
  random: Random;
}

export interface CommandOutcome {
  /** Failed and TimedOut are forced; Success (or none) lets the document run and decide. */
  status?: 'Success' | 'Failed' | 'TimedOut';
  /** The output of the failing step, as ListCommandInvocations reports it. */
  output?: string;
  /** Default Failed, or ExecutionTimedOut for TimedOut. */
  statusDetails?: string;
  /** Time from InProgress to the end; default the account's commandDurationMs. */
  durationMs?: number;
}

export type CommandOutcomePolicy = (context: CommandContext) => CommandOutcome | undefined;

/** Fails this fraction of invocations (drawn from the seeded PRNG), with the error text as output. */
export function failFraction(fraction: number, output = 'Command execution failed'): CommandOutcomePolicy {
  return ({ random }) => (random() < fraction ? { status: 'Failed', output } : undefined);
}

/** Fails every invocation. */
export function alwaysFail(output = 'Command execution failed'): CommandOutcomePolicy {
  return () => ({ status: 'Failed', output });
}

/** Fails an instance's first n commands, then lets them run: a transient failure that retries cure. */
export function failFirst(n: number, output = 'Command execution failed'): CommandOutcomePolicy {
  return ({ attempt }) => (attempt <= n ? { status: 'Failed', output } : undefined);
}

/** Every command runs this long (e.g. to terminate an instance while its command is InProgress). */
export function takes(durationMs: number): CommandOutcomePolicy {
  return () => ({ durationMs });
}
