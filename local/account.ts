/**
 * The simulated AWS account: one account and region's worth of EC2, IAM, SSM, CloudWatch Logs,
 * DynamoDB, SQS and EventBridge state, on a virtual clock. Scenarios set the world up through
 * the helpers here (launch, terminate, tag, create roles...), run fleetwatch against
 * `account.ports()`, and assert on the world (the agent really got configured, which log groups
 * exist, how many calls it took).
 */
import { REQUIRED_POLICY_ARNS } from '../lib/config.js';
import { IamNotPropagatedError, NotFoundError } from '../lib/errors.js';
import type {
  Instance,
  InstanceRecord,
  InstanceState,
  ParameterTier,
  Platform,
  Ports,
  ProfileAssociation,
  RolloutRecord,
  SendCommandInput,
} from '../lib/ports.js';
import { CallLayer, CallMeter, type AuthorizedCall, type CallOptions, type CallStats, type FaultConfig, type LatencyConfig } from './calls.js';
import { VirtualClock } from './clock.js';
import { Listeners } from './listeners.js';
import type { Operation } from './operations.js';
import type { CommandOutcomePolicy } from './outcomes.js';
import type { AccountBackend } from './ports/backend.js';
import { buildPorts, type PortsOptions } from './ports/index.js';
import { seededRandom, type Random } from './random.js';
import type { RateLimit } from './rate.js';
import { agentStatusOutput, CLOUDWATCH_AGENT_SERVER_POLICY, newAgentState, runDocument, type AgentState } from './world/agent.js';
import {
  CommandWorld,
  type CommandEvent,
  type CommandStatusEvent,
  type CommandTiming,
  type SimCommand,
  type SimInvocation,
} from './world/commands.js';
import { DistributorWorld } from './world/distributor.js';
import { Ec2World, toAssociation, type SimInstance } from './world/ec2.js';
import { EventsWorld, type PublishedEvent } from './world/events.js';
import { IamWorld } from './world/iam.js';
import { LogsWorld, type SimLogGroup } from './world/logs.js';
import { ParameterWorld } from './world/parameters.js';
import { QueueWorld, type BatchHandler, type DrainOptions } from './world/queue.js';
import { RegistrationWorld } from './world/registration.js';
import { ROLLOUT_KEY_PREFIX, TableWorld } from './world/table.js';

const SSM_CORE_POLICY = REQUIRED_POLICY_ARNS[1];

/** Distributor's newest AmazonCloudWatchAgent in a new simulated account. */
export const DEFAULT_LATEST_AGENT_VERSION = '1.300032.2b361';

export interface SimulatedAccountOptions {
  /** Default: a new auto-advancing VirtualClock. */
  clock?: VirtualClock;
  /** Seeds faults, retry jitter and command outcome dice. Default 1. */
  seed?: number;
  /** The newest AmazonCloudWatchAgent version Distributor publishes. Default DEFAULT_LATEST_AGENT_VERSION. */
  latestAgentVersion?: string;
  accountId?: string;
  region?: string;
  /** How long a new instance profile stays invisible to EC2. Default 10 s. */
  iamPropagationDelayMs?: number;
  /** Running with a usable profile → SSM-registered. Default 60 s; per instance via launchInstance. */
  registrationDelayMs?: number;
  /** associating → associated. Default 2 s. */
  associationDelayMs?: number;
  commandTiming?: Partial<CommandTiming>;
  /** Override token buckets per operation; null: never throttled. */
  rates?: Partial<Record<Operation, RateLimit | null>>;
  faults?: FaultConfig;
  /** Defaults for every ports() of this account. */
  latencyMs?: LatencyConfig;
  retry?: CallOptions['retry'];
  /** Account-wide command outcome policy (per-instance ones win). */
  commandOutcome?: CommandOutcomePolicy;
}

export interface LaunchOptions {
  instanceId?: string;
  tags?: Record<string, string>;
  platform?: Platform;
  /** Default running. */
  state?: InstanceState;
  /** Launched with this instance profile (RunInstances' IamInstanceProfile): associated at once. */
  profileName?: string;
  registrationDelayMs?: number;
  commandOutcome?: CommandOutcomePolicy;
  privateIpAddress?: string;
  /** The agent as the AMI ships it, e.g. { installed: true }. */
  agent?: Partial<AgentState>;
}

export interface InstanceStateEvent {
  instanceId: string;
  state: InstanceState;
  time: number;
}

export interface TagChangeEvent {
  instanceId: string;
  changedTagKeys: string[];
  /** The full tag map after the change, as "Tag Change on Resource" carries it. */
  tags: Record<string, string>;
  time: number;
}

export interface ParameterChangeEvent {
  name: string;
  operation: 'Create' | 'Update' | 'Delete';
  type: 'String';
  /** Undefined for a Delete. */
  version?: number;
  time: number;
}

export interface AccountStats extends CallStats {
  now: number;
  clockSteps: number;
  instances: number;
  managedInstances: number;
  logGroups: number;
  records: number;
  conflicts: number;
  commands: number;
  invocations: Partial<Record<string, number>>;
  queued: number;
  deadLetters: number;
  eventsPublished: number;
}

export class SimulatedAccount implements AccountBackend {
  readonly clock: VirtualClock;
  readonly random: Random;
  readonly accountId: string;
  readonly region: string;
  readonly meter: CallMeter;
  /** Rejections and throws of listeners (never unhandled). */
  readonly listenerErrors: unknown[] = [];

  readonly ec2: Ec2World;
  readonly iam: IamWorld;
  readonly registration: RegistrationWorld;
  readonly parameters = new ParameterWorld();
  readonly commands: CommandWorld;
  readonly logs: LogsWorld;
  readonly table = new TableWorld();
  readonly queue: QueueWorld;
  readonly events = new EventsWorld();
  private readonly agents = new Map<string, AgentState>();
  private readonly instanceOutcome = new Map<string, CommandOutcomePolicy>();
  private commandOutcome: CommandOutcomePolicy | undefined;
  /** Distributor's AmazonCloudWatchAgent: what an unnamed install gets and DescribeDocument reports. */
  readonly distributor: DistributorWorld;
  private readonly options: Required<Pick<SimulatedAccountOptions, 'iamPropagationDelayMs' | 'registrationDelayMs' | 'associationDelayMs'>> &
    Pick<SimulatedAccountOptions, 'latencyMs' | 'retry'>;

  private readonly stateListeners = new Listeners<InstanceStateEvent>(this.listenerErrors);
  private readonly tagListeners = new Listeners<TagChangeEvent>(this.listenerErrors);
  private readonly parameterListeners = new Listeners<ParameterChangeEvent>(this.listenerErrors);
  private readonly invocationListeners = new Listeners<CommandEvent>(this.listenerErrors);
  private readonly commandListeners = new Listeners<CommandStatusEvent>(this.listenerErrors);
  private readonly registeredListeners = new Listeners<{ instanceId: string; time: number }>(this.listenerErrors);
  private readonly publishListeners = new Listeners<PublishedEvent>(this.listenerErrors);

  constructor(options: SimulatedAccountOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.random = seededRandom(options.seed ?? 1);
    this.accountId = options.accountId ?? '123456789012';
    this.region = options.region ?? 'eu-west-1';
    this.options = {
      iamPropagationDelayMs: options.iamPropagationDelayMs ?? 10_000,
      registrationDelayMs: options.registrationDelayMs ?? 60_000,
      associationDelayMs: options.associationDelayMs ?? 2_000,
      latencyMs: options.latencyMs,
      retry: options.retry,
    };
    this.commandOutcome = options.commandOutcome;
    this.distributor = new DistributorWorld(options.latestAgentVersion ?? DEFAULT_LATEST_AGENT_VERSION);
    this.meter = new CallMeter(this.clock, this.random, options.rates, options.faults);
    this.ec2 = new Ec2World(this.region);
    this.logs = new LogsWorld(`arn:aws:logs:${this.region}:${this.accountId}:log-group:`);
    this.iam = new IamWorld(this.accountId);
    this.registration = new RegistrationWorld(this.clock, (instanceId) =>
      this.registeredListeners.emit({ instanceId, time: this.clock.now() }),
    );
    this.queue = new QueueWorld(this.clock);
    this.commands = new CommandWorld({
      clock: this.clock,
      random: this.random,
      timing: { deliveryDelayMs: 2_000, durationMs: 30_000, deliveryTimeoutMs: 3_600_000, ...options.commandTiming },
      instanceState: (id) => this.ec2.get(id)?.state,
      isOnline: (id) => this.registration.isOnline(id),
      outcomePolicy: (id) => this.instanceOutcome.get(id) ?? this.commandOutcome,
      startOnAgent: (id, commandId) => {
        const agent = this.agentOf(id);
        agent.commandsRun++;
        agent.lastCommandId = commandId;
        return agent.commandsRun;
      },
      runOnAgent: (id, documentName, parameters) => this.runOnAgent(id, documentName, parameters),
      agentStatus: (id, documentName) =>
        documentName === 'AWS-ConfigureAWSPackage' || documentName === 'AmazonCloudWatch-ManageAgent' ? undefined : agentStatusOutput(this.agentOf(id)),
      invocationEvents: this.invocationListeners,
      commandEvents: this.commandListeners,
    });
  }

  // ---------------------------------------------------------------- ports and measurements

  /**
   * The account as a second stage's stack sees it: the same EC2, IAM, SSM, Logs, clock and event
   * bus, with that stage's own state table and work queue (each stage's stack creates its own).
   * A view, not a copy: everything but `table` and `queue` is this account's (no method assigns a
   * field after construction, so nothing written through the view lands on it alone).
   */
  forStage(): SimulatedAccount {
    return Object.create(this, { table: { value: new TableWorld() }, queue: { value: new QueueWorld(this.clock) } }) as SimulatedAccount;
  }

  /** Port implementations backed by this account, as one Lambda's set of SDK clients. */
  ports(options: PortsOptions = {}): Ports {
    const callOptions: CallOptions = {
      latencyMs: options.latencyMs ?? this.options.latencyMs,
      retry: options.retry ?? this.options.retry,
      ...(options.caller !== undefined && { caller: options.caller }),
    };
    return buildPorts(this, new CallLayer(this.meter, callOptions), options);
  }

  /** From now on, keep every distinct authorization the calls need (local/calls.ts AuthorizedCall). */
  recordAuthorizations(): void {
    this.meter.recordAuthorizations();
  }

  get authorizations(): AuthorizedCall[] {
    return this.meter.recordedAuthorizations();
  }

  /** API calls so far per operation (pages and batches count one each). */
  get calls(): Partial<Record<Operation, number>> {
    return this.meter.stats().calls;
  }

  stats(): AccountStats {
    const invocations: Record<string, number> = {};
    for (const command of this.commands.commands.values()) {
      for (const invocation of command.invocations) invocations[invocation.status] = (invocations[invocation.status] ?? 0) + 1;
    }
    return {
      ...this.meter.stats(),
      now: this.clock.now(),
      clockSteps: this.clock.steps,
      instances: this.ec2.instances.size,
      managedInstances: this.registration.registered.size,
      logGroups: this.logs.groups.size,
      records: this.table.count('i-'),
      conflicts: this.table.conflicts,
      commands: this.commands.commands.size,
      invocations,
      queued: this.queue.messages.size,
      deadLetters: this.queue.deadLetters.length,
      eventsPublished: this.events.published.length,
    };
  }

  /** Zeroes the call counters (e.g. after setting a scenario up through the ports). */
  resetCalls(): void {
    this.meter.reset();
  }

  setFaults(faults: FaultConfig): void {
    this.meter.faults = faults;
  }

  // ---------------------------------------------------------------- listeners (what EventBridge would carry)

  /** "EC2 Instance State-change Notification". */
  onInstanceStateChange(listener: (event: InstanceStateEvent) => unknown): () => void {
    return this.stateListeners.add(listener);
  }

  /** "Tag Change on Resource" for an instance. */
  onTagChange(listener: (event: TagChangeEvent) => unknown): () => void {
    return this.tagListeners.add(listener);
  }

  /** "Parameter Store Change" (Create or Update), from PutParameter through the ports or the helper. */
  onParameterChange(listener: (event: ParameterChangeEvent) => unknown): () => void {
    return this.parameterListeners.add(listener);
  }

  /** "EC2 Command Invocation Status-change Notification": every status change of every invocation. */
  onCommandEvent(listener: (event: CommandEvent) => unknown): () => void {
    return this.invocationListeners.add(listener);
  }

  /** "EC2 Command Status-change Notification": the command as a whole. */
  onCommandStatusEvent(listener: (event: CommandStatusEvent) => unknown): () => void {
    return this.commandListeners.add(listener);
  }

  /** An instance registered with SSM (no EventBridge event exists for this; for scenarios). */
  onRegistered(listener: (event: { instanceId: string; time: number }) => unknown): () => void {
    return this.registeredListeners.add(listener);
  }

  /** Events fleetwatch published (PutEvents). */
  onPublished(listener: (event: PublishedEvent) => unknown): () => void {
    return this.publishListeners.add(listener);
  }

  // ---------------------------------------------------------------- EC2 helpers

  launchInstance(options: LaunchOptions = {}): Instance {
    const now = this.clock.now();
    const instance = this.ec2.add({
      instanceId: options.instanceId ?? this.ec2.nextInstanceId(),
      state: options.state ?? 'running',
      tags: options.tags ?? {},
      platform: options.platform ?? 'linux',
      launchedAt: now,
      ...(options.registrationDelayMs !== undefined && { registrationDelayMs: options.registrationDelayMs }),
      ...(options.privateIpAddress !== undefined && { privateIpAddress: options.privateIpAddress }),
    });
    if (options.commandOutcome) this.instanceOutcome.set(instance.instanceId, options.commandOutcome);
    if (options.agent) this.agents.set(instance.instanceId, { ...newAgentState(), ...options.agent });
    if (options.profileName) {
      const profile = this.iam.requireProfile(options.profileName);
      this.ec2.associate(instance.instanceId, profile.profileName, profile.arn).state = 'associated';
    }
    this.refresh(instance.instanceId);
    this.stateListeners.emit({ instanceId: instance.instanceId, state: instance.state, time: now });
    return this.ec2.toInstance(instance);
  }

  /** Launches `count` instances; `template(i)` gives each one's options. Returns their ids. */
  launchFleet(count: number, template: (index: number) => LaunchOptions = () => ({})): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(this.launchInstance(template(i)).instanceId);
    return ids;
  }

  instance(instanceId: string): Instance | undefined {
    const instance = this.ec2.get(instanceId);
    return instance && this.ec2.toInstance(instance);
  }

  /** Moves the instance to a state at once (no stopping/shutting-down dwell), emitting the state-change event. */
  setState(instanceId: string, state: InstanceState): void {
    const instance = this.ec2.require(instanceId);
    if (instance.state === state) return;
    if (instance.state === 'terminated') throw new NotFoundError(`instance ${instanceId} is terminated`, { instanceId });
    instance.state = state;
    if (state === 'terminated') {
      instance.terminatedAt = this.clock.now();
      this.ec2.disassociate(instanceId);
      this.registration.forget(instanceId);
      this.commands.instanceTerminated(instanceId);
    }
    this.refresh(instanceId);
    this.stateListeners.emit({ instanceId, state, time: this.clock.now() });
  }

  terminate(instanceId: string): void {
    this.setState(instanceId, 'terminated');
  }

  /** Replaces the instance's tags; emits a tag change when any key changed. */
  setTags(instanceId: string, tags: Record<string, string>): void {
    const changed = this.ec2.setTags(instanceId, tags);
    if (changed.length) {
      this.tagListeners.emit({ instanceId, changedTagKeys: changed, tags: { ...tags }, time: this.clock.now() });
    }
  }

  /** Sets one tag (or removes it with value undefined). */
  tag(instanceId: string, key: string, value: string | undefined): void {
    const tags = { ...this.ec2.require(instanceId).tags };
    if (value === undefined) delete tags[key];
    else tags[key] = value;
    this.setTags(instanceId, tags);
  }

  // ---------------------------------------------------------------- IAM helpers

  createRole(roleName: string, policyArns: readonly string[] = []): void {
    this.iam.createRole(roleName, policyArns);
  }

  /** A new profile, invisible to EC2 for iamPropagationDelayMs unless `propagated`. */
  createInstanceProfile(profileName: string, options: { roleName?: string; propagated?: boolean } = {}): string {
    const delay = options.propagated ? 0 : this.options.iamPropagationDelayMs;
    const profile = this.iam.createInstanceProfile(profileName, this.clock.now(), delay);
    if (options.roleName) this.iam.addRoleToInstanceProfile(profileName, options.roleName);
    return profile.arn;
  }

  addRoleToInstanceProfile(profileName: string, roleName: string): void {
    this.iam.addRoleToInstanceProfile(profileName, roleName);
    this.refreshProfile(profileName);
  }

  attachRolePolicy(roleName: string, policyArn: string): void {
    if (this.iam.attachRolePolicy(roleName, policyArn)) this.refreshRole(roleName);
  }

  detachRolePolicy(roleName: string, policyArn: string): void {
    if (this.iam.detachRolePolicy(roleName, policyArn)) this.refreshRole(roleName);
  }

  /** The service's managed profile: a role with both required policies, already propagated (the stack made it). */
  createManagedProfile(profileName: string, roleName = `${profileName}-role`): string {
    this.createRole(roleName, REQUIRED_POLICY_ARNS);
    return this.createInstanceProfile(profileName, { roleName, propagated: true });
  }

  /** Associates at once, bypassing propagation (scenario setup, not the API). */
  associateProfile(instanceId: string, profileName: string): ProfileAssociation {
    const profile = this.iam.requireProfile(profileName);
    const association = this.ec2.associate(instanceId, profileName, profile.arn);
    association.state = 'associated';
    this.refresh(instanceId);
    return toAssociation(association);
  }

  // ---------------------------------------------------------------- SSM helpers

  /** PutParameter with Overwrite; emits the Parameter Store Change event. Returns the version. */
  putParameter(name: string, value: string, tier: ParameterTier = 'Standard'): number {
    const { version, created } = this.parameters.put(name, value, tier, this.clock.now());
    this.parameterListeners.emit({ name, operation: created ? 'Create' : 'Update', type: 'String', version, time: this.clock.now() });
    return version;
  }

  /** DeleteParameter (someone removed a configuration by hand); emits the Parameter Store Change event. */
  deleteParameter(name: string): void {
    const version = this.parameters.latest(name)?.version;
    if (version === undefined || !this.parameters.delete(name)) throw new NotFoundError(`ParameterNotFound: ${name}`, { resource: name });
    this.parameterListeners.emit({ name, operation: 'Delete', type: 'String', version, time: this.clock.now() });
  }

  isManaged(instanceId: string): boolean {
    return this.registration.isRegistered(instanceId);
  }

  /** Distributor publishes a new AmazonCloudWatchAgent: an install that names no version gets it, and DescribeDocument names it. */
  publishAgentVersion(version: string): void {
    this.distributor.publish(version);
  }

  /** The agent on the instance as the SSM documents left it (a copy). */
  agent(instanceId: string): AgentState {
    return { ...this.agentOf(instanceId) };
  }

  /** The agent keeps running but CloudWatch stops hearing from it; 'until-restart': a restart fixes it. */
  silenceAgent(instanceId: string, mode: NonNullable<AgentState['silent']> = 'until-restart'): void {
    this.agentOf(instanceId).silent = mode;
  }

  /** Someone removed the instance's profile association (DisassociateIamInstanceProfile). */
  disassociateProfile(instanceId: string): void {
    this.ec2.disassociate(instanceId);
    this.refresh(instanceId);
  }

  /** Someone deleted a log group by hand (DeleteLogGroup). */
  deleteLogGroup(name: string): void {
    this.logs.groups.delete(name);
  }

  /** The agent process stops (it crashed, or someone stopped it by hand). */
  stopAgent(instanceId: string): void {
    this.agentOf(instanceId).running = false;
  }

  setCommandOutcome(policy: CommandOutcomePolicy | undefined): void {
    this.commandOutcome = policy;
  }

  setInstanceCommandOutcome(instanceId: string, policy: CommandOutcomePolicy | undefined): void {
    if (policy) this.instanceOutcome.set(instanceId, policy);
    else this.instanceOutcome.delete(instanceId);
  }

  command(commandId: string): SimCommand | undefined {
    return this.commands.commands.get(commandId);
  }

  invocationsOn(instanceId: string): SimInvocation[] {
    return this.commands.invocationsOn(instanceId);
  }

  // ---------------------------------------------------------------- Logs, table, queue, events helpers

  createLogGroup(name: string, options: { retentionInDays?: number; tags?: Record<string, string> } = {}): void {
    this.logs.create({ name, tags: options.tags ?? {} }, this.clock.now());
    if (options.retentionInDays !== undefined) this.logs.putRetention(name, options.retentionInDays);
  }

  logGroup(name: string): SimLogGroup | undefined {
    const group = this.logs.groups.get(name);
    return group && { ...group, tags: { ...group.tags } };
  }

  record(instanceId: string): InstanceRecord | undefined {
    return this.table.get<InstanceRecord>(instanceId);
  }

  /** Every instance record (rollout items left out). */
  records(): InstanceRecord[] {
    return this.table.all<InstanceRecord>('i-');
  }

  rollout(configName: string): RolloutRecord | undefined {
    const item = this.table.get<RolloutRecord & { instanceId?: string }>(ROLLOUT_KEY_PREFIX + configName);
    if (!item) return undefined;
    const { instanceId: _key, ...record } = item;
    return record;
  }

  /** Runs the worker over the queue until it is empty (see QueueWorld.drain). */
  drain(handler: BatchHandler, options?: DrainOptions): Promise<number> {
    return this.queue.drain(handler, options);
  }

  get published(): readonly PublishedEvent[] {
    return this.events.published;
  }

  // ---------------------------------------------------------------- what the ports call (the service side)

  /** AssociateIamInstanceProfile as the API does it: the profile must be visible to EC2. */
  serveAssociate(instanceId: string, profileName: string): ProfileAssociation {
    const profile = this.visibleProfile(profileName, instanceId);
    const association = this.ec2.associate(instanceId, profileName, profile.arn);
    this.settleAssociation(association.associationId);
    return toAssociation(association);
  }

  serveReplace(associationId: string, profileName: string, instanceId: string): ProfileAssociation {
    const profile = this.visibleProfile(profileName, instanceId);
    const association = this.ec2.replace(associationId, profileName, profile.arn);
    this.refresh(association.instanceId);
    this.settleAssociation(association.associationId);
    return toAssociation(association);
  }

  serveSendCommand(input: SendCommandInput): SimCommand {
    return this.commands.send(input);
  }

  publish(event: { detailType: string; detail: Record<string, unknown> }, source: string): void {
    this.publishListeners.emit(this.events.record(event, source, this.clock.now()));
  }

  /** Ping status for DescribeInstanceInformation. */
  pingStatus(instanceId: string): 'Online' | 'ConnectionLost' {
    return this.registration.isOnline(instanceId) ? 'Online' : 'ConnectionLost';
  }

  // ---------------------------------------------------------------- internals

  private visibleProfile(profileName: string, instanceId: string) {
    const profile = this.iam.profiles.get(profileName);
    // EC2 cannot tell a profile that does not exist from one it does not see yet: the same error for both.
    if (!profile || this.clock.now() < profile.visibleAt) {
      throw new IamNotPropagatedError(`InvalidParameterValue: Invalid IAM Instance Profile name ${profileName}`, {
        instanceId,
        resource: profileName,
      });
    }
    return profile;
  }

  private settleAssociation(associationId: string): void {
    this.clock.setTimer(this.options.associationDelayMs, () => {
      const association = this.ec2.associations.get(associationId);
      if (association?.state !== 'associating') return;
      association.state = 'associated';
      this.refresh(association.instanceId);
    });
  }

  /** Re-decides whether the instance's SSM agent has what it needs to register and ping. */
  private refresh(instanceId: string): void {
    const instance: SimInstance | undefined = this.ec2.get(instanceId);
    if (!instance || instance.state === 'terminated') return;
    const association = this.ec2.activeAssociationOf(instanceId);
    const eligible =
      instance.state === 'running' &&
      association?.state === 'associated' &&
      this.iam.profileHasPolicy(association.profileName, SSM_CORE_POLICY);
    this.registration.update(instanceId, eligible, instance.registrationDelayMs ?? this.options.registrationDelayMs);
  }

  private refreshProfile(profileName: string): void {
    for (const instanceId of this.ec2.instancesByProfile.get(profileName) ?? []) this.refresh(instanceId);
  }

  private refreshRole(roleName: string): void {
    for (const profileName of this.iam.profilesWithRole(roleName)) this.refreshProfile(profileName);
  }

  private agentOf(instanceId: string): AgentState {
    let agent = this.agents.get(instanceId);
    if (!agent) this.agents.set(instanceId, (agent = newAgentState()));
    return agent;
  }

  private runOnAgent(instanceId: string, documentName: string, parameters: Record<string, string[]>) {
    const association = this.ec2.activeAssociationOf(instanceId);
    const { result, next } = runDocument(this.agentOf(instanceId), {
      documentName,
      parameters,
      now: this.clock.now(),
      latestAgentVersion: this.distributor.defaultVersion,
      readParameter: (location) => this.parameters.resolve(location),
      // CloudWatchAgentServerPolicy grants ssm:GetParameter on parameter/AmazonCloudWatch-* only.
      mayRead: (name) =>
        name.startsWith('AmazonCloudWatch-') &&
        association !== undefined &&
        this.iam.profileHasPolicy(association.profileName, CLOUDWATCH_AGENT_SERVER_POLICY),
    });
    this.agents.set(instanceId, next);
    return result;
  }
}
