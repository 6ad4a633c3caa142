/**
 * The narrow ports through which the domain sees AWS. Each names exactly the calls fleetwatch
 * makes, in domain terms. Two implementations exist: lib/aws (the SDK, built in one composition
 * root) and local/ (the simulated account). Errors crossing a port are the typed errors of
 * lib/errors.ts, never SDK exceptions.
 */
import type { Clock } from './clock.js';

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
export type Platform = 'linux' | 'windows';

/** One account and region (lib/model/cell.ts has its helpers): the unit of the organization mode. */
export interface Cell {
  account: string;
  region: string;
}

export interface Instance {
  instanceId: string;
  state: InstanceState;
  tags: Record<string, string>;
  platform: Platform;
  privateIpAddress?: string;
  /** e.g. ip-10-0-0-12.eu-west-1.compute.internal: what the agent's {hostname} placeholder resolves to (instance metadata). */
  privateDnsName?: string;
}

export type AssociationState = 'associating' | 'associated' | 'disassociating' | 'disassociated';

export interface ProfileAssociation {
  associationId: string;
  instanceId: string;
  /** arn:aws:iam::123456789012:instance-profile/path/name */
  profileArn: string;
  state: AssociationState;
}

export interface Ec2Port {
  /** Every instance that carries the tag key, whatever its value, in any state but terminated. Paginated inside. */
  describeInstancesByTagKey(tagKey: string): Promise<Instance[]>;
  /** The named instances; ids that do not exist (or are long gone) are left out, not an error. */
  describeInstances(instanceIds: string[]): Promise<Instance[]>;
  /** Associations in state associating or associated for these instances. */
  describeProfileAssociations(instanceIds: string[]): Promise<ProfileAssociation[]>;
  /** Throws IncorrectStateError when the instance already has one, IamNotPropagatedError while a new profile propagates. */
  associateProfile(instanceId: string, profileName: string): Promise<ProfileAssociation>;
  replaceProfile(associationId: string, profileName: string, instanceId: string): Promise<ProfileAssociation>;
}

export interface ProfileRole {
  profileName: string;
  /** Undefined when the profile holds no role. */
  roleName?: string;
  attachedPolicyArns: string[];
}

export interface IamPort {
  /** The role in a profile and the managed policies attached to it; undefined when the profile does not exist. */
  getProfileRole(profileName: string): Promise<ProfileRole | undefined>;
  /** Idempotent: attaching an attached policy succeeds. */
  attachRolePolicy(roleName: string, policyArn: string): Promise<void>;
}

export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

export interface ManagedInstance {
  instanceId: string;
  pingStatus: PingStatus;
  platformType?: string;
}

export interface Parameter {
  name: string;
  value: string;
  version: number;
}

export type ParameterTier = 'Standard' | 'Advanced';

export interface SendCommandInput {
  documentName: string;
  /** Any number: the adapter sends them in batches of at most 50 (SendCommand's limit). */
  instanceIds: string[];
  parameters: Record<string, string[]>;
  /** e.g. "10%" or "50" */
  maxConcurrency?: string;
  /** e.g. "5%" or "0" */
  maxErrors?: string;
  comment?: string;
}

export interface SentCommand {
  commandId: string;
  instanceIds: string[];
}

/** SSM's invocation statuses; the terminal ones end an invocation. */
export type InvocationStatus =
  | 'Pending'
  | 'InProgress'
  | 'Delayed'
  | 'Success'
  | 'Cancelled'
  | 'TimedOut'
  | 'Failed'
  | 'Cancelling';

export const TERMINAL_INVOCATION_STATUSES: ReadonlySet<string> = new Set([
  'Success',
  'Cancelled',
  'TimedOut',
  'Failed',
]);

export interface CommandInvocation {
  commandId: string;
  instanceId: string;
  status: InvocationStatus;
  /** Finer grain, e.g. Undeliverable, Terminated, DeliveryTimedOut, ExecutionTimedOut. */
  statusDetails?: string;
  /** The first part of the output of the failing step, when there is one. */
  output?: string;
  /** When SSM took the command (ms since the epoch). */
  requestedAt?: number;
  /** The agent version the command's status step reported (agent/document.yml reportAgentStatus), when it ran. */
  agentVersion?: string;
}

export interface SsmPort {
  /** Instances registered with SSM (DescribeInstanceInformation), optionally only these ids. */
  describeManagedInstances(instanceIds?: string[]): Promise<ManagedInstance[]>;
  /** Parameters that exist among these names (GetParameters, 10 at a time inside); missing names are left out. */
  getParameters(names: string[]): Promise<Parameter[]>;
  /** One version of a parameter ("name:version"); undefined when that version or the parameter does not exist. */
  getParameterVersion(name: string, version: number): Promise<Parameter | undefined>;
  /** Writes a new version and returns its number. */
  putParameter(name: string, value: string, tier: ParameterTier): Promise<number>;
  /** One SendCommand per batch of at most 50 ids. NotYetManagedError names an id SSM does not know. */
  sendCommand(input: SendCommandInput): Promise<SentCommand[]>;
  listCommandInvocations(commandId: string): Promise<CommandInvocation[]>;
  /**
   * One document's invocations on one instance requested at or after `after` (ms since the epoch),
   * oldest first: how a claim whose command id was never written finds the command it became.
   */
  listInvocationsOnInstance(instanceId: string, documentName: string, after: number): Promise<CommandInvocation[]>;
  /**
   * The version an Install of the agent's Distributor package (AmazonCloudWatchAgent) that names
   * none gets: the VersionName of the package document's default version (DescribeDocument). As
   * SSM gives it: the caller checks it is a version before any command carries it.
   */
  defaultAgentPackageVersion(): Promise<string | undefined>;
}

export type LogGroupClass = 'STANDARD' | 'INFREQUENT_ACCESS';

export interface LogGroup {
  name: string;
  /** Undefined: never expire. */
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass?: LogGroupClass;
  /** As DescribeLogGroups gives it (logGroupArn, no ":*"): what ListTagsForResource takes. */
  arn?: string;
  /** The group's tags, once observation read them (undefined: not read). */
  tags?: Record<string, string>;
}

export interface CreateLogGroupInput {
  name: string;
  kmsKeyId?: string;
  logGroupClass?: LogGroupClass;
  tags: Record<string, string>;
}

export interface LogsPort {
  /** Every log group whose name starts with the prefix. Paginated inside (50 a page). */
  describeLogGroups(namePrefix: string): Promise<LogGroup[]>;
  /** Throws AlreadyExistsError when the group exists. */
  createLogGroup(input: CreateLogGroupInput): Promise<void>;
  putRetentionPolicy(name: string, retentionInDays: number): Promise<void>;
  /** ListTagsForResource of a log group, by its ARN (LogGroup.arn). */
  listTags(logGroupArn: string): Promise<Record<string, string>>;
}

/** The agent actions the service's SSM document performs; uninstall stops the agent and removes its package. */
export type AgentAction = 'install-and-configure' | 'configure' | 'restart' | 'stop' | 'uninstall';

/**
 * Whether agents are really sending. Both calls cover the whole fleet in pages, never one call
 * per instance: a sweep of 10,000 instances costs a few dozen calls.
 */
export interface TelemetryPort {
  /**
   * Instance ids that put a metric with an InstanceId dimension into the namespace within the last
   * 3 hours (ListMetrics RecentlyActive=PT3H, the only window it offers).
   */
  instancesReportingMetrics(namespace: string): Promise<Set<string>>;
  /** Names of the group's log streams with an event since `since` (DescribeLogStreams by last event, newest first). */
  recentLogStreams(logGroupName: string, since: number): Promise<Set<string>>;
}

export type RecordStatus =
  | 'pending' //       selected, not yet configured
  | 'in-flight' //     a command is out
  | 'configured' //    the target configuration version is applied
  | 'failed' //        the last command failed after its retries
  | 'unreachable' //   not SSM-managed within the registration window
  | 'invalid' //       the selection names no valid configuration
  | 'drift' //         drift reported and left alone (e.g. a foreign profile in report mode)
  | 'deselected' //    selector tag removed
  | 'closed'; //       instance terminated

export interface InFlightCommand {
  /** The claim the command is sent under ("claim-<ms>"), taken before SendCommand. */
  claimId: string;
  /** The SSM command id, once SendCommand returned and its write landed. */
  commandId?: string;
  action: AgentAction;
  configName?: string;
  version?: number;
  sentAt: number;
  /** Sent at a version whose rollout was over: its outcome counts in no rollout. */
  rolledOut?: boolean;
  /** The exact agent version the command installs (an install with the stage's agentVersion pinned). */
  agentVersion?: string;
  /** After this the claim is void (a command outcome that never arrives must not block forever). */
  leaseExpiresAt: number;
}

/** One item per instance in the state table. */
export interface InstanceRecord {
  instanceId: string;
  status: RecordStatus;
  configName?: string;
  targetVersion?: number;
  appliedConfig?: string;
  appliedVersion?: number;
  /** The agent version the instance last reported running (its command's status step); undefined: not known yet. */
  agentVersion?: string;
  /** The agent version the last install asked for; with attempts > 0 and another agentVersion, it failed to take. */
  targetAgentVersion?: string;
  inFlight?: InFlightCommand;
  /** Failed attempts at the current target; reset when the target changes or a command succeeds. */
  attempts: number;
  lastError?: string;
  /** When the applied configuration was last (re)applied successfully. */
  appliedAt?: number;
  /** When the sweep restarted an agent that was not sending: the one restart before it is reported failed. */
  silenceRestartAt?: number;
  /** When the worker first found the instance running but not SSM-managed (registration window start). */
  waitingSince?: number;
  updatedAt: number;
  /** Optimistic concurrency: every write must name the revision it read. */
  revision: number;
  /** Organization mode: the member account and region of the instance (unset in the single-account mode). */
  account?: string;
  region?: string;
}

export interface StatePort {
  get(instanceId: string): Promise<InstanceRecord | undefined>;
  /** The records of these instances that exist, strongly consistent, in no particular order (BatchGetItem). */
  getMany(instanceIds: readonly string[]): Promise<InstanceRecord[]>;
  list(): Promise<InstanceRecord[]>;
  /**
   * Conditional write: succeeds only when the stored revision equals `expectedRevision`
   * (undefined: the item must not exist yet), else throws ConflictError. Stores revision + 1.
   */
  put(record: Omit<InstanceRecord, 'revision'>, expectedRevision: number | undefined): Promise<InstanceRecord>;
}

export type RolloutStatus =
  | 'in-progress' //  commands going out in waves
  | 'completed' //    every selecting instance took the version (or failed within the threshold)
  | 'rolled-back' //  failures passed the threshold: stopped, instances sent back to goodVersion
  | 'rejected'; //    the version failed the validator: nothing was sent

/**
 * What a rollout is of: a configuration (its Parameter Store version, a number) or the agent
 * itself (AGENT_ROLLOUT, an exact agent version, a string). One rollout record per subject.
 */
export type RolloutVersion = number | string;

/** The rollout subject of the agent's own version; '@' is not in any configuration name (CONFIG_NAME_PATTERN). */
export const AGENT_ROLLOUT = '@agent';

/** One item per configuration (and one for the agent): the rollout of its newest version. */
export interface RolloutRecord {
  /** The subject: a configuration name, or AGENT_ROLLOUT. */
  configName: string;
  version: RolloutVersion;
  status: RolloutStatus;
  /** The last version that rolled out; the rollback target. Undefined before the first success. */
  goodVersion?: RolloutVersion;
  /** Instances that selected the configuration when the rollout started. */
  total: number;
  sent: number;
  succeeded: number;
  failed: number;
  /** The validator's problems (rejected) or why it was rolled back. */
  reason?: string;
  startedAt: number;
  updatedAt: number;
  revision: number;
  /** Organization mode: the account-region this rollout runs in (unset in the single-account mode). */
  account?: string;
  region?: string;
  /**
   * Organization mode, the org-wide rollout's record only (lib/organization/rollout.ts): where the
   * hub's version went, account-region by account-region. `version` is then the hub's version.
   */
  organization?: OrgRolloutCells;
}

/** One account-region's part in an org-wide rollout: the hub's version as the member's, and how it went there. */
export interface OrgRolloutCell {
  /** The member's Parameter Store version the hub's version was written as (undefined: never written). */
  memberVersion?: number;
  /** The member version the cell goes back to: its own rollout's good version. */
  goodMemberVersion?: number;
  /** The cell's own rollout status, or unreachable (the member could not be written: reason says why). */
  status: RolloutStatus | 'unreachable';
  total: number;
  succeeded: number;
  failed: number;
  reason?: string;
  /** When the cell's own rollout last moved (a wave, an outcome): a cell silent too long no longer holds the next step. */
  updatedAt?: number;
}

export interface OrgRolloutCells {
  /** Every cell in scope when the rollout started, in the order they are reached: the canary first. */
  order: string[];
  /** The cells reached so far, by cellKey ("123456789012/eu-west-1"). */
  cells: Record<string, OrgRolloutCell>;
}

export interface RolloutPort {
  get(configName: string): Promise<RolloutRecord | undefined>;
  /** The rollouts of these configurations that exist, in no particular order (one BatchGetItem). */
  getMany(configNames: readonly string[]): Promise<RolloutRecord[]>;
  list(): Promise<RolloutRecord[]>;
  /** Conditional on the revision read, like StatePort.put; throws ConflictError when it lost. */
  put(record: Omit<RolloutRecord, 'revision'>, expectedRevision: number | undefined): Promise<RolloutRecord>;
}

/** Reconcile one instance (an event, a registration wait, a retry). */
export interface InstanceWorkItem {
  instanceId: string;
  /** Organization mode: the account-region the instance is in (unset: the stage's own). */
  cell?: Cell;
  reason: string;
  attempt: number;
  /**
   * Only check this command's outcome: the follow-up of a SendCommand, for when its outcome event
   * never arrives. The worker settles it from SSM if the record still waits on it, and nothing else.
   */
  commandId?: string;
  /** The claim the command was sent under, in case the write of its command id was lost. */
  claimId?: string;
  /**
   * The slot (ms) a worker reserved for this instance's profile association in its share of EC2's
   * rate: the association is made once it is due, without taking another slot.
   */
  associationSlot?: number;
}

/** Move a configuration's rollout on (its next wave, or a rollback). */
export interface RolloutWorkItem {
  rollout: string;
  /** Organization mode: the account-region whose rollout this is (unset: the stage's own). */
  cell?: Cell;
  reason: string;
  attempt: number;
}

/** Reconcile a batch of a sweep too large for one invocation (a fan-out). */
export interface BatchWorkItem {
  instanceIds: string[];
  /** Organization mode: the account-region of these instances (unset: the stage's own). */
  cell?: Cell;
  reason: string;
  attempt: number;
  /** The sweep's finding of silent agents among these ids, so a batch need not ask CloudWatch again. */
  silence?: Record<string, string>;
}

export type WorkItem = InstanceWorkItem | RolloutWorkItem | BatchWorkItem;

/** What a work item is about, for logs and error messages. */
export function workItemTarget(item: WorkItem): string {
  if ('instanceId' in item) return item.instanceId;
  if ('rollout' in item) return `rollout of ${item.rollout}`;
  return `batch of ${item.instanceIds.length} (${item.instanceIds[0]}…)`;
}

export interface QueuePort {
  /** SQS allows a delay of at most 900 s per message; the adapter clamps to it. */
  enqueue(items: WorkItem[], delaySeconds?: number): Promise<void>;
}

export interface ServiceEvent {
  detailType: string;
  detail: Record<string, unknown>;
}

export interface EventsPort {
  /** PutEvents on the default bus with the stage's source ("fleetwatch.<stage>"), 10 entries per call inside. */
  publish(events: ServiceEvent[]): Promise<void>;
}

/** The minimal structured logger lib/ writes to; Powertools' Logger satisfies it. */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Counters lib/ emits; Powertools' Metrics is adapted to it in functions/. */
export interface MetricSink {
  /** `dimensions`: the organization mode's account and region of the count (lib/organization/cell-ports.ts). */
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
export const noMetrics: MetricSink = { count() {} };

/**
 * An execution environment's memory of log groups it recently saw as they should be: a warm
 * worker trusts it for a few minutes instead of describing the same groups batch after batch
 * (lib/observation/known-log-groups.ts).
 */
export interface LogGroupMemory {
  get(name: string, now: number): LogGroup | undefined;
  remember(group: LogGroup, now: number): void;
}

/**
 * A worker environment's share of EC2's association rate (lib/apply/association-budget.ts).
 * `reserve` returns, in order, the time (ms) each of up to `count` associations may be made, none
 * before `now` and none after `until` (fewer than `count` when the share is taken up to then).
 */
export interface AssociationSlots {
  reserve(count: number, now: number, until?: number): number[];
}

/** Everything the domain needs from the outside world, built in one composition root. */
export interface Ports {
  ec2: Ec2Port;
  iam: IamPort;
  ssm: SsmPort;
  logs: LogsPort;
  telemetry: TelemetryPort;
  state: StatePort;
  rollouts: RolloutPort;
  queue: QueuePort;
  events: EventsPort;
  clock: Clock;
  log: Log;
  metrics: MetricSink;
  /** This execution environment's memory of correct log groups (the worker's; see known-log-groups.ts). */
  knownLogGroups?: LogGroupMemory;
  /** This execution environment's share of EC2's association rate (the worker's). */
  associationSlots?: AssociationSlots;
}

/** The member side of one account-region: the calls fleetwatch makes there through its execution role. */
export type MemberPorts = Pick<Ports, 'ec2' | 'iam' | 'ssm' | 'logs' | 'telemetry'>;

/** Organization mode: the way into member account-regions (STS AssumeRole of the member template's role). */
export interface MembersPort {
  /**
   * The member ports of a cell. One AssumeRole per cell per invocation: credentials are cached
   * for the invocation. Throws MemberUnreachableError naming the cell and the reason.
   */
  open(cell: Cell): Promise<MemberPorts>;
}

/** Organization mode: which accounts the configured organizational units hold (AWS Organizations). */
export interface OrganizationsPort {
  /** ACTIVE accounts under these OUs or roots, nested OUs included. */
  accountsIn(units: readonly string[]): Promise<string[]>;
}

/** What a hub's runtime adds in the organization mode: the ways into the organization. */
export interface OrganizationAccess {
  /** A new MembersPort for one invocation: its credentials cache lives as long as the invocation. */
  members(): MembersPort;
  organizations: OrganizationsPort;
}
