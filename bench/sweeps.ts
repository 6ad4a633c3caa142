/**
 * Section 4: what the scheduled drift sweep costs a month at 10,000 instances. One sweep is the
 * dry-run reconcile of section 1 (a converged fleet: the sweep observes, plans, and finds little to
 * do); the reconcile function runs as long as it took on the simulated account, at its memory, as
 * often as serverless.yml's sweepSchedule says per stage.
 */
import { costOf, describeCost, totalUsd } from './cost.js';
import type { DryRunResult } from './dry-run.js';
import { PLANE_OF, SERVICE_OF } from '../local/calls.js';
import type { Operation } from '../local/index.js';
import { against, fmt, type Row, type Section } from './report.js';
import { sweepsPerMonth } from './serverless-yml.js';

const STAGES = ['dev', 'prod'];

export function sweepCostSection(sweep: DryRunResult): Section {
  const cost = costOf({
    calls: sweep.calls,
    invocations: [{ name: 'reconcile', ms: sweep.simulatedMs }],
    eventEntries: 0,
    scannedItems: sweep.tableItems,
  });
  const perSweep = totalUsd(cost);
  const callsOf = (plane: 'control' | 'data') =>
    (Object.entries(sweep.calls) as [Operation, number][]).filter(([operation]) => PLANE_OF[SERVICE_OF[operation]] === plane).reduce((total, [, count]) => total + count, 0);
  const rows: Row[] = [
    against(`control-plane calls per sweep of ${fmt(sweep.instances)}`, callsOf('control')),
    against(`data-plane calls per sweep of ${fmt(sweep.instances)}`, callsOf('data')),
    against('reconcile run time per sweep (s)', sweep.simulatedMs / 1000, {}, 1),
    { ...against('dollars per sweep', 0), measured: `$${perSweep.toFixed(4)}` },
    ...STAGES.map((stage) => {
      const sweeps = sweepsPerMonth(stage);
      return { ...against(`dollars per month of sweeps, stage ${stage} (${fmt(sweeps)} sweeps)`, 0), measured: `$${(perSweep * sweeps).toFixed(2)}` };
    }),
  ];
  return {
    title: `Scheduled sweeps of ${fmt(sweep.instances)} instances: cost per month`,
    rows,
    notes: [
      `One sweep = the dry-run reconcile of section 1 at ${fmt(sweep.instances)} instances (a converged fleet; a real sweep adds the calls of what it finds to do). ` +
        `Sweeps per 30-day month from serverless.yml params sweepSchedule. Prices: bench/prices.ts (US East list prices, free tiers left out).`,
      `Per sweep by item: ${describeCost(cost)}. Scan read units assume items of 512 bytes, read eventually consistent.`,
    ],
  };
}
