/**
 * One reconcile: observe, compute the desired state, plan, and (unless a dry run) execute.
 * The `reconcile` function, the schedule's sweep and the queue worker all call this; they differ
 * only in scope and origin.
 */
import type { Settings } from '../config.js';
import { InvalidInputError } from '../errors.js';
import { selectionOf } from '../planning/desired.js';
import { execute, type ActionOutcome, type ExecuteOptions } from '../apply/execute.js';
import type { InstanceScope } from '../model/observed.js';
import { observeConfigSet, observeInstances, observeSelectedLogGroups, observeSilence } from '../observation/observe.js';
import { settleInFlight } from '../outcomes/settle.js';
import { startDueAgentRollout } from '../rollout/rollout.js';
import { instanceOf, plan, type Action, type PlanOrigin, type PlannedInstance, type RequestedAction } from '../planning/plan.js';
import type { Ports } from '../ports.js';
import { chunk } from '../support/chunk.js';

export interface ReconcileRequest {
  dryRun: boolean;
  action: RequestedAction;
  scope?: InstanceScope;
  /** Refuse (before any change) when the scope holds more instances than this. */
  maxInstances?: number;
  origin?: PlanOrigin;
  /** Work items' attempts by instance id, when the worker reconciles (the delay before a next look grows with it). */
  attempts?: Record<string, number>;
  /** How many per-instance lines the report keeps; the counts always cover everything. */
  lineLimit?: number;
  /** The worker's terms for applying its batch: command concurrency and its share of EC2's association rate. */
  execution?: Pick<ExecuteOptions, 'maxConcurrency' | 'associationBudget' | 'reservedSlots'>;
  /**
   * Above this many instances in scope an apply is not done in this invocation: the instances
   * that need anything go to the work queue in batches, and workers apply them. Default 10,000.
   */
  fanOutAbove?: number;
  /**
   * Instances the sweep that fanned this batch out found silent. Only a hint of where to look: a
   * work item can come from anyone allowed to send to the queue, so silence is observed again
   * here, for these instances only, before the planner may restart an agent for it.
   */
  silenceCandidates?: string[];
}

/** 10,000 instances plan and apply well inside Lambda's 15 minutes at AWS's real rates (npm run bench). */
export const FAN_OUT_ABOVE = 10_000;
/** Instances per fan-out work item: a worker (300 s) applies a batch at EC2's mutation and Logs' 5 TPS rates. */
export const FAN_OUT_BATCH = 200;

export interface ReportLine {
  target: string;
  action: Action['kind'];
  reason: string;
  detail: string;
  outcome?: ActionOutcome['status'];
  outcomeDetail?: string;
}

export interface ReconcileReport {
  dryRun: boolean;
  action: RequestedAction;
  instancesInScope: number;
  selectedRunning: number;
  actions: number;
  byAction: Record<string, number>;
  byReason: Record<string, number>;
  /** Present when applied: how each action went. */
  byOutcome?: Record<string, number>;
  /** Present when the scope was too large for one invocation: what went to the work queue. */
  fannedOut?: { batches: number; instances: number };
  failed: number;
  lines: ReportLine[];
  linesOmitted: number;
  unusableConfigurations: { configName: string; parameterName: string; version?: number; problems: string[] }[];
  settledCommands?: number;
}

export class ScopeTooLargeError extends Error {
  override name = 'ScopeTooLargeError';
}

export async function reconcile(ports: Ports, settings: Settings, request: ReconcileRequest): Promise<ReconcileReport> {
  const scopedConfig = request.scope?.configName;
  if (scopedConfig !== undefined && !settings.configNames.includes(scopedConfig)) {
    // A typo would otherwise match no instance and look like a fleet with nothing to do.
    throw new InvalidInputError(`config ${JSON.stringify(scopedConfig)} is not a configuration of stage ${settings.stage} (known: ${settings.configNames.join(', ')}); nothing was changed`);
  }
  let configs = await observeConfigSet(ports, settings);
  // A deploy that changed the stage's agentVersion, or (with "latest") a version Distributor newly
  // publishes, starts the agent's rollout here; the plan below follows the version that then stands.
  if (!request.dryRun) {
    configs = { ...configs, agent: await startDueAgentRollout(ports, settings, configs.agent, { origin: request.origin ?? 'sweep', scope: request.scope }) };
  }
  let observed = await observeInstances(ports, settings, request.scope);
  if (request.maxInstances !== undefined && observed.length > request.maxInstances) {
    throw new ScopeTooLargeError(
      `scope holds ${observed.length} instances, more than maxInstances ${request.maxInstances}; nothing was changed`,
    );
  }

  let settledCommands: number | undefined;
  if (!request.dryRun) {
    const inFlight = observed.flatMap((o) => (o.record?.inFlight ? [o.record] : []));
    if (inFlight.length) {
      settledCommands = (await settleInFlight(ports, settings, inFlight)).outcomes.length;
      if (settledCommands > 0) {
        const fresh = await ports.state.getMany(inFlight.map((record) => record.instanceId));
        const byId = new Map(fresh.map((record) => [record.instanceId, record]));
        observed = observed.map((o) => (byId.has(o.instance.instanceId) ? { ...o, record: byId.get(o.instance.instanceId) } : o));
      }
    }
  }

  const planned: PlannedInstance[] = observed.map((o) => ({ ...o, selection: selectionOf(o.instance, configs, settings) }));
  // The worker may trust what its warm environment saw a few minutes ago; a sweep looks afresh.
  const logGroups = await observeSelectedLogGroups(ports, planned, { trustKnown: request.origin === 'worker' });

  // Whether agents really send is a sweep's question: the worker acts on events about one instance.
  const candidates = request.silenceCandidates && new Set(request.silenceCandidates);
  const silence = candidates
    ? await observeSilence(ports, settings, planned.filter((p) => candidates.has(p.instance.instanceId)))
    : (request.origin ?? 'sweep') === 'sweep' && request.action === 'ensure'
      ? await observeSilence(ports, settings, planned)
      : undefined;

  const actions = plan({
    settings,
    now: ports.clock.now(),
    requested: request.action,
    origin: request.origin ?? 'sweep',
    instances: planned,
    logGroups,
    ...(silence && { silence }),
    agent: configs.agent,
  });

  if (!request.dryRun && planned.length > (request.fanOutAbove ?? FAN_OUT_ABOVE)) {
    const fannedOut = await fanOut(ports, actions, silence);
    ports.log.info('sweep fanned out through the work queue', { inScope: planned.length, ...fannedOut });
    return { ...summarize(request, planned, actions, undefined, configs.unusable.values(), settledCommands), dryRun: false, fannedOut };
  }

  const outcomes = request.dryRun
    ? undefined
    : await execute(actions, ports, settings, {
        ...request.execution,
        ...(request.attempts && { attempts: request.attempts }),
        records: new Map(planned.map((p) => [p.instance.instanceId, p.record])),
      });

  return summarize(request, planned, actions, outcomes, configs.unusable.values(), settledCommands);
}

/**
 * Puts every instance the plan touches on the work queue, FAN_OUT_BATCH to an item. A worker
 * re-plans its batch from fresh state, so a batch that runs late or twice still does only what
 * is left to do.
 */
async function fanOut(ports: Ports, actions: Action[], silence: Map<string, string> | undefined): Promise<{ batches: number; instances: number }> {
  const ids = new Set<string>();
  for (const action of actions) {
    const id = instanceOf(action);
    if (id) ids.add(id);
    else if (action.kind === 'create-log-group' || action.kind === 'set-retention' || action.kind === 'report-foreign-log-group') action.instanceIds.forEach((instanceId) => ids.add(instanceId));
  }
  const batches = chunk([...ids].sort(), FAN_OUT_BATCH);
  await ports.queue.enqueue(
    batches.map((instanceIds) => {
      const known = Object.fromEntries(instanceIds.flatMap((id) => (silence?.has(id) ? [[id, silence.get(id)!]] : [])));
      return { instanceIds, reason: 'sweep fan-out', attempt: 0, ...(Object.keys(known).length && { silence: known }) };
    }),
  );
  return { batches: batches.length, instances: ids.size };
}

function summarize(
  request: ReconcileRequest,
  planned: PlannedInstance[],
  actions: Action[],
  outcomes: ActionOutcome[] | undefined,
  unusable: Iterable<{ configName: string; parameterName: string; version?: number; problems: string[] }>,
  settledCommands: number | undefined,
): ReconcileReport {
  const count = (into: Record<string, number>, key: string) => {
    into[key] = (into[key] ?? 0) + 1;
  };
  const byAction: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  for (const action of actions) {
    count(byAction, action.kind);
    count(byReason, action.reason);
  }
  const byOutcome: Record<string, number> = {};
  for (const outcome of outcomes ?? []) count(byOutcome, outcome.status);

  const limit = request.lineLimit ?? 200;
  const rows = outcomes ?? actions.map((action) => ({ action }) as { action: Action; status?: ActionOutcome['status']; detail?: string });
  const lines: ReportLine[] = rows.slice(0, limit).map(({ action, status, detail }) => ({
    target: instanceOf(action) ?? ('logGroupName' in action ? action.logGroupName : '-'),
    action: action.kind,
    reason: action.reason,
    detail: action.detail,
    ...(status && { outcome: status }),
    ...(detail && { outcomeDetail: detail }),
  }));

  return {
    dryRun: request.dryRun,
    action: request.action,
    instancesInScope: planned.length,
    selectedRunning: planned.filter((p) => p.selection.kind === 'selected' && p.instance.state === 'running').length,
    actions: actions.length,
    byAction,
    byReason,
    ...(outcomes && { byOutcome }),
    failed: outcomes?.filter((o) => o.status === 'failed').length ?? 0,
    lines,
    linesOmitted: Math.max(0, rows.length - limit),
    unusableConfigurations: [...unusable].map(({ configName, parameterName, version, problems }) => ({
      configName,
      parameterName,
      ...(version !== undefined && { version }),
      problems,
    })),
    ...(settledCommands !== undefined && { settledCommands }),
  };
}
