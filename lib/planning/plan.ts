/**
 * The planner: a pure function from desired and observed state to a list of typed actions.
 * No I/O, no clock, no randomness: the same input always gives the same plan, which is exactly
 * what a dry run prints and what the executor applies.
 */
import { LOG_GROUP_OWNER_TAG, REQUIRED_POLICY_ARNS, parameterName, type Settings } from '../config.js';
import type { DesiredAgent, DesiredLogGroup, Selection } from './desired.js';
import type { ObservedInstance } from '../model/observed.js';
import { leaseHeld, type PlannedFrom } from '../model/lifecycle.js';
import { MINUTE_MS, REPORTING_GRACE_MS, registrationLookDelaySeconds } from '../model/timing.js';
import type { AgentAction, InstanceRecord, LogGroup, LogGroupClass } from '../ports.js';

export type RequestedAction = 'ensure' | 'install' | 'configure' | 'restart';


/**
 * Who is planning. A `sweep` (reconcile of many instances) leaves an instance that is already
 * waiting for SSM registration to the work item that waits for it; the `worker` holding that item
 * plans the next wait itself. A `rollout` plans its configuration's instances to choose its next
 * wave: it is the one caller that does not hold a version back for the rollout in progress.
 */
export type PlanOrigin = 'sweep' | 'worker' | 'rollout';

/** A short, stable reason (what counts group by) and the specifics for this instance or group. */
interface Why {
  reason: string;
  detail: string;
  /**
   * The state record the plan was made from (revision undefined: there was none). A plan can be
   * minutes old when its last phase runs; the executor skips an action whose record has moved on
   * since, rather than undo what a worker did meanwhile.
   */
  plannedFrom?: PlannedFrom;
}

export interface AgentCommand extends Why {
  kind: AgentAction;
  instanceId: string;
  configName?: string;
  parameterName?: string;
  version?: number;
  /** The one restart of an agent that stopped reporting, before it is reported failed. */
  forSilence?: boolean;
  /** The version's rollout is over: its outcome counts in no rollout (ConfigurationVersion.rolledOut). */
  rolledOut?: boolean;
  /** install-and-configure only: the exact agent version to install (undefined: Distributor's latest). */
  agentVersion?: string;
}

export type Action =
  | ({ kind: 'associate-profile'; instanceId: string; profileName: string } & Why)
  | ({ kind: 'attach-policies'; instanceId: string; roleName: string; policyArns: string[] } & Why)
  | ({ kind: 'replace-profile'; instanceId: string; associationId: string; profileName: string } & Why)
  | ({
      kind: 'create-log-group';
      logGroupName: string;
      retentionInDays: number;
      logGroupClass: LogGroupClass;
      kmsKeyId?: string;
      instanceIds: string[];
    } & Why)
  | ({ kind: 'set-retention'; logGroupName: string; retentionInDays: number; instanceIds: string[] } & Why)
  /** An existing group the stage does not own (and does not adopt) whose retention differs: reported, never changed. */
  | ({ kind: 'report-foreign-log-group'; logGroupName: string; retentionInDays: number; instanceIds: string[] } & Why)
  | AgentCommand
  /** nextLookSeconds: when to look again, from when registration is due (lib/model/timing.ts). */
  | ({ kind: 'wait-for-registration'; instanceId: string; nextLookSeconds: number } & Why)
  | ({ kind: 'report-unreachable'; instanceId: string } & Why)
  | ({ kind: 'report-invalid'; instanceId: string } & Why)
  /** configName: the configuration the instance selects, so its record (and status) can say so. */
  | ({ kind: 'report-drift'; instanceId: string; configName: string } & Why)
  | ({ kind: 'report-silent'; instanceId: string } & Why)
  | ({ kind: 'deselect'; instanceId: string } & Why)
  | ({ kind: 'mark-configured'; instanceId: string; configName: string; version: number } & Why)
  | ({ kind: 'close-record'; instanceId: string } & Why);

export type ActionKind = Action['kind'];

export const AGENT_COMMAND_KINDS: ReadonlySet<ActionKind> = new Set(['install-and-configure', 'configure', 'restart', 'stop', 'uninstall']);

export function isAgentCommand(action: Action): action is AgentCommand {
  return AGENT_COMMAND_KINDS.has(action.kind);
}

/** The instance an action is about, or undefined for a shared resource (a log group). */
export function instanceOf(action: Action): string | undefined {
  return 'instanceId' in action ? action.instanceId : undefined;
}

export interface PlannedInstance extends ObservedInstance {
  selection: Selection;
}

export interface PlanInput {
  settings: Settings;
  now: number;
  requested: RequestedAction;
  origin: PlanOrigin;
  instances: PlannedInstance[];
  /** Existing log groups, by name, among those the selections name. */
  logGroups: Map<string, LogGroup>;
  /** Configured instances CloudWatch does not hear from, with what is missing (sweeps only). */
  silence?: Map<string, string>;
  /** The agent version that stands (ConfigSet.agent); undefined: versions are not managed ("latest"). */
  agent?: DesiredAgent;
}

export function plan(input: PlanInput): Action[] {
  const profileActions: Action[] = [];
  const agentActions: Action[] = [];
  const reports: Action[] = [];
  const wantedGroups = new Map<string, { group: DesiredLogGroup; instanceIds: string[] }>();

  for (const observed of input.instances) {
    const { instance, selection, record } = observed;
    const id = instance.instanceId;

    if (instance.state === 'terminated' || instance.state === 'shutting-down') {
      if (record && record.status !== 'closed') {
        reports.push({ kind: 'close-record', instanceId: id, reason: 'instance terminated', detail: `state ${instance.state}` });
      }
      continue;
    }
    if (selection.kind === 'unselected') {
      if (record?.configName && record.status !== 'deselected' && record.status !== 'closed') {
        const detail = `selector tag ${input.settings.selectorTagKey} removed (was ${record.configName})`;
        const onDeselect = input.settings.onDeselect;
        if (onDeselect !== 'leave' && record.appliedConfig && instance.state === 'running' && observed.managed) {
          agentActions.push({
            kind: onDeselect,
            instanceId: id,
            configName: record.appliedConfig,
            parameterName: parameterName(input.settings, record.appliedConfig),
            ...(record.appliedVersion !== undefined && { version: record.appliedVersion }),
            reason: 'deselected',
            detail: `${detail}; ${onDeselect === 'stop' ? 'stop the agent' : 'stop the agent and uninstall it'}`,
          });
        } else {
          reports.push({ kind: 'deselect', instanceId: id, reason: 'deselected', detail });
        }
      }
      continue;
    }
    if (selection.kind === 'invalid') {
      if (record?.status !== 'invalid' || record.lastError !== selection.reason) {
        reports.push({ kind: 'report-invalid', instanceId: id, reason: 'invalid selection', detail: selection.reason });
      }
      continue;
    }
    // Only a running instance can take a profile association that matters now and run a command.
    if (instance.state !== 'running') continue;

    const profile = planProfile(observed, input.settings);
    if (profile.drift) {
      // Report mode: the drift is reported and nothing changes on this instance (docs/design.md, "Profiles").
      if (record?.status !== 'drift' || record.lastError !== profile.drift) {
        reports.push({ kind: 'report-drift', instanceId: id, configName: selection.configuration.configName, reason: 'foreign profile lacks policies', detail: profile.drift });
      }
      continue;
    }
    profileActions.push(...profile.actions);

    for (const group of selection.logGroups) {
      const entry = wantedGroups.get(group.name);
      if (entry) entry.instanceIds.push(id);
      else wantedGroups.set(group.name, { group, instanceIds: [id] });
    }

    const agent = planAgent(observed, selection, input, profile.actions.length > 0);
    if (agent) (isAgentCommand(agent) ? agentActions : reports).push(agent);
  }

  const revisionOf = new Map(input.instances.map((o) => [o.instance.instanceId, o.record?.revision]));
  const fromRecord = (action: Action): Action => ({ ...action, plannedFrom: { revision: revisionOf.get((action as { instanceId: string }).instanceId) } });
  return [...profileActions, ...planLogGroups(wantedGroups, input.logGroups, input.settings), ...agentActions.map(fromRecord), ...reports.map(fromRecord)];
}

function planProfile(observed: ObservedInstance, settings: Settings): { actions: Action[]; drift?: string } {
  const id = observed.instance.instanceId;
  const { association, profile } = observed;
  if (!association) {
    return {
      actions: [
        { kind: 'associate-profile', instanceId: id, profileName: settings.managedProfileName, reason: 'no instance profile', detail: `associate ${settings.managedProfileName}` },
      ],
    };
  }
  const profileName = association.profileArn.slice(association.profileArn.lastIndexOf('/') + 1);
  if (profileName === settings.managedProfileName) return { actions: [] };
  const missing = REQUIRED_POLICY_ARNS.filter((arn) => !profile?.attachedPolicyArns.includes(arn));
  if (missing.length === 0) return { actions: [] };

  const missingNames = missing.map((arn) => arn.slice(arn.lastIndexOf('/') + 1)).join(', ');
  const roleText = profile?.roleName ? `role ${profile.roleName}` : profile ? 'no role' : 'a profile that no longer exists';
  const detail = `profile ${profileName} (${roleText}) lacks ${missingNames}`;
  switch (settings.profileMode) {
    case 'report':
      return { actions: [], drift: detail };
    case 'attach':
      if (!profile?.roleName) return { actions: [], drift: `${detail}; no role to attach to` };
      return {
        actions: [
          { kind: 'attach-policies', instanceId: id, roleName: profile.roleName, policyArns: [...missing], reason: 'foreign profile lacks policies', detail },
        ],
      };
    case 'replace':
      return {
        actions: [
          {
            kind: 'replace-profile',
            instanceId: id,
            associationId: association.associationId,
            profileName: settings.managedProfileName,
            reason: 'foreign profile lacks policies',
            detail: `${detail}; replace with ${settings.managedProfileName}`,
          },
        ],
      };
  }
}

function planAgent(
  observed: ObservedInstance,
  selection: Extract<Selection, { kind: 'selected' }>,
  input: PlanInput,
  profileChanging: boolean,
): Action | undefined {
  const { instance, record, managed } = observed;
  const id = instance.instanceId;
  const { configName, parameterName, version, rolledOut } = selection.configuration;
  const windowMs = input.settings.registrationWindowMinutes * MINUTE_MS;

  if (!managed || managed.pingStatus !== 'Online' || profileChanging) {
    const why = !managed
      ? 'not registered with SSM'
      : managed.pingStatus !== 'Online'
        ? `SSM ping status ${managed.pingStatus}`
        : 'instance profile changing';
    const waitingSince = record?.waitingSince;
    if (waitingSince !== undefined && input.now - waitingSince >= windowMs) {
      if (record?.status === 'unreachable') return undefined;
      return {
        kind: 'report-unreachable',
        instanceId: id,
        reason: 'registration window passed',
        detail: `${why} ${Math.round((input.now - waitingSince) / MINUTE_MS)} min after it was first seen (window ${input.settings.registrationWindowMinutes} min)`,
      };
    }
    if (input.origin !== 'worker' && waitingSince !== undefined) return undefined;
    // The wait counts from the association this plan makes (the executor queues the look after
    // it), else from when the wait began: registration follows the profile, not the first look.
    const waitingFor = profileChanging || waitingSince === undefined ? 0 : input.now - waitingSince;
    return { kind: 'wait-for-registration', instanceId: id, nextLookSeconds: registrationLookDelaySeconds(waitingFor), reason: 'not reachable by SSM yet', detail: why };
  }

  if (leaseHeld(record, input.now)) return undefined;

  const command = { instanceId: id, configName, parameterName, version, ...(rolledOut && { rolledOut }) };
  const agentVersion = input.agent?.version;
  const install = { ...command, ...(agentVersion !== undefined && { agentVersion }) };
  const upToDate = record?.appliedConfig === configName && record.appliedVersion === version;
  if (upToDate) {
    switch (input.requested) {
      case 'restart':
        return { kind: 'restart', ...command, reason: 'requested', detail: `restart with ${configName} v${version}` };
      case 'install':
        return { kind: 'install-and-configure', ...install, reason: 'requested', detail: `reinstall, ${configName} v${version}` };
      case 'configure':
        return { kind: 'configure', ...command, reason: 'requested', detail: `configure ${configName} v${version}` };
      case 'ensure': {
        const upgrade = agentUpgrade(record, input);
        if (upgrade) return { kind: 'install-and-configure', ...install, reason: 'agent version drift', detail: upgrade };
        if (upgrade === HOLD) return undefined;
        // Silence counts only past the grace period since the last (re)start, whoever found it: a
        // fan-out batch carries its sweep's finding, and may run again after its own restart.
        const settled = record.appliedAt !== undefined && input.now - record.appliedAt >= REPORTING_GRACE_MS;
        const silence = settled ? input.silence?.get(id) : undefined;
        const silentFailure = record.status === 'failed' && record.silenceRestartAt !== undefined;
        if (!silence && record.status !== 'configured' && !silentFailure) {
          // The agent runs the standing version, but the record still says otherwise (it waited for
          // SSM after a lost profile, or a rollback made its old version the standing one again).
          return { kind: 'mark-configured', instanceId: id, configName, version, reason: 'record behind', detail: `record says ${record.status}; agent runs ${configName} v${version}` };
        }
        if (!silence || record.status === 'failed') return undefined;
        if (record.silenceRestartAt === undefined) {
          return { kind: 'restart', ...command, forSilence: true, reason: 'agent silent', detail: `${silence}; restart it once` };
        }
        const minutes = Math.round((input.now - record.silenceRestartAt) / MINUTE_MS);
        return { kind: 'report-silent', instanceId: id, reason: 'agent silent after restart', detail: `${silence}, ${minutes} min after a restart` };
      }
    }
  }
  if (
    input.requested === 'ensure' &&
    record?.status === 'failed' &&
    record.configName === configName &&
    record.targetVersion === version
  ) {
    // It failed at this very target after its retries; trying again on every sweep would only
    // repeat the failure. A new version, or an operator's install/configure, tries again.
    return undefined;
  }
  if (record?.appliedVersion === undefined || input.requested === 'install') {
    return {
      kind: 'install-and-configure',
      ...install,
      reason: 'not configured',
      detail: `install agent${agentVersion ? ` ${agentVersion}` : ''}, configure ${configName} v${version}`,
    };
  }
  if (selection.configuration.rolloutInProgress && record.appliedConfig === configName && input.requested === 'ensure' && input.origin !== 'rollout') {
    // The rollout sends this version in waves under maxConcurrency/maxErrors; going ahead of it
    // here would bypass that rate control.
    return undefined;
  }
  const detail =
    record.appliedConfig !== configName
      ? `runs ${record.appliedConfig} v${record.appliedVersion}, tag selects ${configName} v${version}`
      : `runs v${record.appliedVersion}, current is v${version}`;
  return { kind: 'configure', ...command, reason: record.appliedConfig !== configName ? 'configuration changed' : 'version behind', detail };
}

/** An instance that failed to take the agent version after its retries: left alone (like a failed configuration target). */
const HOLD = '';

/**
 * Whether an instance on its configuration should get the standing agent version: the detail of
 * the upgrade (or downgrade, after a rollback); HOLD when it failed at that version after its
 * retries, or once while its rollout is under way; undefined when it runs it, versions are not managed, or the agent's rollout paces it.
 * A record that has not reported a version yet counts as another version: the install is a no-op
 * for Distributor when the version is already there, and the command's status step reports it.
 */
function agentUpgrade(record: InstanceRecord, input: PlanInput): string | undefined {
  const agent = input.agent;
  if (agent?.version === undefined || record.agentVersion === agent.version) return undefined;
  const failedAtIt = record.targetAgentVersion === agent.version && record.attempts > 0;
  if (record.status === 'failed' && failedAtIt) return HOLD;
  // During the rollout a failed upgrade is the rollout's to count, not a record to mark configured
  // or an upgrade to retry: its retry would bypass the rollout's pace and hide the failure.
  if (agent.rolloutInProgress && input.origin !== 'rollout') return failedAtIt ? HOLD : undefined;
  return record.agentVersion === undefined
    ? `agent version not reported yet; install agent ${agent.version}`
    : `runs agent ${record.agentVersion}, the stage's agent version is ${agent.version}`;
}

function planLogGroups(
  wanted: Map<string, { group: DesiredLogGroup; instanceIds: string[] }>,
  existing: Map<string, LogGroup>,
  settings: Pick<Settings, 'stage' | 'adoptLogGroups'>,
): Action[] {
  const actions: Action[] = [];
  for (const [name, { group, instanceIds }] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    const found = existing.get(name);
    if (!found) {
      actions.push({
        kind: 'create-log-group',
        logGroupName: name,
        retentionInDays: group.retentionInDays,
        logGroupClass: group.logGroupClass,
        ...(group.kmsKeyId && { kmsKeyId: group.kmsKeyId }),
        instanceIds,
        reason: 'log group missing',
        detail: `create ${name} (${retentionText(group.retentionInDays)}, ${group.logGroupClass})`,
      });
      continue;
    }
    const have = found.retentionInDays ?? -1;
    if (have !== group.retentionInDays && !settings.adoptLogGroups && !ownedBy(found, settings.stage)) {
      actions.push({
        kind: 'report-foreign-log-group',
        logGroupName: name,
        retentionInDays: group.retentionInDays,
        instanceIds,
        reason: 'log group not owned',
        detail: `${name}: ${retentionText(have)} left as it is, configuration wants ${retentionText(group.retentionInDays)}; not created by stage ${settings.stage} (tag ${LOG_GROUP_OWNER_TAG}); adoptLogGroups lets the stage change it`,
      });
    } else if (have !== group.retentionInDays) {
      actions.push({
        kind: 'set-retention',
        logGroupName: name,
        retentionInDays: group.retentionInDays,
        instanceIds,
        reason: 'retention differs',
        detail: `${name}: ${retentionText(have)}, want ${retentionText(group.retentionInDays)}`,
      });
    }
  }
  return actions;
}

/** Whether the stage created the group (its ownership tag), as observation read the tags. */
function ownedBy(group: LogGroup, stage: string): boolean {
  return group.tags?.[LOG_GROUP_OWNER_TAG] === stage;
}

function retentionText(days: number): string {
  return days === -1 ? 'never expire' : `${days} days`;
}
