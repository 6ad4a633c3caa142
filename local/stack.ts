/**
 * The deployed stack, simulated: what serverless.yml wires up in AWS, wired up around the
 * simulated account. The account's changes become real-shaped EventBridge events delivered to the
 * functions' own exported handlers (functions/*.ts, built with this account's runtime instead of
 * the AWS one), asynchronously, optionally twice, late or never, as EventBridge may; a worker loop
 * drains the SQS work queue into the worker function as SQS event batches, and returns or
 * dead-letters the messages its partial batch response names; a failed async invocation is
 * retried as Lambda does (twice, then dropped).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import { createHandler as commandOutcomeFunction } from '../functions/handlers/command-outcome.js';
import type { Environment, EventResult, FunctionHandler } from '../functions/handler.js';
import { createHandler as instanceStateFunction } from '../functions/handlers/instance-state.js';
import { createHandler as parameterChangeFunction } from '../functions/handlers/parameter-change.js';
import { createHandler as reconcileFunction } from '../functions/handlers/reconcile.js';
import { createHandler as tagChangeFunction } from '../functions/handlers/tag-change.js';
import { createHandler as workerFunction } from '../functions/handlers/worker.js';
import { parseAgentConfig } from '../lib/agent/index.js';
import { parameterName, testSettings, type Settings } from '../lib/config.js';
import { InvalidInputError, errorMessage } from '../lib/errors.js';
import { KnownLogGroups } from '../lib/observation/known-log-groups.js';
import { AssociationBudget } from '../lib/apply/association-budget.js';
import { serviceEventSource } from '../lib/model/service-events.js';
import type { EventEffect } from '../lib/entry/events.js';
import { workItemTarget, type Log, type MetricSink, type OrganizationAccess, type Ports } from '../lib/ports.js';
import type { ReconcileReport, ReconcileRequest } from '../lib/entry/reconcile.js';
import type { SimulatedAccount } from './account.js';
import type { QueueMessage } from './world/queue.js';

export interface StackOptions {
  settings?: Partial<Settings>;
  /** Deliver every event this many times (EventBridge is at-least-once). Default 1. */
  eventCopies?: number;
  /** Delivery delay of an event, ms; each copy gets a random extra up to `eventJitterMs`. Default 500. */
  eventDelayMs?: number;
  eventJitterMs?: number;
  /** Fraction of command outcome events that never arrive (best-effort delivery). Default 0. */
  dropCommandEvents?: number;
  /** Messages per worker batch (the event source mapping's batch size). Default 10. */
  batchSize?: number;
  /** Worker batches processed at once (Lambda's concurrent invocations on the queue). Default: the stage's workerMaxConcurrency. */
  workerConcurrency?: number;
  /** Receives before a failing message goes to the DLQ. Default 5, as serverless.yml sets it. */
  maxReceiveCount?: number;
  /** Print log lines of this level and above to stderr. Default: none. */
  printLogs?: 'info' | 'warn' | 'error';
  /**
   * Give the stack its own state table and work queue (SimulatedAccount.forStage), as a second
   * stage deployed in the account has. Default: the account's own, which one-stage scenarios read.
   */
  ownTableAndQueue?: boolean;
  /**
   * Keep log lines of this level and above in `logs`. Default warn: the functions log a line per
   * event and per work item result, which a 10,000-instance run would otherwise hold by the
   * hundred thousand.
   */
  keepLogs?: 'info' | 'warn' | 'error';
  /** The organization mode: the hub's ways into its members (local/organization.ts), for every function's runtime. */
  organization?: OrganizationAccess;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra?: Record<string, unknown>;
  time: number;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** The functions of serverless.yml, as the stack invokes them. */
export type FunctionName = 'reconcile' | 'worker' | 'instanceState' | 'tagChange' | 'parameterChange' | 'commandOutcome';
/** One Lambda invocation: the function and how long it ran on the virtual clock (what Lambda bills). */
export interface Invocation {
  name: FunctionName;
  ms: number;
}
/** Lambda retries a failed asynchronous invocation twice (after about 1 and 2 minutes). */
const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];

export class SimulatedStack {
  readonly settings: Settings;
  readonly metrics = new Map<string, number>();
  readonly logs: LogLine[] = [];
  readonly rejected: { event: unknown; reason: string }[] = [];
  /** Async invocations that failed after Lambda's retries. */
  readonly lost: { event: unknown; error: string }[] = [];
  readonly effects: EventEffect[] = [];
  /** Every invocation of a function, for what the bench costs. */
  readonly invocations: Invocation[] = [];
  private readonly inflight = new Set<Promise<void>>();
  /** One worker function per warm execution environment, each with its own memory of log groups. */
  private readonly workers: FunctionHandler<SQSEvent, { batchItemFailures: { itemIdentifier: string }[] }>[];
  private readonly functions: {
    reconcile: FunctionHandler<unknown, unknown>;
    /** The rules' targets, by detail-type. */
    byDetailType: Record<string, { name: FunctionName; handler: FunctionHandler<unknown, EventResult> }>;
  };
  private readonly unsubscribe: (() => void)[] = [];
  /** The accounts whose rules deliver to this stack. */
  private readonly rulesOf = new Set<SimulatedAccount>();
  private eventCounter = 0;
  private readonly log: Log;
  private readonly metricSink: MetricSink;

  readonly account: SimulatedAccount;

  constructor(
    account: SimulatedAccount,
    private readonly options: StackOptions = {},
  ) {
    this.account = options.ownTableAndQueue ? account.forStage() : account;
    this.settings = testSettings({ accountId: account.accountId, region: account.region, ...options.settings });
    this.metricSink = { count: (name, value = 1) => this.metrics.set(name, (this.metrics.get(name) ?? 0) + value) };
    const threshold = options.printLogs ? LEVELS.indexOf(options.printLogs) : Infinity;
    const keep = LEVELS.indexOf(options.keepLogs ?? 'warn');
    const write = (level: LogLine['level']) => (message: string, extra?: Record<string, unknown>) => {
      if (LEVELS.indexOf(level) >= keep) this.logs.push({ level, message, ...(extra && { extra }), time: this.account.clock.now() });
      if (LEVELS.indexOf(level) >= threshold) process.stderr.write(`${level.toUpperCase()} ${message} ${extra ? JSON.stringify(extra) : ''}\n`);
    };
    this.log = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
    // Each invocation gets its own ports, as each execution environment has its own retry state.
    const { organization } = options;
    const environment = (ports: () => Ports): Environment => ({
      runtime: () => ({ settings: this.settings, ports: ports(), ...(organization && { organization }) }),
      middlewares: [],
    });
    // `caller`: the function's key in serverless/iam.cjs, whose role its calls are checked against.
    const of = (caller: string) => environment(() => this.ports(caller));
    // The rules' targets: which function each detail-type goes to (serverless.yml's events).
    this.functions = {
      reconcile: reconcileFunction(of('reconcile')),
      byDetailType: {
        'EC2 Instance State-change Notification': { name: 'instanceState', handler: instanceStateFunction(of('instanceState')) },
        'Tag Change on Resource': { name: 'tagChange', handler: tagChangeFunction(of('tagChange')) },
        'Parameter Store Change': { name: 'parameterChange', handler: parameterChangeFunction(of('parameterChange')) },
        'EC2 Command Invocation Status-change Notification': { name: 'commandOutcome', handler: commandOutcomeFunction(of('commandOutcome')) },
      },
    };
    this.workers = Array.from({ length: options.workerConcurrency ?? this.settings.workerMaxConcurrency }, () => {
      const known = new KnownLogGroups();
      const slots = new AssociationBudget(this.settings.workerMaxConcurrency);
      return workerFunction(environment(() => ({ ...this.ports('worker'), knownLogGroups: known, associationSlots: slots })));
    });
  }

  /**
   * A deploy that changes stage settings (e.g. `--param agentVersion=...`): every function's next
   * cold start reads them. Nothing else runs until the next event, work item or reconcile.
   */
  redeploy(settings: Partial<Settings>): void {
    Object.assign(this.settings, settings);
  }

  /**
   * Ports for one simulated Lambda: each gets its own retry state, as each execution environment
   * does. `caller` names the function (serverless/iam.cjs) for the record of authorizations.
   */
  ports(caller?: string): Ports {
    return this.account.ports({
      log: this.log,
      metrics: this.metricSink,
      eventSource: serviceEventSource(this.settings.stage),
      ...(caller !== undefined && { caller }),
    });
  }

  /**
   * Deploys the stack into the account: the managed instance profile, one parameter per bundled
   * configuration (minified, as serverless.yml stores it), and the EventBridge rules.
   */
  deploy(configDir = join(import.meta.dirname, '..', 'agent', 'configs')): void {
    this.account.createManagedProfile(this.settings.managedProfileName);
    this.connectRules();
    for (const configName of this.settings.configNames) {
      const text = readFileSync(join(configDir, `${configName}.json`), 'utf8');
      this.account.putParameter(parameterName(this.settings, configName), parseAgentConfig(configName, text).minified);
    }
  }

  /** The configuration names bundled in agent/configs. */
  static bundledConfigNames(configDir = join(import.meta.dirname, '..', 'agent', 'configs')): string[] {
    return readdirSync(configDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length))
      .sort();
  }

  /** The EventBridge rules: the account's changes become events for the handlers. */
  connectRules(): void {
    if (this.rulesOf.has(this.account)) return;
    this.forwardEventsOf(this.account);
  }

  /**
   * The rules on an account's default bus, delivering its changes to this stack's functions as
   * events of that account and region: this stack's own account (connectRules), or in the
   * organization mode a member's, whose rules forward to the hub's bus (EventBridge keeps the
   * source event's account and region across buses).
   */
  forwardEventsOf(account: SimulatedAccount): void {
    this.rulesOf.add(account);
    const emit = (source: string, detailType: string, detail: Record<string, unknown>, resources: string[]) =>
      this.deliver(this.eventOf(account, source, detailType, detail, resources));
    const arn = (id: string) => `arn:aws:ec2:${account.region}:${account.accountId}:instance/${id}`;
    this.unsubscribe.push(
      account.onInstanceStateChange(({ instanceId, state }) => {
        // The rule's pattern: state running or terminated.
        if (state === 'running' || state === 'terminated') {
          emit('aws.ec2', 'EC2 Instance State-change Notification', { 'instance-id': instanceId, state }, [arn(instanceId)]);
        }
      }),
      account.onTagChange(({ instanceId, changedTagKeys, tags }) => {
        if (!changedTagKeys.includes(this.settings.selectorTagKey)) return;
        emit('aws.tag', 'Tag Change on Resource', { 'changed-tag-keys': changedTagKeys, service: 'ec2', 'resource-type': 'instance', version: 1, tags }, [arn(instanceId)]);
      }),
      account.onParameterChange(({ name, operation, type }) => {
        if (!name.startsWith(this.settings.parameterPrefix)) return;
        emit('aws.ssm', 'Parameter Store Change', { operation, name, type, description: '' }, []);
      }),
      account.onCommandEvent(({ commandId, instanceId, documentName, status }) => {
        if (documentName !== this.settings.documentName) return;
        if (this.options.dropCommandEvents && account.random() < this.options.dropCommandEvents) return;
        emit(
          'aws.ssm',
          'EC2 Command Invocation Status-change Notification',
          { 'command-id': commandId, 'document-name': documentName, 'instance-id': instanceId, 'requested-date-time': new Date(account.clock.now()).toISOString(), status },
          [arn(instanceId)],
        );
      }),
    );
  }

  disconnectRules(): void {
    this.rulesOf.clear();
    this.unsubscribe.splice(0).forEach((off) => off());
  }

  /** Puts one event on the bus, shaped as AWS delivers it. */
  emit(source: string, detailType: string, detail: Record<string, unknown>, resources: string[]): void {
    this.deliver(this.eventOf(this.account, source, detailType, detail, resources));
  }

  /** An event of an account, shaped as AWS delivers it. */
  eventOf(account: SimulatedAccount, source: string, detailType: string, detail: Record<string, unknown>, resources: string[]) {
    return {
      version: '0',
      id: `sim-${++this.eventCounter}`,
      'detail-type': detailType,
      source,
      account: account.accountId,
      time: new Date(account.clock.now()).toISOString(),
      region: account.region,
      resources,
      detail,
    };
  }

  /** Delivers an event to the function its rule targets, asynchronously, with Lambda's retries. */
  deliver(event: unknown): void {
    const copies = this.options.eventCopies ?? 1;
    for (let copy = 0; copy < copies; copy++) {
      const jitter = Math.floor(this.account.random() * (this.options.eventJitterMs ?? 0));
      this.track(this.invokeAsync(event, (this.options.eventDelayMs ?? 500) + jitter));
    }
  }

  private async invokeAsync(event: unknown, delayMs: number): Promise<void> {
    await this.account.clock.sleep(delayMs);
    const detailType = String((event as { 'detail-type'?: unknown } | null)?.['detail-type']);
    const target = this.functions.byDetailType[detailType];
    if (!target) {
      // An event no rule targets invokes nothing in AWS, and no invocation is counted.
      this.rejected.push({ event, reason: `no rule takes detail-type ${JSON.stringify(detailType)}` });
      return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.timed(target.name, () => target.handler(event, lambdaContext(target.name)));
        if ('rejected' in result) this.rejected.push({ event, reason: result.rejected });
        else this.effects.push(...result.effects);
        return;
      } catch (error) {
        const delay = ASYNC_RETRY_DELAYS_MS[attempt];
        if (delay === undefined) {
          this.lost.push({ event, error: errorMessage(error) });
          this.log.error('event handler failed after retries', { error: errorMessage(error) });
          return;
        }
        await this.account.clock.sleep(delay);
      }
    }
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  /** Runs one invocation of `name`, recording how long it took on the virtual clock, failed or not. */
  private async timed<T>(name: FunctionName, invocation: () => Promise<T>): Promise<T> {
    const started = this.account.clock.now();
    try {
      return await invocation();
    } finally {
      this.invocations.push({ name, ms: this.account.clock.now() - started });
    }
  }

  /**
   * The `reconcile` function, invoked by hand or by the schedule, with its JSON input. Only what an
   * operator can ask for goes through (scope, action, dry run, limits); a default of this method is
   * an apply, where the function's own default is a dry run.
   */
  async reconcile(request: Partial<ReconcileRequest> = {}): Promise<ReconcileReport> {
    const { dryRun = false, action = 'ensure', scope = {}, maxInstances, lineLimit, ...internal } = request;
    const unsupported = Object.keys(internal);
    if (unsupported.length) throw new InvalidInputError(`not an input of the reconcile function: ${unsupported.join(', ')}`);
    const input = {
      dryRun,
      action,
      ...(scope.instanceIds && { instanceIds: scope.instanceIds }),
      ...(scope.configName !== undefined && { config: scope.configName }),
      ...(maxInstances !== undefined && { maxInstances }),
      ...(lineLimit !== undefined && { lineLimit }),
    };
    return (await this.invokeReconcile(input)) as ReconcileReport;
  }

  /** `sls invoke -f reconcile --data <input>`: the function's JSON input as it is, e.g. {"mode":"status"}. */
  invokeReconcile(input: unknown): Promise<unknown> {
    return this.timed('reconcile', () => this.functions.reconcile(input, lambdaContext('reconcile')));
  }

  /** The worker for one batch: returns the ids of the messages that failed (its partial batch response). */
  private async work(messages: QueueMessage[], worker: (typeof this.workers)[number]): Promise<string[]> {
    const event = {
      Records: messages.map((message) => ({
        messageId: message.messageId,
        body: JSON.stringify(message.body),
        attributes: { ApproximateReceiveCount: String(message.receiveCount) },
        eventSource: 'aws:sqs',
      })),
    } as unknown as SQSEvent;
    try {
      const { batchItemFailures } = await worker(event, lambdaContext('worker'));
      return batchItemFailures.map((failure) => failure.itemIdentifier);
    } catch (error) {
      // The invocation failed: Lambda returns every message of the batch to the queue.
      this.log.warn('work batch failed', { error: errorMessage(error), items: messages.map((message) => workItemTarget(message.body)) });
      return messages.map((message) => message.messageId);
    }
  }

  /**
   * Runs the stack until nothing is left to happen: every event delivered, the queue empty, every
   * command finished. Virtual time moves as far as that takes, at most `maxVirtualMs`.
   */
  async settle(maxVirtualMs = 6 * 3_600_000): Promise<void> {
    const { clock, queue } = this.account;
    const deadline = clock.now() + maxVirtualMs;
    // The worker polls as the event source mapping does; it sleeps on the virtual clock, so
    // delayed messages (registration backoff) are received at their due time, not early or late.
    // Lambda polls an SQS queue with several batches at once, up to the event source's maximum
    // concurrency while there is a backlog: each poller stands for one warm worker environment,
    // with its own memory of log groups and share of EC2's association rate. A poller that finds
    // the queue empty stops, and is started again as soon as a message is sent, so that a storm is
    // not left to the pollers that happened to be awake when it began.
    const running = new Map<(typeof this.workers)[number], Promise<number>>();
    const startIdle = () => {
      const next = queue.nextDue();
      // Nothing to receive: a poller started now would stop at once.
      if (next === undefined || next > deadline) return;
      for (const worker of this.workers) {
        if (running.has(worker)) continue;
        const polling = this.account
          .drain((messages) => this.timed('worker', () => this.work(messages, worker)), {
            batchSize: this.options.batchSize ?? 10,
            maxReceiveCount: this.options.maxReceiveCount ?? 5,
            until: deadline,
          })
          .finally(() => running.delete(worker));
        running.set(worker, polling);
      }
    };
    let waking = false;
    // After the caller's turn: a poller must not start inside the call that sent or received.
    const wake = () => {
      if (waking) return;
      waking = true;
      queueMicrotask(() => {
        waking = false;
        startIdle();
      });
    };
    const stopWaking = queue.onSend(wake);
    try {
      for (;;) {
        startIdle();
        while (running.size || this.inflight.size) await Promise.all([...running.values(), ...this.inflight]);
        const next = queue.nextDue();
        if (next !== undefined && next <= deadline) continue; // more work inside the window
        if (clock.pending === 0 || clock.now() >= deadline) break;
        // Something is still scheduled (a command running, an instance registering): let time run to it.
        await clock.sleep(Math.min(1_000, Math.max(1, deadline - clock.now())));
      }
    } finally {
      stopWaking();
    }
  }

  metric(name: string): number {
    return this.metrics.get(name) ?? 0;
  }
}

/** The part of Lambda's context the handlers' middlewares read. */
function lambdaContext(functionName: string): Context {
  return { functionName: `fleetwatch-dev-${functionName}`, awsRequestId: 'simulated', getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
}
