/**
 * `npm start`: fleetwatch's main job on the simulated account. An existing, mixed fleet is there
 * before fleetwatch is deployed; the first reconcile onboards it; then new instances are launched
 * and onboarded by events alone. Prints what was done and the final state of every instance.
 */
import { formatReport, renderTable } from '../lib/entry/format.js';
import type { SimulatedAccount } from './account.js';
import { demoFleet } from './demo.js';
import type { SimulatedStack } from './stack.js';

const MINUTE = 60_000;

async function main(): Promise<void> {
  const { account, stack, launch, selector } = demoFleet();
  const { settings } = stack;
  const started = account.clock.now();
  console.log(`fleetwatch deployed to a simulated account (${account.accountId}, ${account.region}), stage ${settings.stage}`);
  console.log(`${account.stats().instances} instances exist; configurations: ${settings.configNames.join(', ')}\n`);
  await stack.settle(); // the parameters' Create events start (empty) rollouts

  console.log(formatReport(await stack.reconcile({ dryRun: true }), { color: process.stdout.isTTY }));
  console.log();
  const applied = await stack.reconcile({ dryRun: false });
  console.log(formatReport(applied, { color: process.stdout.isTTY }));
  await stack.settle();

  // New instances after the deploy: onboarded by the EC2 state-change event alone.
  launch(selector('web'), { registrationDelayMs: 20 * MINUTE });
  launch(selector('default'), { profileName: 'legacy-ssm' });
  await stack.settle();

  const check = await stack.reconcile({ dryRun: true });
  console.log(`\nAfter ${Math.round((account.clock.now() - started) / MINUTE)} simulated minutes: a new dry run plans ${check.actions} action(s).\n`);
  console.log(instanceTable(account, stack));

  const stats = account.stats();
  const sum = (counts: Partial<Record<string, number>>) => Object.values(counts).reduce<number>((total, n) => total + (n ?? 0), 0);
  console.log(
    `\nAPI calls (${stats.totalCalls}): ${Object.entries(stats.calls).map(([op, n]) => `${op} ${n}`).join(', ')}` +
      `\nthrottled and retried: ${sum(stats.throttled)}; throttling errors surfaced: ${sum(stats.throttlingErrors)}; ` +
      `work items dead-lettered: ${stats.deadLetters}; events rejected: ${stack.rejected.length}; events published: ${stats.eventsPublished}`,
  );
}

function instanceTable(account: SimulatedAccount, stack: SimulatedStack): string {
  const { settings } = stack;
  const rows = [...account.ec2.instances.values()]
    .map((instance) => {
      const record = account.record(instance.instanceId);
      const agent = account.agent(instance.instanceId);
      const association = account.ec2.activeAssociationOf(instance.instanceId);
      return [
        instance.instanceId,
        instance.platform,
        instance.tags[settings.selectorTagKey] ?? '-',
        instance.state,
        association?.profileName ?? '-',
        account.isManaged(instance.instanceId) ? 'yes' : 'no',
        agent.installed ? `${agent.running ? 'running' : 'stopped'}${agent.configVersion !== undefined ? ` ${agent.configParameter?.slice(settings.parameterPrefix.length)} v${agent.configVersion}` : ''}` : '-',
        record?.status ?? '-',
        record?.lastError ?? '',
      ];
    });
  return renderTable(['instance', 'platform', 'selects', 'state', 'profile', 'SSM', 'agent', 'status', 'note'], rows, {
    color: process.stdout.isTTY,
    tone: (column, value) =>
      column === 'status' ? ({ configured: 'green', failed: 'red', invalid: 'red', drift: 'yellow', unreachable: 'yellow' } as const)[value as 'failed'] : undefined,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
