/**
 * `npm start`: fleetwatch's main job on the simulated account. An existing, mixed fleet is there
 * before fleetwatch is deployed; the first reconcile onboards it; then two instances are launched
 * and onboarded by their events alone. Prints each step as it comes, the final state of every
 * instance, and what is left for a person (reports are not actions).
 */
import { processIo, useColor, type Io } from '../lib/entry/io.js';
import { formatReport, renderTable } from '../lib/entry/format.js';
import type { SimulatedAccount } from './account.js';
import { demoFleet } from './demo.js';
import type { SimulatedStack } from './stack.js';

const MINUTE = 60_000;
/** Record statuses that wait for a person: fleetwatch reported them and changes nothing. */
const NEEDS_A_PERSON = new Set(['invalid', 'drift']);

export async function start(io: Io = processIo()): Promise<void> {
  const color = useColor(io);
  const say = (...lines: string[]) => io.stdout.write(`${lines.join('\n')}\n`);
  const { account, stack, launch, selector } = demoFleet();
  const { settings } = stack;
  const started = account.clock.now();
  const minutes = () => Math.round((account.clock.now() - started) / MINUTE);
  const instances = [...account.ec2.instances.values()];
  const tagged = instances.filter((instance) => instance.tags[settings.selectorTagKey] !== undefined);
  say(
    `fleetwatch deployed to a simulated account (${account.accountId}, ${account.region}), stage ${settings.stage}; configurations: ${settings.configNames.join(', ')}`,
    `${instances.length} instances existed before the deploy: ${tagged.length} carry the selector tag ${settings.selectorTagKey} ` +
      `(${tagged.filter((instance) => instance.state !== 'running').length} of them stopped), ${instances.length - tagged.length} ${instances.length - tagged.length === 1 ? 'does' : 'do'} not.`,
    '',
  );
  await stack.settle(); // the parameters' Create events start (empty) rollouts

  say('1. The first reconcile as a dry run: what it would do.', '');
  say(formatReport(await stack.reconcile({ dryRun: true }), { color }), '');
  const applied = await stack.reconcile({ dryRun: false });
  const outcomes = Object.entries(applied.byOutcome ?? {}).map(([outcome, n]) => `${outcome} ${n}`).join(', ');
  // The lines of the plan above again, unless one went wrong: then all of them, with their outcome.
  say(
    `2. The same reconcile, applied: ${applied.actions} action(s), outcomes: ${outcomes}.`,
    ...(applied.failed > 0 ? ['', formatReport(applied, { color })] : []),
    '   Commands, SSM registrations and the work queue now run on the simulated clock.',
    '',
  );
  await stack.settle();

  const later = [
    { id: launch(selector('web'), { registrationDelayMs: 20 * MINUTE }), what: 'selects web, no instance profile, registers with SSM 20 min after it gets one' },
    { id: launch(selector('default'), { profileName: 'legacy-ssm' }), what: 'selects default, launched with the instance profile legacy-ssm' },
  ];
  say(
    `3. At ${minutes()} simulated minutes, ${later.length} more instances are launched. No reconcile runs: their EC2 running events alone onboard them.`,
    ...later.map(({ id, what }) => `   ${id}: ${what}`),
    '',
  );
  await stack.settle();

  say(`After ${minutes()} simulated minutes, every instance (${account.stats().instances}):`, '', instanceTable(account, stack, color), '');
  const check = await stack.reconcile({ dryRun: true });
  const waiting = [...account.ec2.instances.keys()].map((id) => account.record(id)).filter((record) => record && NEEDS_A_PERSON.has(record.status));
  say(`A new dry run plans ${check.actions} action(s).`);
  if (waiting.length) {
    say(
      `Reports are not actions: ${waiting.length} instance(s) wait for a person, and fleetwatch changes nothing on them:`,
      ...waiting.map((record) => `   ${record!.instanceId} ${record!.status}: ${record!.lastError ?? ''}`),
      'Each was reported once (its status above, a log line, the InvalidSelections or DriftReported metric); a plan reports it again only when what it reports changes.',
    );
  }

  const stats = account.stats();
  const sum = (counts: Partial<Record<string, number>>) => Object.values(counts).reduce<number>((total, n) => total + (n ?? 0), 0);
  say(
    '',
    `API calls (${stats.totalCalls}): ${Object.entries(stats.calls).map(([op, n]) => `${op} ${n}`).join(', ')}`,
    `throttled and retried: ${sum(stats.throttled)}; throttling errors surfaced: ${sum(stats.throttlingErrors)}; ` +
      `work items dead-lettered: ${stats.deadLetters}; events rejected: ${stack.rejected.length}; events published: ${stats.eventsPublished}`,
  );
}

function instanceTable(account: SimulatedAccount, stack: SimulatedStack, color: boolean): string {
  const { settings } = stack;
  const rows = [...account.ec2.instances.values()].map((instance) => {
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
    color,
    tone: (column, value) =>
      column === 'status' ? ({ configured: 'green', failed: 'red', invalid: 'red', drift: 'yellow', unreachable: 'yellow' } as const)[value as 'failed'] : undefined,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  start().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
