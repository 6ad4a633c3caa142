/**
 * `npm run bench`: one run on the simulated account (documented AWS rate limits, a fixed latency
 * per call) and on the packaged functions, one table per section. A row whose target is missed
 * says NO; the notes under each table give the set-up and the causes.
 */
import { coldStartSection } from './cold-start.js';
import { dryRun, dryRunSection } from './dry-run.js';
import { logGroupSection } from './log-groups.js';
import { machine } from './machine.js';
import { onboard, onboardingSection } from './onboarding.js';
import { ORGANIZATION_BENCH, organizationDryRun, organizationSection } from './organization.js';
import { PRICES } from './prices.js';
import { missed, render, type Section } from './report.js';
import { sweepCostSection } from './sweeps.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`fleetwatch bench: ${machine()}`);
  console.log(`command: npm run bench (${new Date().toISOString().slice(0, 10)})\n`);
  const sections: Section[] = [];
  const show = (section: Section) => {
    sections.push(section);
    console.log(`${render(section)}\n`);
  };
  const sweeps = [await dryRun(10_000), await dryRun(100_000)];
  show(dryRunSection(sweeps));
  // The organization: at the stage's default parallelism (every account-region at once), and with 16 at once.
  const organizations = [];
  for (const maxParallelCells of ORGANIZATION_BENCH.parallelism) organizations.push(await organizationDryRun({ ...ORGANIZATION_BENCH.shape, maxParallelCells }));
  show(organizationSection(organizations, await dryRun(ORGANIZATION_BENCH.shape.instancesPerCell)));
  show(onboardingSection(await onboard(1_000)));
  show(onboardingSection(await onboard(5_000)));
  show(sweepCostSection(sweeps[0]!));
  show(await logGroupSection(2_000));
  show(await coldStartSection());

  console.log(`Prices (bench/prices.ts): ${Object.values(PRICES).map((price) => `$${price.usd} per ${fmtPer(price.per)}${price.unit} (${price.source}, ${price.sourceDate})`).join('; ')}.\n`);
  const misses = missed(sections);
  console.log(
    misses.length === 0
      ? 'Every target met.'
      : `Targets missed (${misses.length}): ${misses.map((row) => row.metric).join('; ')}. See the notes under each table.`,
  );
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s of real time`);
}

const fmtPer = (per: number) => (per === 1 ? '' : `${per.toLocaleString('en-US')} `);

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
