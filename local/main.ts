/**
 * `npm start`: fleetwatch's main job on the simulated account. An existing, mixed fleet is there
 * before fleetwatch is deployed; the first reconcile onboards it; then new instances are launched
 * and onboarded by events alone. Prints what was done and the final state of every instance.
 */
import { formatReport, renderTable } from '../lib/format.js';
import { SimulatedAccount } from './account.js';
import { SimulatedStack } from './stack.js';

const MINUTE = 60_000;

async function main(): Promise<void> {
  const account = new SimulatedAccount({ seed: 7, latencyMs: 20 });
  const stack = new SimulatedStack(account, { settings: { configNames: SimulatedStack.bundledConfigNames() } });
  const { settings } = stack;
  const tag = (value: string) => ({ Name: `app-${value}`, [settings.selectorTagKey]: value });
  const started = account.clock.now();

  // The fleet as it is before fleetwatch: some instances have a profile, most do not.
  account.createRole('app-role', []);
  account.createInstanceProfile('app-profile', { roleName: 'app-role', propagated: true });
  account.createManagedProfile('legacy-ssm', 'legacy-ssm-role');
  const launch = (tags: Record<string, string>, options: Parameters<SimulatedAccount['launchInstance']>[0] = {}) =>
    account.launchInstance({ tags, registrationDelayMs: 3 * MINUTE, ...options }).instanceId;
  launch(tag('default'));
  launch(tag('default'), { profileName: 'legacy-ssm' });
  launch(tag('web'));
  launch(tag('web'), { profileName: 'legacy-ssm', registrationDelayMs: 12 * MINUTE });
  launch(tag('windows'), { platform: 'windows' });
  launch(tag('windows'), { platform: 'windows', profileName: 'legacy-ssm' });
  launch({ Name: 'untagged' });
  launch({ Name: 'bastion', [settings.selectorTagKey]: '../x' });
  launch(tag('web'), { profileName: 'app-profile' });
  launch(tag('default'), { state: 'stopped' });

  stack.deploy();
  console.log(`fleetwatch deployed to a simulated account (${account.accountId}, ${account.region}), stage ${settings.stage}`);
  console.log(`${account.stats().instances} instances exist; configurations: ${settings.configNames.join(', ')}\n`);
  await stack.settle(); // the parameters' Create events start (empty) rollouts

  console.log(formatReport(await stack.reconcile({ dryRun: true }), { color: process.stdout.isTTY }));
  console.log();
  const applied = await stack.reconcile({ dryRun: false });
  console.log(formatReport(applied, { color: process.stdout.isTTY }));
  await stack.settle();

  // New instances after the deploy: onboarded by the EC2 state-change event alone.
  launch(tag('web'), { registrationDelayMs: 20 * MINUTE });
  launch(tag('default'), { profileName: 'legacy-ssm' });
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
