/**
 * --local: the same requests against the simulated account (local/demo.ts), no AWS account needed.
 * Each run starts from a freshly deployed stack over the demo fleet, so `plan --local` shows what
 * the first reconcile after a deploy would do, and `status --local` what the fleet looks like once
 * that reconcile has been applied and everything it started has finished.
 */
import type { ReconcileReport, ReconcileRequest } from '../lib/entry/reconcile.js';
import { fleetStatus, type FleetStatus } from '../lib/entry/status.js';
import { demoFleet } from '../local/demo.js';
import type { Progress } from './progress.js';

export interface LocalOptions {
  /** Extra selected instances on top of the demo fleet. */
  fleetSize: number;
  progress: Progress;
}

export interface LocalSetting {
  /** One line naming the simulated account, for people (never in --json output). */
  description: string;
}

export interface LocalReconcile extends LocalSetting {
  report: ReconcileReport;
  /** After an apply: the fleet once the work queue and every command have finished. */
  settled?: { status: FleetStatus; virtualMinutes: number };
}

const MINUTE = 60_000;

async function deployed(options: LocalOptions) {
  options.progress.phase('deploying the simulated stack');
  const demo = demoFleet({ extra: options.fleetSize });
  // The deploy's parameter Create events start the (empty) first rollouts, as in AWS.
  await demo.stack.settle();
  const { account, stack } = demo;
  const description = `simulated account ${account.accountId} (${account.region}), stage ${stack.settings.stage}, ${account.stats().instances} instances`;
  return { account, stack, description };
}

export async function localReconcile(request: ReconcileRequest, options: LocalOptions): Promise<LocalReconcile> {
  const { account, stack, description } = await deployed(options);
  options.progress.phase(request.dryRun ? 'observing and planning' : 'observing, planning and applying');
  const report = await stack.reconcile(request);
  if (request.dryRun) return { report, description };
  const started = account.clock.now();
  // What apply started (commands, instances waiting to register) finishes on the virtual clock.
  options.progress.phase('waiting for commands and the work queue (simulated time)');
  await stack.settle();
  const status = await fleetStatus(stack.ports(), stack.settings);
  return { report, description, settled: { status, virtualMinutes: Math.round((account.clock.now() - started) / MINUTE) } };
}

export async function localStatus(options: LocalOptions): Promise<LocalSetting & { status: FleetStatus }> {
  const { stack, description } = await deployed(options);
  // A status of a fleet nothing has touched is all zeroes: onboard it first, as a deploy would.
  options.progress.phase('onboarding the demo fleet');
  await stack.reconcile({ dryRun: false, action: 'ensure' });
  options.progress.phase('waiting for commands and the work queue (simulated time)');
  await stack.settle();
  options.progress.phase('reading status');
  return { status: await fleetStatus(stack.ports(), stack.settings), description };
}
