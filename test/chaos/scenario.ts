/**
 * The fault-injection sweep (issue 6): a fleet onboarded by events while the account throttles
 * 20% of calls and fails 5% with server errors, the managed profile is still propagating in IAM,
 * events arrive three times and out of order, 30% of command outcome events never arrive, and
 * some instances are terminated while their command runs or while they wait for SSM. Then the
 * storm passes, an operator's reconcile races the workers, and the scheduled sweep runs twice.
 * What is left is checked by test/chaos/chaos.test.ts.
 */
import { alwaysFail, SimulatedAccount, takes, type SimInvocation } from '../../local/index.js';
import { SimulatedStack } from '../../local/stack.js';
import type { ReconcileReport } from '../../lib/entry/reconcile.js';

export const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The faults of the issue: each call surfaces a throttle with p 0.2 or a server error with p 0.05. */
export const STORM = { '*': { throttle: 0.2, unavailable: 0.05 } } as const;
/** Longer than the executor's IAM propagation retries (2 + 5 + 10 s, lib/model/timing.ts): some associations fail and come back. */
const IAM_PROPAGATION_MS = 25_000;
/** How long a doomed instance's command runs: long enough to be terminated in flight. */
const DOOMED_COMMAND_MS = 20 * MINUTE;

/** What each instance was made to be; the checks derive the expected end state from it and the world. */
export type Kind = 'plain' | 'profiled' | 'invalid' | 'drift' | 'unreachable' | 'failing' | 'doomed';

function kindOf(index: number): Kind {
  switch (index % 50) {
    case 0:
      return 'invalid';
    case 1:
      return 'drift';
    case 2:
      return 'unreachable';
    case 3:
      return 'failing';
    case 4:
    case 5:
      return 'doomed';
    default:
      return index % 50 < 21 ? 'profiled' : 'plain';
  }
}

export interface ChaosRun {
  account: SimulatedAccount;
  stack: SimulatedStack;
  kinds: Map<string, Kind>;
  configOf: Map<string, string>;
  /** Virtual time the faults were lifted. */
  calmAt: number;
  /** The operator's reconcile that raced the workers, and the two sweeps after. */
  racing: ReconcileReport;
  sweeps: ReconcileReport[];
  /** Errors nobody caught: unhandled rejections while the run went on. */
  unhandled: unknown[];
  terminatedInFlight: number;
  terminatedWaiting: number;
  /** Calls, throttles and faults of the storm phase alone. */
  storm: ReturnType<SimulatedAccount['stats']>;
  realMs: number;
}

export async function runChaos(fleetSize: number, seed = 61): Promise<ChaosRun> {
  const realStart = performance.now();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const account = new SimulatedAccount({ seed, latencyMs: 20, iamPropagationDelayMs: IAM_PROPAGATION_MS });
    const stack = new SimulatedStack(account, {
      settings: { configNames: SimulatedStack.bundledConfigNames() },
      eventCopies: 3,
      eventJitterMs: 90_000,
      dropCommandEvents: 0.3,
    });
    const { settings } = stack;
    stack.deploy();
    await stack.settle();
    // The stack was deployed a moment ago: its instance profile is as new as IAM makes it, and
    // EC2 answers "Invalid IAM Instance Profile name" for a while (deploy() marks it propagated).
    account.iam.profiles.get(settings.managedProfileName)!.visibleAt = account.clock.now() + IAM_PROPAGATION_MS;
    // A foreign profile whose role has neither policy: reported as drift in the default report mode.
    account.createRole('bare-role', []);
    account.createInstanceProfile('bare-profile', { roleName: 'bare-role', propagated: true });

    account.setFaults(STORM);
    account.resetCalls();
    const kinds = new Map<string, Kind>();
    const configOf = new Map<string, string>();
    const configs = settings.configNames;
    for (let index = 0; index < fleetSize; index++) {
      const kind = kindOf(index);
      const configName = configs[index % configs.length]!;
      const { instanceId } = account.launchInstance({
        tags: { Name: `chaos-${index}`, [settings.selectorTagKey]: kind === 'invalid' ? `../${configName}` : configName },
        platform: configName === 'windows' ? 'windows' : 'linux',
        // Unreachable: the SSM agent never comes up within the run (24 h).
        registrationDelayMs: kind === 'unreachable' ? 24 * HOUR : (1 + (index % 20)) * MINUTE,
        ...(kind === 'profiled' && { profileName: settings.managedProfileName }),
        ...(kind === 'drift' && { profileName: 'bare-profile' }),
        ...(kind === 'failing' && { commandOutcome: alwaysFail('amazon-cloudwatch-agent-ctl: E! config translation failed') }),
        ...(kind === 'doomed' && { commandOutcome: takes(DOOMED_COMMAND_MS) }),
      });
      kinds.set(instanceId, kind);
      configOf.set(instanceId, configName);
    }

    // Instances terminated mid-flight: a doomed one as soon as its command is InProgress; half
    // of the unreachable ones while they wait for SSM, ten minutes in.
    let terminatedInFlight = 0;
    let terminatedWaiting = 0;
    const doomed = new Set([...kinds].filter(([, kind]) => kind === 'doomed').map(([id]) => id));
    const watchUntil = account.clock.now() + 2 * HOUR;
    const watch = () => {
      for (const id of doomed) {
        if (account.invocationsOn(id).some((invocation) => invocation.status === 'InProgress')) {
          account.terminate(id);
          doomed.delete(id);
          terminatedInFlight++;
        }
      }
      if (doomed.size && account.clock.now() < watchUntil) account.clock.setTimer(MINUTE, watch);
    };
    account.clock.setTimer(MINUTE, watch);
    account.clock.setTimer(10 * MINUTE, () => {
      const waiting = [...kinds].filter(([, kind]) => kind === 'unreachable').map(([id]) => id);
      for (const id of waiting.filter((_, i) => i % 2 === 0)) {
        account.terminate(id);
        terminatedWaiting++;
      }
    });

    // The storm: events, the queue and the workers run with faults for 40 virtual minutes.
    await stack.settle(40 * MINUTE);
    const storm = account.stats();

    // The storm passes. An operator's reconcile races the workers still draining the queue
    // (registration waits, retries, late copies of events): two Lambdas on one instance at once.
    account.setFaults({});
    const calmAt = account.clock.now();
    const [racing] = await Promise.all([
      account.clock.sleep(5_000).then(() => stack.reconcile({ lineLimit: 0 })),
      stack.settle(3 * HOUR),
    ]);
    await stack.settle(3 * HOUR);

    // The drift sweep, as the schedule runs it: twice, letting the work it starts finish.
    const sweeps: ReconcileReport[] = [];
    for (let i = 0; i < 2; i++) {
      sweeps.push(await stack.reconcile({ lineLimit: 0 }));
      await stack.settle(3 * HOUR);
    }
    return {
      account,
      stack,
      kinds,
      configOf,
      calmAt,
      racing,
      sweeps,
      unhandled,
      terminatedInFlight,
      terminatedWaiting,
      storm,
      realMs: performance.now() - realStart,
    };
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

/** Pairs of the service's invocations on one instance that were in flight at the same time. */
export function overlappingInvocations(run: ChaosRun, instanceId: string): [SimInvocation, SimInvocation][] {
  const { account, stack } = run;
  const now = account.clock.now();
  const ours = account
    .invocationsOn(instanceId)
    .filter((invocation) => invocation.command.documentName === stack.settings.documentName)
    .sort((a, b) => a.command.requestedAt - b.command.requestedAt);
  const overlaps: [SimInvocation, SimInvocation][] = [];
  for (let i = 1; i < ours.length; i++) {
    const previous = ours[i - 1]!;
    const next = ours[i]!;
    // In flight from SendCommand (requestedAt) until the invocation ended; one never ended is still in flight.
    if ((previous.endedAt ?? now) > next.command.requestedAt) overlaps.push([previous, next]);
  }
  return overlaps;
}
