/**
 * `fleetwatch plan|apply|status`: the operator's view of a stage. Invokes the deployed `reconcile`
 * function with the operator's credentials, or with --local runs the same request against the
 * simulated account. The request is built and validated here with the function's own parser
 * (lib/reconcile-request.ts), so bad input fails before anything is invoked, with the message the
 * function would give: never a partial apply.
 *
 * `run` is the whole CLI with its output injected; bin/fleetwatch.mjs calls it with the process.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../lib/errors.js';
import { formatReport, formatStatus, paint } from '../lib/entry/format.js';
import type { ReconcileReport, ReconcileRequest } from '../lib/entry/reconcile.js';
import type { FleetStatus } from '../lib/entry/status.js';
import { formatOrganizationReport, formatOrganizationStatus } from '../lib/organization/format.js';
import type { OrganizationReconcileReport } from '../lib/organization/reconcile.js';
import type { OrganizationStatus } from '../lib/organization/status.js';
import { processIo, useColor, type Io } from '../lib/entry/io.js';
import { progress } from './progress.js';
import { regionOf } from './region.js';
import type { RemoteTarget } from './remote.js';

/** Put in by scripts/build-cli.mjs (esbuild `define`); undefined when the CLI runs from source. */
declare const FLEETWATCH_VERSION: string | undefined;

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const COMMANDS = ['plan', 'apply', 'status', 'redrive'] as const;
type Command = (typeof COMMANDS)[number];

export const USAGE = `Usage: fleetwatch <plan|apply|status|redrive|help> [options]

Commands:
  plan                 what a reconcile would do (dry run); changes nothing
  apply                reconcile the fleet (or the scope) and print what was done
  status               per configuration: standing version, rollout, instances current,
                       behind, pending, in flight, failed, unreachable
  redrive              put failed work back: the work queue's dead-letter queue onto the work
                       queue, and each failed event to its function again (deployed stages only)
  help                 this text

Where:
  --stage <name>       stage of the deployed stack (default dev): invokes fleetwatch-<stage>-reconcile
  --region <region>    its region (default: AWS_REGION, else eu-west-1, as sls deploy); with
                       --hub-region, a member region of the organization instead (repeatable)
  --hub-region <region>  organization mode: the region of the hub stage (its reconcile function)
  --profile <name>     AWS profile with the operator's credentials (default: the SDK's chain)
  --local              run against the simulated account instead (no AWS account needed)
  --fleet-size <n>     with --local: n more selected instances in the demo fleet

What (plan, apply):
  --action <action>    ensure (default) | install | configure | restart
  --instance <id>      only this instance; repeat the option (or separate by commas) for more
  --config <name>      only instances that select this configuration
  --max-instances <n>  refuse, changing nothing, when the scope holds more instances than n
  --lines <n>          per-instance lines in the report (default 200; the counts cover all)

Where in the organization (plan, apply, status of an organization hub):
  --account <id>       only this member account; repeat (or separate by commas) for more
  --region <region>    with --hub-region: only this member region; repeat for more

Output:
  --json               the report as JSON on stdout and nothing else (progress stays on stderr)
  -h, --help           this text
  --version            fleetwatch's version

Exit status: 0 done or nothing to do; 1 an action failed or the function errored;
2 bad usage or input (nothing was invoked).
`;

class UsageError extends Error {
  override name = 'UsageError';
}

interface Invocation {
  command: Command;
  /** The `reconcile` function's input, exactly as it is sent. */
  payload: Record<string, unknown>;
  /** The same input as lib/ reads it (plan and apply). */
  request?: ReconcileRequest;
  local: boolean;
  json: boolean;
  target: RemoteTarget;
  fleetSize: number;
}

/** Field of the function's input → the option that sets it: validation messages name fields. */
const OPTION_OF: Record<string, string> = {
  action: '--action',
  instanceIds: '--instance',
  config: '--config',
  maxInstances: '--max-instances',
  lineLimit: '--lines',
  accounts: '--account',
  regions: '--region',
};

const OPTIONS = {
  stage: { type: 'string', default: 'dev' },
  region: { type: 'string', multiple: true },
  'hub-region': { type: 'string' },
  account: { type: 'string', multiple: true },
  profile: { type: 'string' },
  local: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  action: { type: 'string' },
  instance: { type: 'string', multiple: true },
  config: { type: 'string' },
  'max-instances': { type: 'string' },
  lines: { type: 'string' },
  'fleet-size': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

/**
 * The command line as an invocation, 'help' or 'version'. Throws UsageError or InvalidInputError.
 * `env` gives AWS_REGION (regionOf).
 */
export async function parseCommandLine(argv: string[], env: Record<string, string | undefined> = {}): Promise<Invocation | 'help' | 'version'> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageErrorOf(error);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') return 'help';
  if (values.version) return 'version';
  if (positionals.length === 0) throw new UsageError(`a command is needed: ${COMMANDS.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`one command at a time; got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const command = positionals[0]!;
  if (!isCommand(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}; expected ${COMMANDS.join(', ')}`);

  // osls stage names: letters, digits and hyphens. Checked here because it becomes a function name.
  if (!/^[A-Za-z0-9-]+$/.test(values.stage)) throw new UsageError(`--stage ${JSON.stringify(values.stage)} is not a stage name (letters, digits, hyphens)`);
  if (values.local && (values.region !== undefined || values.profile !== undefined || values['hub-region'] !== undefined || values.account !== undefined)) {
    throw new UsageError('--region, --hub-region, --account and --profile select the deployed stack; --local runs against the simulated account');
  }
  // Without --hub-region, --region is the stack's own region as it always was: one of it.
  const hub = values['hub-region'];
  const regions = listOf(values.region);
  if (hub === undefined && regions && regions.length > 1) throw new UsageError('--region names the stage\'s region, one only; member regions of an organization go with --hub-region');
  if (!values.local && values['fleet-size'] !== undefined) throw new UsageError('--fleet-size applies only with --local');
  const fleetSize = values['fleet-size'] === undefined ? 0 : wholeNumber('--fleet-size', values['fleet-size']);
  if (fleetSize > 10_000) throw new UsageError(`--fleet-size ${fleetSize} is more than the simulated account is meant for (10000)`);

  const target: RemoteTarget = {
    stage: values.stage,
    region: regionOf(hub ?? regions?.[0], env),
    ...(values.profile !== undefined && { profile: values.profile }),
  };
  const common = { command, local: values.local, json: values.json, target, fleetSize };

  // Which account-regions: sent only when named, so a stage deployed before the filters existed takes the request.
  const cells: Record<string, unknown> = {};
  const accounts = listOf(values.account);
  if (accounts) cells.accounts = accounts;
  if (hub !== undefined && regions) cells.regions = regions;

  if (command === 'status' || command === 'redrive') {
    const perInstance = ['action', 'instance', 'config', 'max-instances', 'lines'];
    const ignored = (command === 'redrive' ? [...perInstance, 'account'] : perInstance).filter((name) => values[name as keyof typeof values] !== undefined);
    const what = command === 'status' ? 'status reads the whole fleet' : 'redrive puts back everything that failed';
    if (ignored.length) throw new UsageError(`${what}; it takes no ${ignored.map((name) => `--${name}`).join(', ')}`);
    if (command === 'redrive' && values.local) throw new UsageError('redrive works on a deployed stage; the simulated account keeps no failed work');
    if (command === 'redrive') return { ...common, payload: {} };
    const payload = { mode: 'status', ...cells };
    await validated(payload);
    return { ...common, payload };
  }

  const payload: Record<string, unknown> = { dryRun: command === 'plan', ...cells };
  if (values.action !== undefined) payload.action = values.action;
  if (values.instance !== undefined) payload.instanceIds = listOf(values.instance);
  if (values.config !== undefined) payload.config = values.config;
  if (values['max-instances'] !== undefined) payload.maxInstances = wholeNumber('--max-instances', values['max-instances']);
  if (values.lines !== undefined) payload.lineLimit = wholeNumber('--lines', values.lines);
  const checked = await validated(payload);
  return { ...common, payload, ...(checked.mode === 'reconcile' && { request: checked.request }) };
}

/** The payload as the function will parse it; its messages name the options that set each field. */
async function validated(payload: Record<string, unknown>) {
  // Loaded here, not at the top: its schemas (zod) would more than double the start of --help.
  const { parseFunctionRequest } = await import('../lib/entry/reconcile-request.js');
  try {
    return parseFunctionRequest(payload);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new InvalidInputError(withOptionNames(error.message, payload));
    throw error;
  }
}

/** A repeatable option's values, each also split at commas; undefined when not given. */
function listOf(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((value) => value.split(',')).map((item) => item.trim()).filter(Boolean);
}

/**
 * node:util's parse errors in the CLI's words: "Unknown option '--foo'. To specify a positional
 * argument starting with a '-', place it at the end…" becomes "unknown option --foo".
 */
function usageErrorOf(error: unknown): UsageError {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(-[^' ]+)/.exec(message ?? '')?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const near = closestOption(option);
    return new UsageError(`unknown option ${option}${near ? `; did you mean ${near}?` : ''}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return new UsageError(/argument missing/.test(message ?? '') ? `${option.split(' ')[0]} needs a value` : `${option} takes no value`);
  }
  return new UsageError(message ?? String(error));
}

/** The known option within two edits of a mistyped one (--instances -> --instance). */
function closestOption(typed: string): string | undefined {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length]!;
  };
  const candidates = Object.keys(OPTIONS).map((name) => `--${name}`);
  const [best] = candidates.map((name) => [name, distance(typed, name)] as const).sort((a, b) => a[1] - b[1]);
  return best && best[1] <= 2 ? best[0] : undefined;
}

/** The package version: from the build, else package.json beside cli/ (running from source). */
function version(): string {
  if (typeof FLEETWATCH_VERSION === 'string') return FLEETWATCH_VERSION;
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}

function wholeNumber(option: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${option} must be a whole number; got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * The function's message names fields of its input ("instanceIds.1: is not an EC2 instance id");
 * a person typed options. Adds one line per field named: which option, which value.
 */
function withOptionNames(message: string, payload: Record<string, unknown>): string {
  const lines = [message];
  for (const match of message.matchAll(/\b(action|instanceIds|config|maxInstances|lineLimit|accounts|regions)(?:\.(\d+))?:/g)) {
    const [, field, index] = match;
    const value = index === undefined ? payload[field!] : (payload[field!] as unknown[] | undefined)?.[Number(index)];
    lines.push(`  ${field}${index === undefined ? '' : `.${index}`} is ${OPTION_OF[field!]} ${JSON.stringify(value)}`);
  }
  return lines.join('\n');
}

export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  let invocation: Invocation | 'help' | 'version';
  try {
    invocation = await parseCommandLine(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof InvalidInputError)) throw error;
    io.stderr.write(`fleetwatch: ${error.message}\nRun "fleetwatch --help" for usage.\n`);
    return EXIT.usage;
  }
  if (invocation === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (invocation === 'version') {
    io.stdout.write(`fleetwatch ${version()}\n`);
    return EXIT.ok;
  }
  const line = progress(io.stderr);
  try {
    if (invocation.command === 'redrive') return await runRedrive(invocation, io, line);
    return invocation.local ? await runLocal(invocation, io, line) : await runRemote(invocation, io, line);
  } catch (error) {
    line.done();
    io.stderr.write(`fleetwatch: ${inWords(error)}\n`);
    return error instanceof InvalidInputError ? EXIT.usage : EXIT.failed;
  } finally {
    line.done();
  }
}

/**
 * An error as a person reads it: its message, without the class name in front. fleetwatch's own
 * errors name their instance or resource in the message; the class is for logs and code.
 */
function inWords(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runLocal(invocation: Invocation, io: Io, line: ReturnType<typeof progress>): Promise<number> {
  // Loaded for --local only: the simulated account is most of the CLI's code.
  const { localReconcile, localStatus } = await import('./local.js');
  const color = useColor(io);
  const options = { fleetSize: invocation.fleetSize, progress: line };
  if (invocation.command === 'status') {
    const { status, description } = await localStatus(options);
    line.done();
    return printStatus(status, io, invocation.json, `${description}\n`);
  }
  const result = await localReconcile(invocation.request!, options);
  line.done();
  const footer = result.settled
    ? `\nafter ${result.settled.virtualMinutes} simulated minutes (commands finished, work queue drained), instances by status: ` +
      Object.entries(result.settled.status.byStatus)
        .map(([status, count]) => `${status} ${count}`)
        .join(', ')
    : undefined;
  return printReport(result.report, io, invocation.json, `${paint(result.description, 'dim', color)}\n`, footer);
}

async function runRemote(invocation: Invocation, io: Io, line: ReturnType<typeof progress>): Promise<number> {
  // Loaded for a deployed stage only: the AWS SDK takes longer to load than the rest of the CLI.
  const { invokeReconcile, reconcileFunctionName } = await import('./remote.js');
  const name = reconcileFunctionName(invocation.target.stage);
  line.phase(`waiting for ${name} in ${invocation.target.region}`);
  let result;
  try {
    result = await invokeReconcile(invocation.target, invocation.payload);
  } catch (error) {
    line.done();
    const hint = remoteHint(error, invocation.target, `lambda:InvokeFunction on ${name}`);
    io.stderr.write(`fleetwatch: ${inWords(error)}\n${hint ? `${hint}\n` : ''}`);
    return EXIT.failed;
  }
  line.done();
  if (!result.ok) {
    // Lambda's own failures (Runtime.ImportModuleError, Sandbox.Timedout) say little without their type.
    const lambdaType = /^(Runtime|Sandbox|Function)\./.test(result.errorType) ? ` (Lambda: ${result.errorType})` : '';
    io.stderr.write(`fleetwatch: ${name} failed: ${result.errorMessage}${lambdaType}\n`);
    return EXIT.failed;
  }
  // An organization hub answers with the organization's report (lib/organization).
  if (isOrganizationAnswer(result.payload)) {
    if (invocation.command === 'status') return printOrganizationStatus(result.payload as OrganizationStatus, io, invocation.json);
    return printOrganizationReport(result.payload as OrganizationReconcileReport, io, invocation.json);
  }
  if (invocation.command === 'status') return printStatus(result.payload as FleetStatus, io, invocation.json);
  return printReport(result.payload as ReconcileReport, io, invocation.json);
}

async function runRedrive(invocation: Invocation, io: Io, line: ReturnType<typeof progress>): Promise<number> {
  const [{ redrive }, { lambdaClient, sqsClient }] = await Promise.all([import('./redrive.js'), import('./remote.js')]);
  const { target } = invocation;
  const clients = { sqs: sqsClient(target), lambda: lambdaClient(target) };
  line.phase(`re-driving fleetwatch-${target.stage} in ${target.region}`);
  try {
    const result = await redrive(target.stage, clients);
    line.done();
    if (invocation.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      io.stdout.write(
        `${result.deadLetterQueue}: ${result.workItemsMoved ? `${result.workItemsMoved} work item(s) moving back to the work queue (an SQS message move task)` : 'empty'}\n` +
          `${result.failedEventQueue}: ${result.eventsRedriven} event(s) sent to their function again` +
          `${result.eventsLeft.length ? `; ${result.eventsLeft.length} left on the queue:\n${result.eventsLeft.map((left) => `  ${left}`).join('\n')}` : ''}\n`,
      );
    }
    return result.eventsLeft.length ? EXIT.failed : EXIT.ok;
  } catch (error) {
    line.done();
    const hint = remoteHint(error, target, `SQS access to the queues fleetwatch-${target.stage}-work-dlq, -event-failures and -work (receive, delete, send, message move tasks) and lambda:InvokeFunction on the stage's functions`);
    io.stderr.write(`fleetwatch: ${inWords(error)}\n${hint ? `${hint}\n` : ''}`);
    return EXIT.failed;
  } finally {
    clients.sqs.destroy();
    clients.lambda.destroy();
  }
}

/** What to do about the errors an operator meets first: no region, no credentials, wrong stage. */
function remoteHint(error: unknown, target: RemoteTarget, needs: string): string | undefined {
  const name = error instanceof Error ? error.name : '';
  if (name === 'CredentialsProviderError') {
    return target.profile
      ? `  check AWS profile ${JSON.stringify(target.profile)} (for SSO: aws sso login --profile ${target.profile})`
      : '  pass --profile, or set AWS credentials in the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)';
  }
  if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist') return `  is stage ${target.stage} deployed in ${target.region}? (sls deploy --stage ${target.stage} --region ${target.region})`;
  if (name === 'AccessDeniedException') return `  the operator's credentials need ${needs}`;
  return undefined;
}

function printReport(report: ReconcileReport, io: Io, json: boolean, header?: string, footer?: string): number {
  if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write([header, formatReport(report, { color: useColor(io) }), footer].filter((part) => part !== undefined).join('\n') + '\n');
  if (report.failed > 0) {
    if (!json) io.stderr.write(`fleetwatch: ${report.failed} action(s) failed\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

function isOrganizationAnswer(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && 'organizationId' in payload;
}

/** Failed: an action failed, or an account-region was not reached (its reason is in the report). */
function printOrganizationReport(report: OrganizationReconcileReport, io: Io, json: boolean): number {
  if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(`${formatOrganizationReport(report, { color: useColor(io) })}\n`);
  const problems = [
    ...(report.totals.failed > 0 ? [`${report.totals.failed} action(s) failed`] : []),
    ...(report.failedCells.length > 0 ? [`${report.failedCells.length} account-region(s) not reached`] : []),
  ];
  if (problems.length && !json) io.stderr.write(`fleetwatch: ${problems.join('; ')}\n`);
  return problems.length ? EXIT.failed : EXIT.ok;
}

function printOrganizationStatus(status: OrganizationStatus, io: Io, json: boolean): number {
  if (json) io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else io.stdout.write(`${formatOrganizationStatus(status, { color: useColor(io) })}\n`);
  return status.failedCells.length ? EXIT.failed : EXIT.ok;
}

function printStatus(status: FleetStatus, io: Io, json: boolean, header?: string): number {
  if (json) io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else io.stdout.write([header && paint(header, 'dim', useColor(io)), formatStatus(status, { color: useColor(io) })].filter(Boolean).join('\n') + '\n');
  return EXIT.ok;
}
