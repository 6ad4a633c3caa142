/**
 * SSM Run Command. SendCommand fans a command out as one invocation per instance; each goes
 * Pending → InProgress → a terminal status, at most MaxConcurrency at a time, and SSM stops
 * starting new ones once more than MaxErrors have failed. Each status change is what EventBridge
 * would carry as "EC2 Command Invocation Status-change Notification".
 */
import { FleetwatchError, NotFoundError, NotYetManagedError } from '../../lib/errors.js';
import type { CommandInvocation, InstanceState, InvocationStatus, SendCommandInput } from '../../lib/ports.js';

/** An invocation as the simulated SSM holds it: the status step's raw output, which the port parses as the SDK adapter does. */
export type SimInvocationView = CommandInvocation & { agentStatus?: string };
import type { TimerHandle, VirtualClock } from '../clock.js';
import type { Listeners } from '../listeners.js';
import { LIMITS } from '../operations.js';
import type { CommandOutcome, CommandOutcomePolicy } from '../outcomes.js';
import type { Random } from '../random.js';
import type { DocumentResult } from './agent.js';

export interface CommandTiming {
  /** SendCommand to InProgress on an instance that runs. */
  deliveryDelayMs: number;
  /** InProgress to the end, unless the outcome policy says otherwise. */
  durationMs: number;
  /** A Pending invocation whose instance does not run ends DeliveryTimedOut after this (SSM default 3600 s). */
  deliveryTimeoutMs: number;
}

export interface CommandEvent {
  commandId: string;
  instanceId: string;
  documentName: string;
  status: InvocationStatus;
  statusDetails: string;
  time: number;
}

export type CommandStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled';

export interface CommandStatusEvent {
  commandId: string;
  documentName: string;
  status: CommandStatus;
  time: number;
}

/** What the command world needs from the rest of the account. */
export interface CommandHost {
  clock: VirtualClock;
  random: Random;
  timing: CommandTiming;
  instanceState(instanceId: string): InstanceState | undefined;
  isOnline(instanceId: string): boolean;
  outcomePolicy(instanceId: string): CommandOutcomePolicy | undefined;
  /** Counts the command on the instance's agent; returns its ordinal (1 = first). */
  startOnAgent(instanceId: string, commandId: string): number;
  /** Runs the document against the instance's agent, changing it on success. */
  runOnAgent(instanceId: string, documentName: string, parameters: Record<string, string[]>): DocumentResult;
  /** What the service document's status step prints when an earlier step failed: the agent as it was. */
  agentStatus(instanceId: string, documentName: string): string | undefined;
  invocationEvents: Listeners<CommandEvent>;
  commandEvents: Listeners<CommandStatusEvent>;
}

export interface SimInvocation {
  command: SimCommand;
  instanceId: string;
  status: InvocationStatus;
  statusDetails: string;
  output?: string;
  /** The output of the service document's status step (`amazon-cloudwatch-agent-ctl -a status`). */
  agentStatus?: string;
  startedAt?: number;
  endedAt?: number;
  timer?: TimerHandle;
  /** Took a MaxConcurrency slot. */
  slot: boolean;
}

export interface SimCommand {
  commandId: string;
  documentName: string;
  parameters: Record<string, string[]>;
  comment?: string;
  requestedAt: number;
  status: CommandStatus;
  invocations: SimInvocation[];
  maxConcurrency: number;
  maxErrors: number;
  next: number;
  running: number;
  errors: number;
  ended: number;
}

/** An invocation as ListCommandInvocations returns it. */
function invocationView(invocation: SimInvocation): SimInvocationView {
  return {
    commandId: invocation.command.commandId,
    instanceId: invocation.instanceId,
    status: invocation.status,
    statusDetails: invocation.statusDetails,
    requestedAt: invocation.command.requestedAt,
    ...(invocation.output !== undefined && { output: invocation.output }),
    ...(invocation.agentStatus !== undefined && { agentStatus: invocation.agentStatus }),
  };
}

const TERMINAL = new Set<InvocationStatus>(['Success', 'Failed', 'TimedOut', 'Cancelled']);

/** "50" → 50; "10%" → that share of the targets, rounded up, at least 1 (MaxConcurrency). */
function concurrencyOf(spec: string | undefined, targets: number): number {
  if (!spec) return 50;
  const pct = /^(\d+)%$/.exec(spec);
  return Math.max(1, pct ? Math.ceil((targets * Number(pct[1])) / 100) : Number(spec) || 1);
}

/** "0" → 0; "5%" → that share of the targets, rounded down (MaxErrors; default 0). */
function errorsOf(spec: string | undefined, targets: number): number {
  if (!spec) return 0;
  const pct = /^(\d+)%$/.exec(spec);
  return pct ? Math.floor((targets * Number(pct[1])) / 100) : Number(spec) || 0;
}

export class CommandWorld {
  readonly commands = new Map<string, SimCommand>();
  /** Instance id → its invocations not yet ended. */
  private readonly active = new Map<string, Set<SimInvocation>>();
  /** Instance id → all its invocations, oldest first. */
  private readonly byInstance = new Map<string, SimInvocation[]>();
  private counter = 0;

  constructor(private readonly host: CommandHost) {}

  /** SendCommand: at most 50 ids; every one must be an Online managed instance, else nothing is sent. */
  send(input: SendCommandInput): SimCommand {
    if (input.instanceIds.length === 0 || input.instanceIds.length > LIMITS.sendCommandInstanceIds) {
      throw new FleetwatchError(
        `ValidationException: SendCommand takes 1 to ${LIMITS.sendCommandInstanceIds} instance ids, got ${input.instanceIds.length}`,
      );
    }
    const unknown = input.instanceIds.filter((id) => !this.host.isOnline(id));
    if (unknown.length) {
      throw new NotYetManagedError(
        `InvalidInstanceId: instances [${unknown.join(', ')}] are not in a valid state for SSM (not registered or not Online)`,
        { instanceId: unknown[0] },
      );
    }
    const ids = [...new Set(input.instanceIds)];
    const now = this.host.clock.now();
    const hex = (++this.counter).toString(16).padStart(12, '0');
    const command: SimCommand = {
      commandId: `00000000-0000-4000-8000-${hex}`,
      documentName: input.documentName,
      parameters: structuredClone(input.parameters),
      ...(input.comment !== undefined && { comment: input.comment }),
      requestedAt: now,
      status: 'Pending',
      invocations: [],
      maxConcurrency: concurrencyOf(input.maxConcurrency, ids.length),
      maxErrors: errorsOf(input.maxErrors, ids.length),
      next: 0,
      running: 0,
      errors: 0,
      ended: 0,
    };
    for (const instanceId of ids) {
      const invocation: SimInvocation = { command, instanceId, status: 'Pending', statusDetails: 'Pending', slot: false };
      command.invocations.push(invocation);
      let set = this.active.get(instanceId);
      if (!set) this.active.set(instanceId, (set = new Set()));
      set.add(invocation);
      const all = this.byInstance.get(instanceId);
      if (all) all.push(invocation);
      else this.byInstance.set(instanceId, [invocation]);
    }
    this.commands.set(command.commandId, command);
    this.pump(command);
    return command;
  }

  invocations(commandId: string): CommandInvocation[] {
    const command = this.commands.get(commandId);
    if (!command) throw new NotFoundError(`InvalidCommandId: ${commandId}`, { commandId });
    return command.invocations.map(invocationView);
  }

  /** One document's invocations on an instance requested at or after `after`, oldest first (ListCommandInvocations by InstanceId). */
  invocationsSince(instanceId: string, documentName: string, after: number): CommandInvocation[] {
    return this.invocationsOn(instanceId)
      .filter((invocation) => invocation.command.documentName === documentName && invocation.command.requestedAt >= after)
      .map(invocationView);
  }

  /** The instance is gone: whatever it was running or about to run ends Failed / Terminated. */
  instanceTerminated(instanceId: string): void {
    for (const invocation of [...(this.active.get(instanceId) ?? [])]) {
      this.end(invocation, 'Failed', 'Terminated', 'The instance was terminated while the command was in flight.');
    }
  }

  /** Invocations of an instance, oldest first. */
  invocationsOn(instanceId: string): SimInvocation[] {
    return [...(this.byInstance.get(instanceId) ?? [])];
  }

  /** Starts as many Pending invocations as MaxConcurrency allows. */
  private pump(command: SimCommand): void {
    while (command.next < command.invocations.length && command.running < command.maxConcurrency) {
      const invocation = command.invocations[command.next++]!;
      if (TERMINAL.has(invocation.status)) continue;
      if (command.errors > command.maxErrors) {
        // Past MaxErrors SSM sends the command to no further instance.
        this.end(invocation, 'Cancelled', 'Cancelled', 'MaxErrors reached: the command was not sent to this instance.');
        continue;
      }
      invocation.slot = true;
      command.running++;
      invocation.timer = this.host.clock.setTimer(this.host.timing.deliveryDelayMs, () => this.deliver(invocation));
    }
  }

  private deliver(invocation: SimInvocation): void {
    if (invocation.status !== 'Pending') return;
    const { host } = this;
    const { command, instanceId } = invocation;
    if (host.instanceState(instanceId) !== 'running') {
      // The agent is not there to pick it up; SSM gives up after the delivery timeout.
      const left = command.requestedAt + host.timing.deliveryTimeoutMs - host.clock.now();
      invocation.timer = host.clock.setTimer(left, () =>
        this.end(invocation, 'TimedOut', 'DeliveryTimedOut', 'The command was not delivered before its delivery timeout.'),
      );
      return;
    }
    const attempt = host.startOnAgent(instanceId, command.commandId);
    const outcome: CommandOutcome =
      host.outcomePolicy(instanceId)?.({
        instanceId,
        commandId: command.commandId,
        documentName: command.documentName,
        parameters: command.parameters,
        attempt,
        now: host.clock.now(),
        random: host.random,
      }) ?? {};
    invocation.startedAt = host.clock.now();
    this.transition(invocation, 'InProgress', 'InProgress');
    invocation.timer = host.clock.setTimer(outcome.durationMs ?? host.timing.durationMs, () => this.finish(invocation, outcome));
  }

  private finish(invocation: SimInvocation, outcome: CommandOutcome): void {
    if (invocation.status !== 'InProgress') return;
    const { host } = this;
    if (host.instanceState(invocation.instanceId) !== 'running') {
      this.end(invocation, 'TimedOut', 'ExecutionTimedOut', 'The instance stopped while the command ran.');
      return;
    }
    if (outcome.status === 'Failed' || outcome.status === 'TimedOut') {
      const details = outcome.statusDetails ?? (outcome.status === 'Failed' ? 'Failed' : 'ExecutionTimedOut');
      if (outcome.status === 'Failed') invocation.agentStatus = host.agentStatus(invocation.instanceId, invocation.command.documentName);
      this.end(invocation, outcome.status, details, outcome.output);
      return;
    }
    const result = host.runOnAgent(invocation.instanceId, invocation.command.documentName, invocation.command.parameters);
    if (result.agentStatus !== undefined) invocation.agentStatus = result.agentStatus;
    if (result.status === 'Success') this.end(invocation, 'Success', 'Success', result.output);
    else this.end(invocation, 'Failed', 'Failed', result.output);
  }

  private end(invocation: SimInvocation, status: InvocationStatus, details: string, output?: string): void {
    if (TERMINAL.has(invocation.status)) return;
    const { command } = invocation;
    invocation.timer?.cancel();
    invocation.endedAt = this.host.clock.now();
    // ListCommandInvocations shows the first 2,500 characters of a step's output.
    if (output !== undefined) invocation.output = output.slice(0, 2500);
    const set = this.active.get(invocation.instanceId);
    set?.delete(invocation);
    if (set?.size === 0) this.active.delete(invocation.instanceId);
    command.ended++;
    if (status !== 'Success' && status !== 'Cancelled') command.errors++;
    if (invocation.slot) command.running--;
    this.transition(invocation, status, details);
    if (command.ended === command.invocations.length) this.setCommandStatus(command, this.finalStatus(command));
    else this.pump(command);
  }

  private finalStatus(command: SimCommand): CommandStatus {
    if (command.errors === 0) return 'Success';
    if (command.errors <= command.maxErrors) return 'Success';
    return command.invocations.some((invocation) => invocation.status === 'Failed') ? 'Failed' : 'TimedOut';
  }

  private transition(invocation: SimInvocation, status: InvocationStatus, details: string): void {
    invocation.status = status;
    invocation.statusDetails = details;
    const { command } = invocation;
    const time = this.host.clock.now();
    this.host.invocationEvents.emit({
      commandId: command.commandId,
      instanceId: invocation.instanceId,
      documentName: command.documentName,
      status,
      statusDetails: details,
      time,
    });
    if (status === 'InProgress' && command.status === 'Pending') this.setCommandStatus(command, 'InProgress');
  }

  private setCommandStatus(command: SimCommand, status: CommandStatus): void {
    command.status = status;
    this.host.commandEvents.emit({ commandId: command.commandId, documentName: command.documentName, status, time: this.host.clock.now() });
  }
}
