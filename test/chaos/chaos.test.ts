/**
 * Issue 6's fault injection. `npm test` runs it on 300 instances; `npm run test:chaos` on
 * 10,000 (CHAOS_FLEET, see vitest.chaos.config.ts). After the storm and the sweep: every
 * reachable instance converged, every other one reported with its reason, no unhandled error,
 * and never two commands in flight for one instance.
 */
import { describe, expect, it } from 'vitest';
import { parameterName } from '../../lib/config.js';
import { expectConverged, FLEET_RUN_TIMEOUT, successfulCommands } from '../scenarios/helpers.js';
import { overlappingInvocations, runChaos, type ChaosRun, type Kind } from './scenario.js';

const FLEET = Number(process.env.CHAOS_FLEET ?? 300);
/** Real time grows with the fleet: about half a minute for 300, several minutes for 10,000 on a busy machine. */
const RUN_TIMEOUT = { timeout: Math.max(FLEET_RUN_TIMEOUT.timeout, FLEET * 60) };

/** Error log lines the run may write, and when. Anything else is a bug. */
const ALLOWED_ERRORS: { message: string; why: string; allowed(run: ChaosRun, line: { time: number; extra?: Record<string, unknown> }): boolean }[] = [
  {
    // During the storm an event handler can meet an injected fault on all three of Lambda's
    // attempts; AWS would send the event to the on-failure destination; the sweep covers it.
    message: 'event handler failed after retries',
    why: 'injected fault on every async attempt, storm only',
    allowed: (run, line) => line.time <= run.calmAt + 3 * 60_000 && /injected fault/.test(String(line.extra?.error)),
  },
  {
    // A command that keeps failing is given up on after maxCommandAttempts: reported, as designed.
    message: 'command failed, giving up',
    why: 'instances whose command always fails, or that were terminated',
    allowed: (run, line) => {
      const id = String(line.extra?.instanceId);
      return run.kinds.get(id) === 'failing' || run.account.instance(id)?.state === 'terminated';
    },
  },
];

/** The record statuses an instance that cannot converge may end in, each with a reason. */
const REPORTED = new Set(['unreachable', 'failed', 'invalid', 'drift', 'closed']);

describe(`chaos: ${FLEET} instances onboarded through throttling, server errors, races, terminations and lost events`, () => {
  it('converges every reachable instance, reports every other with its reason, never two commands in flight, none configured twice, no unhandled error', RUN_TIMEOUT, async () => {
    const run = await runChaos(FLEET);
    const { account, stack, kinds } = run;
    const selectorKey = stack.settings.selectorTagKey;

    const terminated = [...kinds.keys()].filter((id) => account.instance(id)?.state === 'terminated');
    const reachable = [...kinds].filter(
      ([id, kind]) => (kind === 'plain' || kind === 'profiled' || kind === 'doomed') && account.instance(id)?.state === 'running',
    );
    const converged = reachable.filter(([id]) => account.record(id)?.status === 'configured').length;
    const reported = [...kinds.keys()].filter((id) => REPORTED.has(account.record(id)?.status ?? '')).length;
    const stats = account.stats();
    const repeated = [...kinds.keys()].filter((id) => successfulCommands(account, stack, id) > 1).length;
    const sum = (counts: Partial<Record<string, number>>) => Object.values(counts).reduce<number>((total, n) => total + (n ?? 0), 0);
    console.log(
      `chaos ${FLEET}: ${run.storm.totalCalls} calls in the storm (${sum(run.storm.faults)} faults injected: ` +
        `${sum(run.storm.throttlingErrors)} throttling errors surfaced, ${sum(run.storm.throttled)} requests throttled by rate), ` +
        `${stats.totalCalls} calls in all; ${converged}/${reachable.length} reachable converged, ${reported} reported ` +
        `(${terminated.length} terminated: ${run.terminatedInFlight} with a command in flight, ${run.terminatedWaiting} waiting for SSM); ` +
        `${stats.commands} commands, ${repeated} instances configured more than once, ${stats.conflicts} conditional-write conflicts, ` +
        `${stats.deadLetters} work items dead-lettered, ${run.stack.lost.length} events lost to faults; ` +
        `${Math.round((stats.now - run.calmAt) / 60_000)} min after the storm; ${(run.realMs / 1000).toFixed(1)} s real`,
    );

    // Injected the faults it claims to.
    const calls = run.storm.totalCalls;
    const faults = sum(run.storm.faults);
    expect(faults / calls).toBeGreaterThan(0.2);
    expect(faults / calls).toBeLessThan(0.3);
    expect(run.terminatedInFlight).toBeGreaterThan(0);
    expect(stack.metric('EventsOutcome')).toBeGreaterThan(0);

    // Converges every reachable instance: profile, log groups, agent at the current version.
    // Grouped by what is wrong, so that a failure names the pattern rather than 5,000 ids.
    const notConverged = new Map<string, { count: number; example: unknown }>();
    for (const [id, kind] of reachable) {
      const record = account.record(id);
      const agent = account.agent(id);
      if (record?.status === 'configured') continue;
      const agentText = agent.configVersion === undefined ? 'agent not configured' : `agent at v${agent.configVersion}`;
      const key = `${record?.status ?? 'no record'}: ${record?.lastError ?? '-'} (${agentText})`;
      const entry = notConverged.get(key) ?? { count: 0, example: { id, kind, record } };
      entry.count++;
      notConverged.set(key, entry);
    }
    expect(Object.fromEntries(notConverged)).toEqual({});
    for (const [id] of reachable) expectConverged(account, stack, id, run.configOf.get(id)!);
    for (const configName of new Set(run.configOf.values())) {
      expect(account.parameters.latest(parameterName(stack.settings, configName))).toBeDefined();
    }

    // Reports every other selected instance with its reason.
    const expected: Record<Exclude<Kind, 'plain' | 'profiled'>, string> = {
      invalid: 'invalid',
      drift: 'drift',
      unreachable: 'unreachable',
      failing: 'failed',
      doomed: 'closed',
    };
    const misreported: unknown[] = [];
    for (const [id, kind] of kinds) {
      const record = account.record(id);
      const state = account.instance(id)?.state;
      if (state === 'terminated') {
        // Closed, or never recorded (terminated before any worker got to it under the storm).
        if (record && record.status !== 'closed') misreported.push({ id, kind, state, record });
        continue;
      }
      if (kind === 'plain' || kind === 'profiled' || kind === 'doomed') continue;
      const status = expected[kind];
      const reason = record?.lastError ?? '';
      if (record?.status !== status || reason.length === 0) misreported.push({ id, kind, status: record?.status, lastError: record?.lastError });
    }
    expect(misreported.slice(0, 5)).toEqual([]);
    // The selector tag value is untrusted input: an invalid one is reported, never acted on.
    for (const [id, kind] of kinds) {
      if (kind !== 'invalid') continue;
      expect(account.instance(id)?.tags[selectorKey]).toMatch(/^\.\.\//);
      expect(account.invocationsOn(id)).toEqual([]);
    }

    // Never has two commands in flight for one instance.
    const overlaps = [...kinds.keys()].flatMap((id) =>
      overlappingInvocations(run, id).map(([a, b]) => ({
        id,
        first: { commandId: a.command.commandId, requestedAt: a.command.requestedAt, endedAt: a.endedAt, status: a.status },
        second: { commandId: b.command.commandId, requestedAt: b.command.requestedAt, status: b.status },
      })),
    );
    expect(overlaps.slice(0, 5)).toEqual([]);
    for (const record of account.records()) expect(record.inFlight, record.instanceId).toBeUndefined();

    // Configures no instance twice: a lost outcome event or command-id write is settled from SSM, not sent again.
    expect([...kinds.keys()].filter((id) => successfulCommands(account, stack, id) > 1).slice(0, 5)).toEqual([]);

    // Raises no unhandled error.
    expect(run.unhandled).toEqual([]);
    expect(account.listenerErrors).toEqual([]);
    // Events lost after Lambda's retries: only to injected faults, only during the storm.
    expect(stack.lost.filter((lost) => !/injected fault/.test(lost.error))).toEqual([]);
    const unexpected = stack.logs
      .filter((line) => line.level === 'error')
      .filter((line) => !ALLOWED_ERRORS.some((allowed) => allowed.message === line.message && allowed.allowed(run, line)));
    expect(unexpected.slice(0, 5)).toEqual([]);

    // The operator reconcile that raced the workers and both sweeps completed without a failed action.
    expect(run.racing.instancesInScope).toBeGreaterThan(0);
    for (const sweep of run.sweeps) expect(sweep.failed).toBe(0);
    // The last sweep finds nothing left to do but what cannot be done, and the retries of
    // commands whose outcome event never arrived: it learns of those from SSM itself
    // (settledCommands), so each of its installs or configures is one of them.
    const last = run.sweeps[1]!;
    const commands = (last.byAction['install-and-configure'] ?? 0) + (last.byAction.configure ?? 0);
    expect(commands).toBeLessThanOrEqual(last.settledCommands ?? 0);
  });
});
