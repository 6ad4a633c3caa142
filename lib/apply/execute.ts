/**
 * The executor: applies a plan through the ports. Every action is an ensure, so applying the same
 * plan twice, or a plan made from stale state, converges instead of failing: AlreadyExists on a
 * create, an association that raced in, a command already in flight are all success or a skip.
 * One action failing never stops the others; each outcome is reported.
 */
import { logGroupTags, type Settings } from '../config.js';
import { mapWithConcurrency, settleWithConcurrency } from '../support/concurrency.js';
import {
  AlreadyExistsError,
  IamNotPropagatedError,
  IncorrectStateError,
  NotYetManagedError,
  ThrottledError,
  errorMessage,
} from '../errors.js';
import { type Action, type AgentCommand, isAgentCommand } from '../planning/plan.js';
import { RESERVE_HORIZON_MS, SLOT_WAIT_MS } from './association-budget.js';
import { workItemTarget, type AssociationSlots, type InstanceRecord, type InstanceWorkItem, type Ports, type WorkItem } from '../ports.js';
import * as lifecycle from '../model/lifecycle.js';
import { IAM_PROPAGATION_RETRY_DELAYS_MS, MINUTE_MS, OUTCOME_CHECK_DELAY_SECONDS, registrationDelaySeconds, throttledAssociationDelaySeconds } from '../model/timing.js';
import { transition } from './records.js';
import { SERVICE_EVENTS } from '../model/service-events.js';
import { documentParameters } from './agent-document.js';
import { chunk } from '../support/chunk.js';

export type OutcomeStatus = 'done' | 'skipped' | 'failed';

export interface ActionOutcome {
  action: Action;
  status: OutcomeStatus;
  /** Why it was skipped or failed, or the command id it sent. */
  detail?: string;
}

export interface ExecuteOptions {
  /** SendCommand rate control; an ensure lets one instance's failure not cancel the others. */
  maxConcurrency?: string;
  maxErrors?: string;
  /** Work items' attempts by instance id, for the delay before the next look at an instance waiting for SSM. */
  attempts?: Record<string, number>;
  /** The records the plan was made from, by instance id: the first conditional write needs no read. */
  records?: Map<string, InstanceRecord | undefined>;
  /**
   * The worker environment's share of EC2's association rate: associations take their slots from
   * it, and those whose slot is not near go back on the queue with it (association-budget.ts).
   */
  associationBudget?: AssociationSlots;
  /** Slots already reserved for these instances (work items sent back to wait for theirs), by instance id. */
  reservedSlots?: Record<string, number>;
}

/** SendCommand takes at most 50 instance ids. */
const SEND_COMMAND_MAX_IDS = 50;
/** SQS delays a message by at most 15 minutes. */
const MAX_QUEUE_DELAY_SECONDS = 900;
/** Calls started at once per phase. The ports' own retry and rate limits do the pacing. */
const PHASE_CONCURRENCY = 10;
/**
 * serverless.yml's worker batchSize. Instances sent back to wait for their association slots go
 * in groups of this many with one delay (the group's last slot): a group becomes visible at once
 * and comes back as one batch, one look, where a delay each would bring them back one by one.
 */
const REQUEUE_GROUP = 10;
/** Returns without a slot after which an instance reserves however far ahead its share is taken. */
const UNRESERVED_RETURNS = 3;

export async function execute(
  actions: Action[],
  ports: Ports,
  settings: Settings,
  options: ExecuteOptions = {},
): Promise<ActionOutcome[]> {
  const byPhase = (phase: Phase) => actions.filter((action) => phaseOf(action) === phase);
  const outcomes: ActionOutcome[] = [];
  // Order matters: a profile before anything the agent does; log groups before the agent is
  // configured, or the agent creates them itself with no retention, KMS key or tags.
  const waits: Requeue[] = [];
  const { due, slots, later } = scheduleAssociations(byPhase('profile'), ports.clock.now(), options);
  outcomes.push(...later.map(({ action, outcome }) => ({ action, ...outcome })));
  waits.push(...later.map(({ requeue }) => requeue));
  outcomes.push(...(await runEach(due, (action) => applyProfileAction(action, ports, options, waits, slots))));
  outcomes.push(...(await runEach(byPhase('logs'), (action) => applyLogGroupAction(action, ports, settings))));
  outcomes.push(...(await sendAgentCommands(byPhase('agent').filter(isAgentCommand), ports, settings, options)));
  // An instance whose association was throttled is already queued again, sooner than its wait.
  const requeued = new Set(waits.map(({ item }) => workItemTarget(item)));
  const records = byPhase('record').filter((action) => !(action.kind === 'wait-for-registration' && requeued.has(action.instanceId)));
  outcomes.push(...(await runEach(records, (action) => applyRecordAction(action, ports, settings, options, waits))));
  await enqueueWaits(ports, waits);
  return outcomes;
}

type Phase = 'profile' | 'logs' | 'agent' | 'record';

function phaseOf(action: Action): Phase {
  switch (action.kind) {
    case 'associate-profile':
    case 'attach-policies':
    case 'replace-profile':
      return 'profile';
    case 'create-log-group':
    case 'set-retention':
    case 'report-foreign-log-group':
      return 'logs';
    case 'install-and-configure':
    case 'configure':
    case 'restart':
    case 'stop':
    case 'uninstall':
      return 'agent';
    default:
      return 'record';
  }
}

async function runEach(
  actions: Action[],
  apply: (action: Action) => Promise<Omit<ActionOutcome, 'action'>>,
): Promise<ActionOutcome[]> {
  const settled = await settleWithConcurrency(actions, PHASE_CONCURRENCY, apply);
  return settled.map((result, index) => {
    const action = actions[index]!;
    return result.status === 'fulfilled'
      ? { action, ...result.value }
      : { action, status: 'failed', detail: errorMessage(result.reason) };
  });
}

const done = { status: 'done' } as const;

type Association = Extract<Action, { kind: 'associate-profile' }>;

/** Profile actions split by when they go: now (an association at its slot, at most SLOT_WAIT_MS away), or back on the queue. */
interface AssociationSchedule {
  due: Action[];
  /** The slot of each association that goes now. */
  slots: Map<string, number>;
  later: { action: Action; outcome: Omit<ActionOutcome, 'action'>; requeue: Requeue }[];
}

/**
 * Splits the profile actions into those to apply now and the associations whose slot in the
 * environment's share of EC2's rate is not near: those go back on the queue holding their slots,
 * REQUEUE_GROUP to a delay. Without a budget (the reconcile function) every association is due now.
 */
function scheduleAssociations(actions: Action[], now: number, options: ExecuteOptions): AssociationSchedule {
  const associations = actions.filter((action): action is Association => action.kind === 'associate-profile');
  const reserved = (action: Association) => options.reservedSlots?.[action.instanceId];
  const slotOf = new Map<Association, number>();
  const take = (those: Association[], until: number) =>
    (options.associationBudget?.reserve(those.length, now, until) ?? those.map(() => now)).forEach((slot, index) => slotOf.set(those[index]!, slot));
  // Within the horizon, except for an instance already sent back unreserved twice: every share is
  // taken (a storm larger than the horizon), and each further return would cost a look in vain.
  const unreserved = associations.filter((action) => reserved(action) === undefined);
  const outwaited = (action: Association) => (options.attempts?.[action.instanceId] ?? 0) >= UNRESERVED_RETURNS;
  take(unreserved.filter(outwaited), Infinity);
  take(unreserved.filter((action) => !outwaited(action)), now + RESERVE_HORIZON_MS);
  for (const action of associations) if (reserved(action) !== undefined) slotOf.set(action, reserved(action)!);

  const reservedLater = associations.filter((action) => slotOf.has(action) && slotOf.get(action)! > now + SLOT_WAIT_MS);
  const later: AssociationSchedule['later'] = chunk(reservedLater, REQUEUE_GROUP).flatMap((group) => {
    const delaySeconds = Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil((Math.max(...group.map((action) => slotOf.get(action)!)) - now) / 1000));
    return group.map((action) => {
      const associationSlot = slotOf.get(action)!;
      const item = { instanceId: action.instanceId, reason: 'association slot reserved', attempt: options.attempts?.[action.instanceId] ?? 0, associationSlot };
      return { action, outcome: { status: 'skipped' as const, detail: `association slot in ${Math.ceil((associationSlot - now) / 1000)} s; back in ${delaySeconds} s` }, requeue: { item, delaySeconds } };
    });
  });
  // No slot within the horizon: back soon, unreserved, to whichever share has room then; later
  // each time it finds none (a storm that takes every share), so that it is not looked at in vain.
  const unslotted = associations.filter((action) => !slotOf.has(action));
  for (const group of chunk(unslotted, REQUEUE_GROUP)) {
    const attempt = Math.max(...group.map((action) => options.attempts?.[action.instanceId] ?? 0));
    const delaySeconds = Math.min(RESERVE_HORIZON_MS / 1000, throttledAssociationDelaySeconds(attempt));
    for (const action of group) {
      const item = { instanceId: action.instanceId, reason: 'association rate taken', attempt: attempt + 1 };
      later.push({ action, outcome: { status: 'skipped', detail: `no association slot within ${RESERVE_HORIZON_MS / 1000} s; back in ${delaySeconds} s` }, requeue: { item, delaySeconds } });
    }
  }
  const waiting = [...reservedLater, ...unslotted];
  const deferred = new Set<Action>(waiting);
  const due = actions.filter((action) => !deferred.has(action));
  const slots = new Map(associations.filter((action) => !deferred.has(action)).map((action) => [action.instanceId, slotOf.get(action)!]));
  return { due, slots, later };
}

async function applyProfileAction(
  action: Action,
  ports: Ports,
  options: ExecuteOptions,
  requeues: Requeue[],
  slots: Map<string, number>,
): Promise<Omit<ActionOutcome, 'action'>> {
  switch (action.kind) {
    case 'associate-profile': {
      const wait = (slots.get(action.instanceId) ?? 0) - ports.clock.now();
      if (wait > 0) await ports.clock.sleep(wait);
      try {
        await withIamPropagationRetry(ports, () => ports.ec2.associateProfile(action.instanceId, action.profileName));
        return done;
      } catch (error) {
        // Another worker (or a person) associated a profile since we looked: the next look decides.
        if (error instanceof IncorrectStateError) return { status: 'skipped', detail: 'a profile was associated meanwhile' };
        // EC2's association bucket is empty (a launch storm): the instance goes back on the queue
        // and is associated when the bucket has refilled, rather than failing its work item.
        if (error instanceof ThrottledError) {
          const attempt = options.attempts?.[action.instanceId] ?? 0;
          const delaySeconds = Math.min(RESERVE_HORIZON_MS / 1000, throttledAssociationDelaySeconds(attempt));
          requeues.push({ item: { instanceId: action.instanceId, reason: 'association throttled', attempt: attempt + 1 }, delaySeconds });
          return { status: 'skipped', detail: `EC2 throttled the association; again in ${delaySeconds} s` };
        }
        throw error;
      }
    }
    case 'attach-policies':
      for (const arn of action.policyArns) await ports.iam.attachRolePolicy(action.roleName, arn);
      return done;
    case 'replace-profile':
      await withIamPropagationRetry(ports, () =>
        ports.ec2.replaceProfile(action.associationId, action.profileName, action.instanceId),
      );
      return done;
    default:
      throw new Error(`not a profile action: ${action.kind}`);
  }
}

async function withIamPropagationRetry<T>(ports: Pick<Ports, 'clock'>, call: () => Promise<T>): Promise<T> {
  for (const delay of IAM_PROPAGATION_RETRY_DELAYS_MS) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof IamNotPropagatedError)) throw error;
      await ports.clock.sleep(delay);
    }
  }
  return call();
}

async function applyLogGroupAction(action: Action, ports: Ports, settings: Settings): Promise<Omit<ActionOutcome, 'action'>> {
  switch (action.kind) {
    case 'create-log-group': {
      let existed = false;
      try {
        await ports.logs.createLogGroup({
          name: action.logGroupName,
          logGroupClass: action.logGroupClass,
          tags: logGroupTags(settings),
          ...(action.kmsKeyId && { kmsKeyId: action.kmsKeyId }),
        });
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        existed = true;
      }
      // Retention is a separate call; set it even when the group raced into existence.
      if (action.retentionInDays !== -1) await ports.logs.putRetentionPolicy(action.logGroupName, action.retentionInDays);
      rememberLogGroup(ports, action, logGroupTags(settings));
      return existed ? { status: 'skipped', detail: 'already existed; retention set' } : done;
    }
    case 'set-retention':
      await ports.logs.putRetentionPolicy(action.logGroupName, action.retentionInDays);
      rememberLogGroup(ports, action, ports.knownLogGroups?.get(action.logGroupName, ports.clock.now())?.tags);
      return done;
    case 'report-foreign-log-group':
      ports.metrics.count('ForeignLogGroups');
      ports.log.warn('log group not owned by this stage: retention left as it is', { logGroupName: action.logGroupName, detail: action.detail });
      return { status: 'skipped', detail: action.detail };
    default:
      throw new Error(`not a log group action: ${action.kind}`);
  }
}

function rememberLogGroup(ports: Ports, action: Extract<Action, { kind: 'create-log-group' | 'set-retention' }>, tags: Record<string, string> | undefined): void {
  ports.knownLogGroups?.remember(
    {
      name: action.logGroupName,
      ...(tags && { tags }),
      ...(action.retentionInDays !== -1 && { retentionInDays: action.retentionInDays }),
      ...('logGroupClass' in action && { logGroupClass: action.logGroupClass }),
      ...('kmsKeyId' in action && action.kmsKeyId && { kmsKeyId: action.kmsKeyId }),
    },
    ports.clock.now(),
  );
}

/**
 * Sends agent commands with the fewest SendCommand calls: instances that take the same action
 * with the same configuration version share one command (the port splits it into batches of 50).
 * Each instance is first claimed in the state table, so a racing worker cannot send a second one.
 */
async function sendAgentCommands(
  commands: AgentCommand[],
  ports: Ports,
  settings: Settings,
  options: ExecuteOptions,
): Promise<ActionOutcome[]> {
  const groups = new Map<string, AgentCommand[]>();
  for (const command of commands) {
    const key = `${command.kind}|${command.parameterName ?? ''}|${command.version ?? ''}|${command.agentVersion ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), command]);
  }
  const outcomes: ActionOutcome[] = [];
  const checks: SentUnderClaim[] = [];
  for (const group of groups.values()) {
    const result = await sendGroup(group, ports, settings, options);
    outcomes.push(...result.outcomes);
    checks.push(...result.sent);
  }
  // The outcome checks of every group at once: ten to a SendMessageBatch, not a partial batch a group.
  await enqueueOutcomeChecks(ports, checks);
  return outcomes;
}

/** A command that went out, with the claim it was sent under. */
type SentUnderClaim = { commandId: string; claimId: string; instanceIds: string[] };

async function sendGroup(
  group: AgentCommand[],
  ports: Ports,
  settings: Settings,
  options: ExecuteOptions,
): Promise<{ outcomes: ActionOutcome[]; sent: SentUnderClaim[] }> {
  const now = ports.clock.now();
  const claimId = lifecycle.claimIdAt(now);
  const claims = await settleWithConcurrency(group, PHASE_CONCURRENCY, (command) => claim(command, claimId, ports, settings, knownRecord(options, command.instanceId)));
  const outcomes: ActionOutcome[] = [];
  const claimed: AgentCommand[] = [];
  const stored = new Map<string, InstanceRecord | undefined>();
  claims.forEach((result, index) => {
    const command = group[index]!;
    if (result.status === 'rejected') outcomes.push({ action: command, status: 'failed', detail: errorMessage(result.reason) });
    else if ('stored' in result.value) {
      claimed.push(command);
      stored.set(command.instanceId, result.value.stored);
    } else outcomes.push({ action: command, status: 'skipped', detail: result.value.unchanged });
  });
  if (claimed.length === 0) return { outcomes, sent: [] };

  const first = claimed[0]!;
  const send = (ids: string[]) =>
    ports.ssm.sendCommand({
      documentName: settings.documentName,
      instanceIds: ids,
      parameters: documentParameters(first),
      maxConcurrency: options.maxConcurrency ?? settings.maxConcurrency,
      maxErrors: options.maxErrors ?? '100%',
      comment: `fleetwatch ${first.kind} ${first.configName ?? ''} v${first.version ?? ''}${first.agentVersion ? ` agent ${first.agentVersion}` : ''}`.slice(0, 100),
    });

  // One SendCommand per batch of 50 (its limit), called here rather than split inside the port,
  // so a failed call fails only its own batch: a batch already sent keeps its claims.
  const sent: { commandId: string; instanceIds: string[] }[] = [];
  const unmanaged: AgentCommand[] = [];
  const failed = new Map<string, string>();
  for (const batch of chunk(claimed, SEND_COMMAND_MAX_IDS)) {
    try {
      sent.push(...(await send(batch.map((command) => command.instanceId))));
    } catch (error) {
      if (!(error instanceof NotYetManagedError)) {
        for (const command of batch) failed.set(command.instanceId, errorMessage(error));
        continue;
      }
      // SSM rejects the whole call for one unknown id: send one by one to find out which.
      for (const command of batch) {
        try {
          sent.push(...(await send([command.instanceId])));
        } catch (single) {
          if (single instanceof NotYetManagedError) unmanaged.push(command);
          else failed.set(command.instanceId, errorMessage(single));
        }
      }
    }
  }

  const commandIdOf = new Map<string, string>();
  for (const batch of sent) for (const id of batch.instanceIds) commandIdOf.set(id, batch.commandId);
  // The writes after SendCommand go as many at once as the claims before it: a wave of hundreds
  // would otherwise wait on hundreds of PutItems one after another.
  const written = await mapWithConcurrency(claimed, PHASE_CONCURRENCY, async (command): Promise<ActionOutcome> => {
    const commandId = commandIdOf.get(command.instanceId);
    const claimedRecord = stored.get(command.instanceId);
    if (!commandId) {
      const why = failed.get(command.instanceId) ?? `${command.instanceId} is not registered with SSM`;
      await release(command.instanceId, claimId, ports, why, claimedRecord);
      return { action: command, status: 'failed', detail: why };
    }
    // The command went out whatever happens to this write: a failure is logged, not raised, and
    // the outcome check (which knows the claim) records the command id when it comes.
    try {
      await transition(ports, command.instanceId, (current) => lifecycle.bindCommandId(current, { claimId, commandId }, ports.clock.now()), claimedRecord && { record: claimedRecord });
    } catch (error) {
      ports.log.warn('could not record the command id; its outcome check will', { instanceId: command.instanceId, commandId, error: errorMessage(error) });
    }
    ports.metrics.count('CommandsSent');
    return { action: command, status: 'done', detail: commandId };
  });
  outcomes.push(...written);
  for (const command of unmanaged) await enqueue(ports, [command.instanceId], 'not registered with SSM', options.attempts?.[command.instanceId] ?? 0);
  return { outcomes, sent: sent.map((batch) => ({ ...batch, claimId })) };
}

/** The record the plan was made from, when the caller passed it. */
function knownRecord(options: ExecuteOptions, instanceId: string): { record: InstanceRecord | undefined } | undefined {
  return options.records?.has(instanceId) ? { record: options.records.get(instanceId) } : undefined;
}

function claim(command: AgentCommand, claimId: string, ports: Ports, settings: Settings, known: { record: InstanceRecord | undefined } | undefined) {
  return transition(
    ports,
    command.instanceId,
    (current) =>
      lifecycle.claim(
        current,
        {
          instanceId: command.instanceId,
          action: command.kind,
          ...(command.configName !== undefined && { configName: command.configName }),
          ...(command.version !== undefined && { version: command.version }),
          ...(command.forSilence && { forSilence: true }),
          ...(command.rolledOut && { rolledOut: true }),
          ...(command.agentVersion !== undefined && { agentVersion: command.agentVersion }),
          claimId,
          leaseMs: settings.commandLeaseMinutes * MINUTE_MS,
          ...(command.plannedFrom && { plannedFrom: command.plannedFrom }),
        },
        ports.clock.now(),
      ),
    known,
  );
}

async function release(instanceId: string, claimId: string, ports: Ports, why: string, claimed: InstanceRecord | undefined): Promise<void> {
  await transition(ports, instanceId, (current) => lifecycle.release(current, { claimId, why }, ports.clock.now()), claimed && { record: claimed });
}

/** A work item to queue again, and after how long (the planner's or the executor's decision). */
interface Requeue {
  item: WorkItem;
  delaySeconds: number;
}

/** The next looks at instances waiting for SSM, one SendMessageBatch per delay and ten items. */
async function enqueueWaits(ports: Ports, waits: Requeue[]): Promise<void> {
  const byDelay = new Map<number, WorkItem[]>();
  for (const { item, delaySeconds } of waits) byDelay.set(delaySeconds, [...(byDelay.get(delaySeconds) ?? []), item]);
  for (const [delay, items] of byDelay) await ports.queue.enqueue(items, delay);
}

async function enqueue(ports: Ports, instanceIds: string[], reason: string, attempt: number): Promise<void> {
  const items: WorkItem[] = instanceIds.map((instanceId) => ({ instanceId, reason, attempt: attempt + 1 }));
  await ports.queue.enqueue(items, registrationDelaySeconds(attempt));
}

async function applyRecordAction(
  action: Action,
  ports: Ports,
  settings: Settings,
  options: ExecuteOptions,
  waits: Requeue[],
): Promise<Omit<ActionOutcome, 'action'>> {
  const now = ports.clock.now();
  if (!('instanceId' in action)) throw new Error(`not a record action: ${action.kind}`);
  const instanceId = action.instanceId;
  /** Applies the transition unless the record moved on since the plan (then nothing here is right any more). */
  const write = async (next: (current: InstanceRecord | undefined) => lifecycle.Next): Promise<boolean> => {
    const result = await transition(
      ports,
      instanceId,
      (current) => (lifecycle.planStillHolds(current, action.plannedFrom) ? next(current) : { unchanged: lifecycle.RECORD_CHANGED }),
      knownRecord(options, instanceId),
    );
    return !('unchanged' in result && result.unchanged === lifecycle.RECORD_CHANGED);
  };
  const skipped = { status: 'skipped', detail: lifecycle.RECORD_CHANGED } as const;
  const reported = (status: lifecycle.ReportedStatus, configName?: string) =>
    write((current) => lifecycle.report(current, { instanceId, status, why: action.detail, configName }, now));
  switch (action.kind) {
    case 'wait-for-registration': {
      if (!(await write((current) => lifecycle.waitForRegistration(current, { instanceId, why: action.detail }, now)))) return skipped;
      const attempt = options.attempts?.[instanceId] ?? 0;
      waits.push({ item: { instanceId, reason: action.reason, attempt: attempt + 1 }, delaySeconds: action.nextLookSeconds });
      return { status: 'done', detail: `next look in ${action.nextLookSeconds} s` };
    }
    case 'report-unreachable':
      if (!(await reported('unreachable'))) return skipped;
      ports.metrics.count('InstancesUnreachable');
      await ports.events.publish([{ detailType: SERVICE_EVENTS.unreachable, detail: { instanceId, reason: action.detail, stage: settings.stage } }]);
      return done;
    case 'report-invalid':
      if (!(await reported('invalid'))) return skipped;
      ports.metrics.count('InvalidSelections');
      ports.log.warn('invalid selection', { instanceId, reason: action.detail });
      return done;
    case 'report-silent':
      if (!(await reported('failed'))) return skipped;
      ports.metrics.count('AgentsSilent');
      ports.log.error('agent silent after a restart', { instanceId, reason: action.detail });
      await ports.events.publish([{ detailType: SERVICE_EVENTS.silent, detail: { instanceId, reason: action.detail, stage: settings.stage } }]);
      return done;
    case 'report-drift':
      if (!(await reported('drift', action.configName))) return skipped;
      ports.metrics.count('DriftReported');
      ports.log.warn('drift reported, left alone', { instanceId, reason: action.detail });
      return done;
    case 'deselect':
      return (await write((current) => lifecycle.deselect(current, { instanceId }, now))) ? done : skipped;
    case 'mark-configured':
      return (await write((current) => lifecycle.markConfigured(current, { instanceId, configName: action.configName, version: action.version }, now))) ? done : skipped;
    case 'close-record':
      // A terminated instance is closed whatever happened meanwhile: nothing can change it back.
      await transition(ports, instanceId, (current) => lifecycle.close(current, { instanceId }, now));
      return done;
    default:
      throw new Error(`not a record action: ${action.kind}`);
  }
}

/**
 * Queues the outcome checks of commands sent, ten to a SendMessageBatch. A failure is logged, not
 * raised: the commands went out, and the sweep settles a lost outcome if the check is lost too.
 */
export async function enqueueOutcomeChecks(
  ports: Pick<Ports, 'queue' | 'log'>,
  sent: { commandId: string; claimId?: string; instanceIds: string[] }[],
  attempt = 0,
): Promise<void> {
  const items: InstanceWorkItem[] = sent.flatMap(({ commandId, claimId, instanceIds }) =>
    instanceIds.map((instanceId) => ({ instanceId, commandId, ...(claimId && { claimId }), reason: `outcome check of ${commandId}`, attempt })),
  );
  if (items.length === 0) return;
  try {
    await ports.queue.enqueue(items, OUTCOME_CHECK_DELAY_SECONDS);
  } catch (error) {
    ports.log.warn('could not queue outcome checks; the sweep settles any lost outcome', { commands: sent.map((s) => s.commandId), error: errorMessage(error) });
  }
}
