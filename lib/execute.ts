/**
 * The executor: applies a plan through the ports. Every action is an ensure, so applying the same
 * plan twice, or a plan made from stale state, converges instead of failing: AlreadyExists on a
 * create, an association that raced in, a command already in flight are all success or a skip.
 * One action failing never stops the others; each outcome is reported.
 */
import { serviceTags, type Settings } from './config.js';
import { mapWithConcurrency, settleWithConcurrency } from './concurrency.js';
import {
  AlreadyExistsError,
  IamNotPropagatedError,
  IncorrectStateError,
  NotYetManagedError,
  errorMessage,
} from './errors.js';
import { type Action, type AgentCommand, isAgentCommand } from './plan.js';
import type { InstanceRecord, Ports, WorkItem } from './ports.js';
import { CLAIM_PREFIX, draftOf, recordCommandId, updateRecord, type RecordDraft } from './records.js';
import { SERVICE_EVENTS } from './service-events.js';
import { documentParameters } from './agent-document.js';
import { chunk } from './chunk.js';
import { enqueueOutcomeChecks } from './outcomes.js';

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
}

/** SendCommand takes at most 50 instance ids. */
const SEND_COMMAND_MAX_IDS = 50;
/** Calls started at once per phase. The ports' own retry and rate limits do the pacing. */
const PHASE_CONCURRENCY = 10;
/** EC2 answers "Invalid IAM Instance Profile name" for some seconds after a profile is created. */
const IAM_PROPAGATION_RETRIES = [2_000, 5_000, 10_000];

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
  outcomes.push(...(await runEach(byPhase('profile'), (action) => applyProfileAction(action, ports))));
  outcomes.push(...(await runEach(byPhase('logs'), (action) => applyLogGroupAction(action, ports, settings))));
  outcomes.push(...(await sendAgentCommands(byPhase('agent').filter(isAgentCommand), ports, settings, options)));
  const waits: WorkItem[] = [];
  outcomes.push(...(await runEach(byPhase('record'), (action) => applyRecordAction(action, ports, settings, options, waits))));
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
      return 'logs';
    case 'install-and-configure':
    case 'configure':
    case 'restart':
    case 'stop':
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

async function applyProfileAction(action: Action, ports: Ports): Promise<Omit<ActionOutcome, 'action'>> {
  switch (action.kind) {
    case 'associate-profile':
      try {
        await withIamPropagationRetry(ports, () => ports.ec2.associateProfile(action.instanceId, action.profileName));
        return done;
      } catch (error) {
        // Another worker (or a person) associated a profile since we looked: the next look decides.
        if (error instanceof IncorrectStateError) return { status: 'skipped', detail: 'a profile was associated meanwhile' };
        throw error;
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
  for (const delay of IAM_PROPAGATION_RETRIES) {
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
          tags: serviceTags(settings),
          ...(action.kmsKeyId && { kmsKeyId: action.kmsKeyId }),
        });
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        existed = true;
      }
      // Retention is a separate call; set it even when the group raced into existence.
      if (action.retentionInDays !== -1) await ports.logs.putRetentionPolicy(action.logGroupName, action.retentionInDays);
      rememberLogGroup(ports, action);
      return existed ? { status: 'skipped', detail: 'already existed; retention set' } : done;
    }
    case 'set-retention':
      await ports.logs.putRetentionPolicy(action.logGroupName, action.retentionInDays);
      rememberLogGroup(ports, action);
      return done;
    default:
      throw new Error(`not a log group action: ${action.kind}`);
  }
}

function rememberLogGroup(ports: Ports, action: Extract<Action, { kind: 'create-log-group' | 'set-retention' }>): void {
  ports.knownLogGroups?.remember(
    {
      name: action.logGroupName,
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
    const key = `${command.kind}|${command.parameterName ?? ''}|${command.version ?? ''}`;
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
  const claimId = `${CLAIM_PREFIX}${now}`;
  const claims = await settleWithConcurrency(group, PHASE_CONCURRENCY, (command) => claim(command, claimId, ports, settings, knownRecord(options, command.instanceId)));
  const outcomes: ActionOutcome[] = [];
  const claimed: AgentCommand[] = [];
  const stored = new Map<string, InstanceRecord | undefined>();
  claims.forEach((result, index) => {
    const command = group[index]!;
    if (result.status === 'rejected') outcomes.push({ action: command, status: 'failed', detail: errorMessage(result.reason) });
    else if (result.value.verdict === 'won') {
      claimed.push(command);
      stored.set(command.instanceId, result.value.stored);
    } else outcomes.push({ action: command, status: 'skipped', detail: result.value.verdict === 'in-flight' ? 'a command is already in flight' : RECORD_CHANGED });
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
      comment: `fleetwatch ${first.kind} ${first.configName ?? ''} v${first.version ?? ''}`.slice(0, 100),
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
      await recordCommandId(ports, command.instanceId, claimId, commandId, claimedRecord && { record: claimedRecord });
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

const RECORD_CHANGED = 'the record changed since the plan was made; the next look decides';

/** Whether the instance's record moved on since the action was planned. */
function changedSincePlan(action: Action, current: InstanceRecord | undefined): boolean {
  return action.plannedFrom !== undefined && current?.revision !== action.plannedFrom.revision;
}

/** The record the plan was made from, when the caller passed it. */
function knownRecord(options: ExecuteOptions, instanceId: string): { record: InstanceRecord | undefined } | undefined {
  return options.records?.has(instanceId) ? { record: options.records.get(instanceId) } : undefined;
}

/** Marks a command in flight for the instance unless another one is, or the record moved on since the plan. */
async function claim(
  command: AgentCommand,
  claimId: string,
  ports: Ports,
  settings: Settings,
  known: { record: InstanceRecord | undefined } | undefined,
): Promise<{ verdict: 'won' | 'in-flight' | 'changed'; stored?: InstanceRecord }> {
  const now = ports.clock.now();
  let verdict: 'won' | 'in-flight' | 'changed' = 'changed';
  const stored = await updateRecord(ports, command.instanceId, (current) => {
    if (current?.inFlight && current.inFlight.leaseExpiresAt > now) {
      verdict = 'in-flight';
      return undefined;
    }
    if (changedSincePlan(command, current)) {
      verdict = 'changed';
      return undefined;
    }
    const draft = draftOf(current, command.instanceId, now);
    const sameTarget = draft.configName === command.configName && draft.targetVersion === command.version;
    verdict = 'won';
    return {
      ...draft,
      status: 'in-flight',
      ...(command.kind !== 'stop' && { configName: command.configName, targetVersion: command.version }),
      attempts: sameTarget ? draft.attempts : 0,
      ...(command.forSilence && { silenceRestartAt: now }),
      inFlight: {
        commandId: claimId,
        action: command.kind,
        sentAt: now,
        leaseExpiresAt: now + settings.commandLeaseMinutes * 60_000,
        ...(command.configName !== undefined && { configName: command.configName }),
        ...(command.version !== undefined && { version: command.version }),
        ...(command.rolledOut && { rolledOut: true }),
      },
    };
  }, known);
  // `verdict` is set inside the mutation (TypeScript cannot see that), hence the widening.
  const decided = verdict as 'won' | 'in-flight' | 'changed';
  return decided === 'won' ? { verdict: decided, ...(stored && { stored }) } : { verdict: decided };
}

async function release(instanceId: string, claimId: string, ports: Ports, why: string, claimed: InstanceRecord | undefined): Promise<void> {
  await updateRecord(
    ports,
    instanceId,
    (current) => {
      if (!current?.inFlight || current.inFlight.commandId !== claimId) return undefined;
      const { inFlight: _inFlight, ...rest } = draftOf(current, instanceId, 0);
      return { ...rest, status: 'pending', lastError: why };
    },
    claimed && { record: claimed },
  );
}

/**
 * Delay before the next look at an instance waiting for SSM: 30 s doubling, capped at 300 s.
 * SQS allows 900 s, but a 5-minute cap bounds the lag between registration and configure, and a
 * 45-minute window still costs at most about a dozen receives per instance.
 */
export function registrationDelaySeconds(attempt: number): number {
  return Math.min(300, 30 * 2 ** Math.min(attempt, 10));
}

/** The next looks at instances waiting for SSM, one SendMessageBatch per delay and ten items. */
async function enqueueWaits(ports: Ports, waits: WorkItem[]): Promise<void> {
  const byDelay = new Map<number, WorkItem[]>();
  for (const item of waits) {
    const delay = registrationDelaySeconds(item.attempt - 1);
    byDelay.set(delay, [...(byDelay.get(delay) ?? []), item]);
  }
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
  waits: WorkItem[],
): Promise<Omit<ActionOutcome, 'action'>> {
  const now = ports.clock.now();
  if (!('instanceId' in action)) throw new Error(`not a record action: ${action.kind}`);
  const id = action.instanceId;
  let changed = false;
  /** Writes the record unless it moved on since the plan (then nothing here is right any more). */
  const write = (mutate: (current: InstanceRecord | undefined) => RecordDraft | undefined) =>
    updateRecord(
      ports,
      id,
      (current) => {
        changed = changedSincePlan(action, current);
        return changed ? undefined : mutate(current);
      },
      knownRecord(options, id),
    );
  const skipped = { status: 'skipped', detail: RECORD_CHANGED } as const;
  switch (action.kind) {
    case 'wait-for-registration':
      await write((current) => {
        const draft = draftOf(current, id, now);
        if (draft.waitingSince !== undefined && draft.status === 'pending') return undefined;
        return { ...draft, status: 'pending', waitingSince: draft.waitingSince ?? now, lastError: action.detail };
      });
      if (changed) return skipped;
      waits.push({ instanceId: id, reason: action.reason, attempt: (options.attempts?.[id] ?? 0) + 1 });
      return { status: 'done', detail: `next look in ${registrationDelaySeconds(options.attempts?.[id] ?? 0)} s` };
    case 'report-unreachable':
      await write((current) => ({ ...draftOf(current, id, now), status: 'unreachable', lastError: action.detail }));
      if (changed) return skipped;
      ports.metrics.count('InstancesUnreachable');
      await ports.events.publish([{ detailType: SERVICE_EVENTS.unreachable, detail: { instanceId: id, reason: action.detail, stage: settings.stage } }]);
      return done;
    case 'report-invalid':
      await write((current) => ({ ...draftOf(current, id, now), status: 'invalid', lastError: action.detail }));
      if (changed) return skipped;
      ports.metrics.count('InvalidSelections');
      ports.log.warn('invalid selection', { instanceId: id, reason: action.detail });
      return done;
    case 'report-silent':
      await write((current) => ({ ...draftOf(current, id, now), status: 'failed', lastError: action.detail }));
      if (changed) return skipped;
      ports.metrics.count('AgentsSilent');
      ports.log.error('agent silent after a restart', { instanceId: id, reason: action.detail });
      await ports.events.publish([{ detailType: SERVICE_EVENTS.silent, detail: { instanceId: id, reason: action.detail, stage: settings.stage } }]);
      return done;
    case 'report-drift':
      await write((current) => ({ ...draftOf(current, id, now), status: 'drift', configName: action.configName, lastError: action.detail }));
      if (changed) return skipped;
      ports.metrics.count('DriftReported');
      ports.log.warn('drift reported, left alone', { instanceId: id, reason: action.detail });
      return done;
    case 'deselect':
      await write((current) => ({ ...draftOf(current, id, now), status: 'deselected' }));
      return changed ? skipped : done;
    case 'mark-configured':
      await write((current) => {
        const { waitingSince: _w, lastError: _e, ...draft } = draftOf(current, id, now);
        return { ...draft, status: 'configured', configName: action.configName, targetVersion: action.version, attempts: 0 };
      });
      return changed ? skipped : done;
    case 'close-record':
      // A terminated instance is closed whatever happened meanwhile: nothing can change it back.
      await updateRecord(ports, id, (current) => {
        if (!current) return undefined;
        const { inFlight: _inFlight, ...rest } = draftOf(current, id, now);
        return { ...rest, status: 'closed' };
      });
      return done;
    default:
      throw new Error(`not a record action: ${action.kind}`);
  }
}
