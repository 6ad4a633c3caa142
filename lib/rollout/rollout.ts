/**
 * Rollouts, of a configuration version or of the agent's own version. A Parameter Store change of
 * one of the stage's configurations is validated before anything is sent; a change of the stage's
 * agentVersion starts the agent's rollout at the next reconcile. Either goes out in waves under
 * the stage's maxConcurrency and maxErrors; when failures pass the threshold the rollout stops and
 * the instances that took the version are sent back to the last good one. What differs between
 * the two is a RolloutSubject; the waves, the threshold and the counting are one code path.
 *
 * Why roll back by version and not by rewriting the parameter: every command names the exact
 * version it applies ("name:version"), so going back is one configure with the old version
 * number. The parameter keeps the bad version as its newest (the operator's edit is not silently
 * undone), and the rollout record marks it rolled back, so sweeps and new instances get the good
 * version until a new one is written.
 */
import { validateAgentConfig } from '../agent/index.js';
import { AGENT_VERSION_PATTERN, LATEST_AGENT, parameterName, type Settings } from '../config.js';
import { desiredAgent, selectionOf, type ConfigSet, type DesiredAgent } from '../planning/desired.js';
import { errorMessage } from '../errors.js';
import { execute } from '../apply/execute.js';
import type { InstanceScope, ObservedInstance } from '../model/observed.js';
import { mostCommonAgentVersion } from '../model/agent-version.js';
import { observeConfigSet, observeInstances, observeSelectedLogGroups } from '../observation/observe.js';
import { isAgentCommand, plan, type Action, type AgentCommand, type PlannedInstance, type PlanOrigin } from '../planning/plan.js';
import { AGENT_ROLLOUT, type InFlightCommand, type InstanceRecord, type LogGroup, type Ports, type RolloutRecord, type RolloutVersion } from '../ports.js';
import { allowedErrorsFor, concurrencyFor } from '../model/rate.js';
import { ConflictError } from '../errors.js';
import { SERVICE_EVENTS } from '../model/service-events.js';

/**
 * Which rollout record a configuration's new version starts: its own (the default), or another
 * kept under `key` with more fields (the organization's, lib/organization/rollout.ts).
 */
export interface RolloutStart {
  key: string;
  fields?: () => Promise<Partial<RolloutRecord>>;
}

/** Validates the newest version and starts its rollout; a duplicate event for the same version changes nothing. */
export async function startRollout(
  ports: Ports,
  settings: Settings,
  configName: string,
  start: RolloutStart = { key: configName },
): Promise<RolloutRecord | undefined> {
  const name = parameterName(settings, configName);
  const [parameter] = await ports.ssm.getParameters([name]);
  if (!parameter) {
    ports.log.warn('configuration parameter not found; nothing to roll out', { parameter: name });
    return undefined;
  }
  const existing = await ports.rollouts.get(start.key);
  if (existing && existing.version === parameter.version) return existing;

  const base = { ...freshRollout(start.key, parameter.version, existing, ports.clock.now()), ...(await start.fields?.()) };
  const { goodVersion } = base;
  const validation = validateAgentConfig(parameter.value, settings);
  if (!validation.ok) return rejectVersion(ports, settings, { ...base, status: 'rejected' }, existing?.revision, validation.problems, configName);
  const stored = await putRollout(ports, { ...base, status: 'in-progress' }, existing?.revision);
  ports.log.info('rollout started', { configName, rollout: start.key, version: parameter.version, goodVersion });
  // The worker moves it on: it holds the permissions and the time a wave needs.
  await ports.queue.enqueue([{ rollout: start.key, reason: `v${parameter.version} written`, attempt: 0 }]);
  return stored;
}

/**
 * Before a reconcile plans: starts the agent's rollout when one is due and returns the agent
 * version that then stands. Due when the stage's agentVersion names a version the rollout record
 * is not about (a deploy changed it), and, with "latest", at every sweep: Distributor's default
 * version is read there, once per sweep, and a version not seen before becomes the rollout's
 * target. Not per instance: the worker's reconciles and a sweep's fan-out batches (instance
 * lists, slices of a sweep that already looked) do not read it.
 */
export async function startDueAgentRollout(
  ports: Ports,
  settings: Settings,
  agent: DesiredAgent,
  request: { origin: PlanOrigin; scope?: InstanceScope },
): Promise<DesiredAgent> {
  const sweep = request.origin === 'sweep' && request.scope?.instanceIds === undefined;
  const due = agent.awaitingRollout || (settings.agentVersion === LATEST_AGENT && sweep);
  if (!due) return agent;
  return desiredAgent(settings, await startAgentRollout(ports, settings));
}

/**
 * Starts the rollout of the agent version the stage wants when it is not the one the agent's
 * rollout record is about: the pinned agentVersion, or with "latest" the version Distributor now
 * installs by default. The version to go back to is the one the last rollout completed (or fell
 * back to); before the first, the version most instances report (the fleet's version before).
 * A racing start loses its conditional write and changes nothing.
 */
async function startAgentRollout(ports: Ports, settings: Settings): Promise<RolloutRecord | undefined> {
  const existing = await ports.rollouts.get(AGENT_ROLLOUT);
  const latest = settings.agentVersion === LATEST_AGENT;
  const target = latest ? await publishedAgentVersion(ports) : settings.agentVersion;
  if (target === undefined || existing?.version === target) return existing;
  const before = goodVersionAfter(existing) === undefined ? mostCommonAgentVersion(await ports.state.list()) : undefined;
  const record = freshRollout(AGENT_ROLLOUT, target, existing, ports.clock.now(), before);
  const { goodVersion } = record;
  const stored = await putRolloutQuietly(ports, { ...record, status: 'in-progress' }, existing?.revision);
  if (!stored) return ports.rollouts.get(AGENT_ROLLOUT);
  ports.log.info('agent rollout started', { version: target, goodVersion, ...(latest && { agentVersion: LATEST_AGENT }) });
  const reason = latest ? `Distributor publishes agent ${target} (agentVersion latest)` : `agentVersion ${target} set`;
  await ports.queue.enqueue([{ rollout: AGENT_ROLLOUT, reason, attempt: 0 }]);
  return stored;
}

/**
 * Distributor's default AmazonCloudWatchAgent version, when it is one: SSM's answer goes into
 * commands' agentVersion parameter, so it is held to the same pattern as the setting.
 */
async function publishedAgentVersion(ports: Ports): Promise<string | undefined> {
  const version = await ports.ssm.defaultAgentPackageVersion();
  if (version !== undefined && AGENT_VERSION_PATTERN.test(version)) return version;
  ports.log.warn('Distributor gave no usable AmazonCloudWatchAgent version; no agent rollout started', { versionName: version });
  return undefined;
}

/** The version to go back to after `existing`: the one it completed, or the one it fell back to. */
function goodVersionAfter(existing: RolloutRecord | undefined): RolloutVersion | undefined {
  return existing?.status === 'completed' ? existing.version : existing?.goodVersion;
}

/** A new rollout of `version` (its status still to set), nothing sent yet; `fallbackGood` when no earlier rollout names a good version. */
function freshRollout(key: string, version: RolloutVersion, existing: RolloutRecord | undefined, now: number, fallbackGood?: RolloutVersion) {
  const goodVersion = goodVersionAfter(existing) ?? fallbackGood;
  return {
    configName: key,
    version,
    ...(goodVersion !== undefined && goodVersion !== version && { goodVersion }),
    total: 0,
    sent: 0,
    succeeded: 0,
    failed: 0,
    startedAt: now,
    updatedAt: now,
  };
}

/** Marks a version rejected before any command for it was sent; the instances keep the version they have. */
async function rejectVersion(
  ports: Ports,
  settings: Settings,
  record: Omit<RolloutRecord, 'revision'>,
  expected: number | undefined,
  problems: string[],
  configName = record.configName,
): Promise<RolloutRecord> {
  const parameter = parameterName(settings, configName);
  const stored = await putRollout(ports, { ...record, status: 'rejected', reason: problems.join('; ') }, expected);
  ports.metrics.count('ConfigurationsRejected');
  ports.log.error('configuration version rejected; no command sent, instances keep the version they have', {
    parameter,
    version: record.version,
    problems,
  });
  await ports.events.publish([
    {
      detailType: SERVICE_EVENTS.rolloutRejected,
      detail: { configName, parameter, version: record.version, problems, stage: settings.stage },
    },
  ]);
  return stored;
}

async function putRollout(ports: Ports, record: Omit<RolloutRecord, 'revision'>, expected: number | undefined): Promise<RolloutRecord> {
  return ports.rollouts.put({ ...record, updatedAt: ports.clock.now() }, expected);
}

interface Census {
  atTarget: ObservedInstance[];
  failed: ObservedInstance[];
  inFlight: ObservedInstance[];
  /** The planner's commands for the version, one per instance it would send it to now. */
  pending: AgentCommand[];
  /** Running but not reachable by SSM: the worker onboards them when they register. */
  unreachable: ObservedInstance[];
}

/** What a rollout is of, and what that changes: everything else about waves, thresholds and counting is shared. */
interface RolloutSubject {
  /** The instances it may touch. */
  scope: InstanceScope;
  /** "web v2", "agent 1.300032.2b361": for logs, details and reasons. */
  describe(version: RolloutVersion): string;
  /** Whether the rollout's version is still the one to roll out; else a newer one (or none) superseded it. */
  current(configs: ConfigSet, rollout: RolloutRecord): boolean;
  /** The planner's command for an instance takes the rollout's version. */
  carries(command: AgentCommand, rollout: RolloutRecord): boolean;
  /** The instance runs the rollout's version. */
  atTarget(record: InstanceRecord | undefined, rollout: RolloutRecord): boolean;
  /** A command for the rollout's version failed on the instance. */
  failedAt(record: InstanceRecord | undefined, rollout: RolloutRecord): boolean;
  /** Before the first wave: creates what the version needs; returns why the version is rejected, if it is. */
  beforeFirstWave?(ports: Ports, settings: Settings, actions: Action[], instances: number): Promise<string | undefined>;
  /** Sends the instances that took the version back to the good one; returns how many commands went out. */
  sendBack(ports: Ports, settings: Settings, rollout: RolloutRecord, counts: Census, planned: PlannedInstance[]): Promise<number>;
}

const configurationRollout = (configName: string): RolloutSubject => ({
  scope: { configName },
  describe: (version) => `${configName} v${version}`,
  current: (configs, rollout) => configs.usable.get(configName)?.version === rollout.version,
  carries: (command, rollout) => command.configName === configName && command.version === rollout.version,
  atTarget: (record, rollout) => record?.appliedConfig === configName && record.appliedVersion === rollout.version,
  failedAt: (record, rollout) => record?.configName === configName && record.targetVersion === rollout.version && record.attempts > 0,
  beforeFirstWave: ensureLogGroups,
  sendBack: reconfigureGoodVersion,
});

/** The agent's own version: every selected instance, whatever its configuration. */
const agentRollout: RolloutSubject = {
  scope: {},
  describe: (version) => `agent ${version}`,
  current: (configs, rollout) => configs.agent.version === rollout.version,
  carries: (command, rollout) => command.kind === 'install-and-configure' && command.agentVersion === rollout.version,
  atTarget: (record, rollout) => record?.agentVersion === rollout.version,
  failedAt: (record, rollout) => record?.targetAgentVersion === rollout.version && record.agentVersion !== rollout.version && record.attempts > 0,
  sendBack: reinstallGoodAgent,
};

function subjectOf(key: string): RolloutSubject {
  return key === AGENT_ROLLOUT ? agentRollout : configurationRollout(key);
}

/**
 * Where each running instance of the subject stands. Which instances get the version is the
 * planner's decision, as for every other caller: an instance it leaves alone (drift in report
 * mode, an invalid selection, waiting for SSM) is not in a wave and does not hold the rollout open.
 */
function census(subject: RolloutSubject, planned: PlannedInstance[], actions: Action[], rollout: RolloutRecord, now: number): Census {
  const commandFor = new Map(actions.filter(isAgentCommand).filter((command) => subject.carries(command, rollout)).map((command) => [command.instanceId, command]));
  const result: Census = { atTarget: [], failed: [], inFlight: [], pending: [], unreachable: [] };
  for (const o of planned) {
    if (o.instance.state !== 'running' || o.selection.kind !== 'selected') continue;
    const record = o.record;
    const command = commandFor.get(o.instance.instanceId);
    if (subject.atTarget(record, rollout)) result.atTarget.push(o);
    else if (record?.inFlight && record.inFlight.leaseExpiresAt > now) result.inFlight.push(o);
    else if (subject.failedAt(record, rollout)) result.failed.push(o);
    else if (command) result.pending.push({ ...command, reason: 'rollout', detail: `roll out ${subject.describe(rollout.version)}` });
    else if (!o.managed || o.managed.pingStatus !== 'Online') result.unreachable.push(o);
  }
  return result;
}

/**
 * Moves an in-progress rollout on: creates the version's log groups first (on the first step),
 * refills the commands in flight up to maxConcurrency when half of them have finished, stops and
 * rolls back when failures pass maxErrors, and completes when nothing is left. Idempotent: it
 * decides from the state table, so calling it twice, or from two places, sends nothing twice
 * (each instance is claimed before its command goes out).
 */
export async function advanceRollout(ports: Ports, settings: Settings, key: string): Promise<RolloutRecord | undefined> {
  const rollout = await ports.rollouts.get(key);
  if (rollout?.status !== 'in-progress') return rollout;
  const subject = subjectOf(key);

  const observed = await observeRollout(ports, settings, subject, rollout);
  // A newer version superseded this one, or the parameter is gone: this rollout is over.
  if (!observed) return rollout;
  const { configs, planned } = observed;
  const now = ports.clock.now();
  const running = planned.filter((o) => o.instance.state === 'running' && o.selection.kind === 'selected');
  const total = Math.max(rollout.total, running.length);
  const logGroups = rollout.sent === 0 && subject.beforeFirstWave ? await observeSelectedLogGroups(ports, planned) : new Map<string, LogGroup>();
  const actions = plan({ settings, now, requested: 'ensure', origin: 'rollout', instances: planned, logGroups, agent: configs.agent });
  // The first step of a configuration creates every log group the version names, before any
  // instance is configured; a version that would create more than the stage allows is rejected,
  // with nothing sent.
  if (rollout.sent === 0 && subject.beforeFirstWave) {
    const tooMany = await subject.beforeFirstWave(ports, settings, actions, running.length);
    if (tooMany) return rejectVersion(ports, settings, { ...rollout, total }, rollout.revision, [tooMany]);
  }
  const counts = census(subject, planned, actions, rollout, now);

  const allowedErrors = allowedErrorsFor(settings.maxErrors, total);
  if (counts.failed.length > allowedErrors) return rollBack(ports, settings, subject, rollout, counts, { total, allowedErrors, planned });

  const concurrency = concurrencyFor(settings.maxConcurrency, total);
  let sent = 0;
  // Refill when half the window has drained: fewer, fuller SendCommand calls than one per outcome.
  if (counts.pending.length > 0 && counts.inFlight.length <= Math.floor(concurrency / 2)) {
    const wave = counts.pending.slice(0, concurrency - counts.inFlight.length);
    const outcomes = await execute(wave, ports, settings, { maxConcurrency: settings.maxConcurrency, maxErrors: '100%' });
    sent = outcomes.filter((outcome) => outcome.status === 'done').length;
  }

  const finished = counts.pending.length === 0 && counts.inFlight.length === 0;
  const next: Omit<RolloutRecord, 'revision'> = {
    ...rollout,
    total,
    sent: rollout.sent + sent,
    succeeded: counts.atTarget.length,
    failed: counts.failed.length,
    status: finished ? 'completed' : 'in-progress',
    updatedAt: now,
  };
  const stored = await putRolloutQuietly(ports, next, rollout.revision);
  if (finished && stored) {
    ports.metrics.count('RolloutsCompleted');
    const failures = counts.failed.map((o) => ({ instanceId: o.instance.instanceId, error: o.record?.lastError }));
    ports.log.info('rollout completed', { configName: key, version: rollout.version, succeeded: counts.atTarget.length, failed: failures.length, unreachable: counts.unreachable.length });
    await ports.events.publish([
      {
        detailType: SERVICE_EVENTS.rolloutCompleted,
        detail: { configName: key, version: rollout.version, succeeded: counts.atTarget.length, failed: failures.slice(0, 50), unreachable: counts.unreachable.length, stage: settings.stage },
      },
    ]);
  }
  return stored ?? (await ports.rollouts.get(key));
}

/** The subject's instances with their selections, or undefined when a newer version (or none) superseded the rollout's. */
async function observeRollout(
  ports: Ports,
  settings: Settings,
  subject: RolloutSubject,
  rollout: RolloutRecord,
): Promise<{ configs: ConfigSet; planned: PlannedInstance[] } | undefined> {
  const [configs, observed] = await Promise.all([observeConfigSet(ports, settings), observeInstances(ports, settings, subject.scope)]);
  if (!subject.current(configs, rollout)) return undefined;
  return { configs, planned: observed.map((o) => ({ ...o, selection: selectionOf(o.instance, configs, settings) })) };
}

/**
 * Stops a rollout from outside and sends the instances that took its version back to the good
 * one, as its own threshold would: the organization's threshold passed (lib/organization/rollout.ts),
 * counting failures in other account-regions. A completed rollout goes back too: its instances run
 * a version the organization refused. Any other status, or a superseded version, is left as it is.
 */
export async function rollBackRollout(ports: Ports, settings: Settings, key: string, reason: string): Promise<RolloutRecord | undefined> {
  const rollout = await ports.rollouts.get(key);
  if (rollout?.status !== 'in-progress' && rollout?.status !== 'completed') return rollout;
  const subject = subjectOf(key);
  const observed = await observeRollout(ports, settings, subject, rollout);
  if (!observed) return rollout;
  const { configs, planned } = observed;
  const now = ports.clock.now();
  const actions = plan({ settings, now, requested: 'ensure', origin: 'rollout', instances: planned, logGroups: new Map(), agent: configs.agent });
  const counts = census(subject, planned, actions, rollout, now);
  return rollBack(ports, settings, subject, rollout, counts, { total: rollout.total, allowedErrors: allowedErrorsFor(settings.maxErrors, rollout.total), planned, reason });
}

/** A lost conditional write means another caller moved the rollout on; its view wins. */
async function putRolloutQuietly(ports: Ports, record: Omit<RolloutRecord, 'revision'>, expected: number | undefined): Promise<RolloutRecord | undefined> {
  try {
    return await ports.rollouts.put(record, expected);
  } catch (error) {
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
}

/** A configuration goes back by configuring its good version ("name:version") on the instances that took the bad one. */
async function reconfigureGoodVersion(ports: Ports, settings: Settings, rollout: RolloutRecord, counts: Census): Promise<number> {
  const goodVersion = rollout.goodVersion;
  if (typeof goodVersion !== 'number') return 0;
  const commands: AgentCommand[] = counts.atTarget.map((o) => ({
    kind: 'configure',
    instanceId: o.instance.instanceId,
    configName: rollout.configName,
    parameterName: parameterName(settings, rollout.configName),
    version: goodVersion,
    reason: 'rollback',
    detail: `roll back ${rollout.configName} v${rollout.version} → v${goodVersion}`,
  }));
  // Those whose command failed still run the good version: their records say so again.
  const records: Action[] = counts.failed.map((o) => ({
    kind: 'mark-configured',
    instanceId: o.instance.instanceId,
    configName: rollout.configName,
    version: goodVersion,
    reason: 'rollback',
    detail: `kept v${goodVersion} when v${rollout.version} failed`,
    plannedFrom: { revision: o.record?.revision },
  }));
  const outcomes = await execute([...commands, ...records], ports, settings, { maxConcurrency: settings.maxConcurrency, maxErrors: '100%' });
  return outcomes.filter((outcome) => outcome.status === 'done' && outcome.action.kind === 'configure').length;
}

/**
 * The agent goes back by the planner's own decision, made against the agent version that stands
 * now that the rollout is rolled back (its good version): the instances that took the bad version
 * get an install of the good one (Distributor replaces the installed version with the one named),
 * and those whose upgrade failed, still on the good version, are marked configured again.
 */
async function reinstallGoodAgent(
  ports: Ports,
  settings: Settings,
  rollout: RolloutRecord,
  counts: Census,
  planned: PlannedInstance[],
): Promise<number> {
  const affected = new Set([...counts.atTarget, ...counts.failed].map((o) => o.instance.instanceId));
  const agent = desiredAgent(settings, rollout);
  const actions = plan({
    settings,
    now: ports.clock.now(),
    requested: 'ensure',
    origin: 'rollout',
    instances: planned.filter((o) => affected.has(o.instance.instanceId)),
    logGroups: new Map(),
    agent,
  }).filter((action) => (isAgentCommand(action) ? action.agentVersion === agent.version : action.kind === 'mark-configured'));
  const commands = actions.map((action) => (isAgentCommand(action) ? { ...action, reason: 'rollback', detail: `roll back agent ${rollout.version} → ${agent.version}` } : action));
  ports.log.info('agent rollback planned', { to: agent.version, commands: commands.filter(isAgentCommand).length });
  const outcomes = await execute(commands, ports, settings, { maxConcurrency: settings.maxConcurrency, maxErrors: '100%' });
  return outcomes.filter((outcome) => outcome.status === 'done' && isAgentCommand(outcome.action)).length;
}

async function ensureLogGroups(ports: Ports, settings: Settings, actions: Action[], instances: number): Promise<string | undefined> {
  const groups = actions.filter((action) => action.kind === 'create-log-group' || action.kind === 'set-retention');
  const creations = groups.filter((action) => action.kind === 'create-log-group').length;
  if (creations > settings.maxNewLogGroupsPerRollout) {
    return `$: this version needs ${creations} new log groups across ${instances} instances, more than the ${settings.maxNewLogGroupsPerRollout} one rollout may create (maxNewLogGroupsPerRollout)`;
  }
  const outcomes = await execute(groups, ports, settings);
  const failed = outcomes.filter((outcome) => outcome.status === 'failed');
  if (failed.length) ports.log.warn('some log groups could not be created before the rollout', { failed: failed.map((f) => f.detail).slice(0, 20) });
  return undefined;
}

async function rollBack(
  ports: Ports,
  settings: Settings,
  subject: RolloutSubject,
  rollout: RolloutRecord,
  counts: Census,
  { total, allowedErrors, planned, ...given }: { total: number; allowedErrors: number; planned: PlannedInstance[]; reason?: string },
): Promise<RolloutRecord | undefined> {
  const reason =
    given.reason ?? `${counts.failed.length} of ${total} instances failed ${subject.describe(rollout.version)}, more than maxErrors ${settings.maxErrors} (${allowedErrors})`;
  const stored = await putRolloutQuietly(
    ports,
    { ...rollout, total, status: 'rolled-back', reason, succeeded: counts.atTarget.length, failed: counts.failed.length, updatedAt: ports.clock.now() },
    rollout.revision,
  );
  if (!stored) return ports.rollouts.get(rollout.configName);
  ports.metrics.count('RolloutsRolledBack');
  ports.log.error('rollout stopped and rolled back', { configName: rollout.configName, version: rollout.version, goodVersion: rollout.goodVersion, reason });

  let rolledBack = 0;
  if (rollout.goodVersion !== undefined) {
    // Only those that took the version need to go back; those that failed kept the old one.
    // Instances still in flight with it are sent back by the worker when their outcome arrives.
    rolledBack = await subject.sendBack(ports, settings, stored, counts, planned);
  } else {
    ports.log.error('no earlier version rolled out: nothing to roll back to; the instances that took it keep it', {
      configName: rollout.configName,
      version: rollout.version,
    });
  }
  await ports.events.publish([
    {
      detailType: SERVICE_EVENTS.rolloutRolledBack,
      detail: { configName: rollout.configName, version: rollout.version, goodVersion: rollout.goodVersion, reason, rolledBack, stage: settings.stage },
    },
  ]);
  return stored;
}

/**
 * After a command outcome (every settle counts here). A rollout in progress counts it on its record (a cheap conditional
 * write) and is moved on (a work item: the worker takes a full look at its instances) only when
 * that is due: half the window has drained, or failures passed the threshold. An instance that took a version that was rolled
 * back meanwhile goes back on the work queue, where the worker configures the good version.
 */
export async function countInRollout(
  ports: Ports,
  settings: Settings,
  instanceId: string,
  settled: InFlightCommand,
  succeeded: boolean,
): Promise<void> {
  // A version whose rollout was over when the command went out has no rollout to count in:
  // skipping the read saves a GetItem on every onboarding outcome.
  if (settled.configName && settled.version !== undefined && !settled.rolledOut) {
    await countIn(ports, settings, instanceId, settled.configName, settled.version, succeeded);
  }
  // An install of a named agent version (pinned, or the one "latest" rolls out) counts in the
  // agent's rollout when that version's is under way.
  if (settled.agentVersion !== undefined) {
    await countIn(ports, settings, instanceId, AGENT_ROLLOUT, settled.agentVersion, succeeded);
  }
}

async function countIn(ports: Ports, settings: Settings, instanceId: string, key: string, version: RolloutVersion, succeeded: boolean): Promise<void> {
  try {
    const rollout = await countOutcome(ports, key, version, succeeded);
    if (!rollout || rollout.version !== version) return;
    if (rollout.status === 'rolled-back' && succeeded) {
      await ports.queue.enqueue([{ instanceId, reason: `${subjectOf(key).describe(rollout.version)} was rolled back`, attempt: 0 }]);
      return;
    }
    if (rollout.status !== 'in-progress') return;
    const inFlight = rollout.sent - rollout.succeeded - rollout.failed;
    const due =
      rollout.failed > allowedErrorsFor(settings.maxErrors, rollout.total) ||
      inFlight <= Math.floor(concurrencyFor(settings.maxConcurrency, rollout.total) / 2);
    if (due) await ports.queue.enqueue([{ rollout: key, reason: 'outcomes arrived', attempt: 0 }]);
  } catch (error) {
    // The outcome itself is recorded; the sweep moves the rollout on if this step failed.
    ports.log.warn('could not move the rollout on after an outcome', { instanceId, rollout: key, error: errorMessage(error) });
  }
}

/** Adds one outcome to an in-progress rollout's counters; returns the rollout as it now stands. */
async function countOutcome(ports: Ports, key: string, version: RolloutVersion, succeeded: boolean): Promise<RolloutRecord | undefined> {
  for (let attempt = 0; ; attempt++) {
    const rollout = await ports.rollouts.get(key);
    if (rollout?.status !== 'in-progress' || rollout.version !== version) return rollout;
    const next = {
      ...rollout,
      succeeded: rollout.succeeded + (succeeded ? 1 : 0),
      failed: rollout.failed + (succeeded ? 0 : 1),
      updatedAt: ports.clock.now(),
    };
    try {
      return await ports.rollouts.put(next, rollout.revision);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 5) throw error;
    }
  }
}
