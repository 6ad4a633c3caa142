/**
 * `fleetwatch plan|apply|status`: the operator's view of a stage. Invokes the deployed `reconcile`
 * function with the operator's credentials, or with --local runs the same request against the
 * simulated account. The request is built and validated here with the function's own parser
 * (lib/reconcile-request.ts), so bad input fails before anything is invoked, with the message the
 * function would give: never a partial apply.
 *
 * `run` is the whole CLI with its output injected; bin/fleetwatch.mjs calls it with the process.
 */
import { parseArgs } from 'node:util';
import { errorMessage, InvalidInputError } from '../lib/errors.js';
import { formatReport, formatStatus, paint } from '../lib/entry/format.js';
import { parseReconcileRequest } from '../lib/entry/reconcile-request.js';
import type { ReconcileReport, ReconcileRequest } from '../lib/entry/reconcile.js';
import type { FleetStatus } from '../lib/entry/status.js';
import { processIo, useColor, type Io } from './io.js';
import { localReconcile, localStatus } from './local.js';
import { progress } from './progress.js';
import { invokeReconcile, reconcileFunctionName, type RemoteTarget } from './remote.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const COMMANDS = ['plan', 'apply', 'status'] as const;
type Command = (typeof COMMANDS)[number];

export const USAGE = `Usage: fleetwatch <plan|apply|status> [options]

Commands:
  plan                 what a reconcile would do (dry run); changes nothing
  apply                reconcile the fleet (or the scope) and print what was done
  status               per configuration: standing version, rollout, instances current,
                       behind, pending, in flight, failed, unreachable

Where:
  --stage <name>       stage of the deployed stack (default dev): invokes fleetwatch-<stage>-reconcile
  --region <region>    its region (default: AWS_REGION or the profile's region)
  --profile <name>     AWS profile with the operator's credentials (default: the SDK's chain)
  --local              run against the simulated account instead (no AWS account needed)
  --fleet-size <n>     with --local: n more selected instances in the demo fleet

What (plan, apply):
  --action <action>    ensure (default) | install | configure | restart
  --instance <id>      only this instance; repeat the option (or separate by commas) for more
  --config <name>      only instances that select this configuration
  --max-instances <n>  refuse, changing nothing, when the scope holds more instances than n
  --lines <n>          per-instance lines in the report (default 200; the counts cover all)

Output:
  --json               the report as JSON on stdout and nothing else (progress stays on stderr)
  -h, --help           this text

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
};

const OPTIONS = {
  stage: { type: 'string', default: 'dev' },
  region: { type: 'string' },
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
} as const;

/** The command line as an invocation, or 'help'. Throws UsageError or InvalidInputError. */
export function parseCommandLine(argv: string[]): Invocation | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages are clear ("Unknown option '--foo'"); only their type (TypeError) is wrong.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError(`a command is needed: ${COMMANDS.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`one command at a time; got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const command = positionals[0]!;
  if (!isCommand(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}; expected ${COMMANDS.join(', ')}`);

  // osls stage names: letters, digits and hyphens. Checked here because it becomes a function name.
  if (!/^[A-Za-z0-9-]+$/.test(values.stage)) throw new UsageError(`--stage ${JSON.stringify(values.stage)} is not a stage name (letters, digits, hyphens)`);
  if (values.local && (values.region !== undefined || values.profile !== undefined)) {
    throw new UsageError('--region and --profile select the deployed stack; --local runs against the simulated account');
  }
  if (!values.local && values['fleet-size'] !== undefined) throw new UsageError('--fleet-size applies only with --local');
  const fleetSize = values['fleet-size'] === undefined ? 0 : wholeNumber('--fleet-size', values['fleet-size']);
  if (fleetSize > 10_000) throw new UsageError(`--fleet-size ${fleetSize} is more than the simulated account is meant for (10000)`);

  const target: RemoteTarget = {
    stage: values.stage,
    ...(values.region !== undefined && { region: values.region }),
    ...(values.profile !== undefined && { profile: values.profile }),
  };
  const common = { command, local: values.local, json: values.json, target, fleetSize };

  if (command === 'status') {
    const ignored = ['action', 'instance', 'config', 'max-instances', 'lines'].filter((name) => values[name as keyof typeof values] !== undefined);
    if (ignored.length) throw new UsageError(`status reads the whole fleet; it takes no ${ignored.map((name) => `--${name}`).join(', ')}`);
    return { ...common, payload: { mode: 'status' } };
  }

  const payload: Record<string, unknown> = { dryRun: command === 'plan' };
  if (values.action !== undefined) payload.action = values.action;
  if (values.instance !== undefined) payload.instanceIds = values.instance.flatMap((value) => value.split(',')).map((id) => id.trim()).filter(Boolean);
  if (values.config !== undefined) payload.config = values.config;
  if (values['max-instances'] !== undefined) payload.maxInstances = wholeNumber('--max-instances', values['max-instances']);
  if (values.lines !== undefined) payload.lineLimit = wholeNumber('--lines', values.lines);
  try {
    return { ...common, payload, request: parseReconcileRequest(payload) };
  } catch (error) {
    if (error instanceof InvalidInputError) throw new InvalidInputError(withOptionNames(error.message, payload));
    throw error;
  }
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
  for (const match of message.matchAll(/\b(action|instanceIds|config|maxInstances|lineLimit)(?:\.(\d+))?:/g)) {
    const [, field, index] = match;
    const value = index === undefined ? payload[field!] : (payload[field!] as unknown[] | undefined)?.[Number(index)];
    lines.push(`  ${field}${index === undefined ? '' : `.${index}`} is ${OPTION_OF[field!]} ${JSON.stringify(value)}`);
  }
  return lines.join('\n');
}

export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  let invocation: Invocation | 'help';
  try {
    invocation = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof InvalidInputError)) throw error;
    io.stderr.write(`fleetwatch: ${error.message}\nRun "fleetwatch --help" for usage.\n`);
    return EXIT.usage;
  }
  if (invocation === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const line = progress(io.stderr);
  try {
    return invocation.local ? await runLocal(invocation, io, line) : await runRemote(invocation, io, line);
  } catch (error) {
    line.done();
    io.stderr.write(`fleetwatch: ${errorMessage(error)}\n`);
    return error instanceof InvalidInputError ? EXIT.usage : EXIT.failed;
  } finally {
    line.done();
  }
}

async function runLocal(invocation: Invocation, io: Io, line: ReturnType<typeof progress>): Promise<number> {
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
  const name = reconcileFunctionName(invocation.target.stage);
  line.phase(`waiting for ${name}`);
  let result;
  try {
    result = await invokeReconcile(invocation.target, invocation.payload);
  } catch (error) {
    line.done();
    const hint = remoteHint(error, invocation.target);
    io.stderr.write(`fleetwatch: ${errorMessage(error)}\n${hint ? `${hint}\n` : ''}`);
    return EXIT.failed;
  }
  line.done();
  if (!result.ok) {
    io.stderr.write(`fleetwatch: ${name} failed: ${result.errorType}: ${result.errorMessage}\n`);
    return EXIT.failed;
  }
  if (invocation.command === 'status') return printStatus(result.payload as FleetStatus, io, invocation.json);
  return printReport(result.payload as ReconcileReport, io, invocation.json);
}

/** What to do about the errors an operator meets first: no region, no credentials, wrong stage. */
function remoteHint(error: unknown, target: RemoteTarget): string | undefined {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : '';
  if (/region is missing/i.test(message)) return '  pass --region, or set AWS_REGION (or a region in the AWS profile)';
  if (name === 'CredentialsProviderError') {
    return target.profile
      ? `  check AWS profile ${JSON.stringify(target.profile)} (for SSO: aws sso login --profile ${target.profile})`
      : '  pass --profile, or set AWS credentials in the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)';
  }
  if (name === 'ResourceNotFoundException') return `  is stage ${target.stage} deployed${target.region ? ` in ${target.region}` : ''}? (sls deploy --stage ${target.stage})`;
  if (name === 'AccessDeniedException') return `  the operator's credentials need lambda:InvokeFunction on ${reconcileFunctionName(target.stage)}`;
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

function printStatus(status: FleetStatus, io: Io, json: boolean, header?: string): number {
  if (json) io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else io.stdout.write([header && paint(header, 'dim', useColor(io)), formatStatus(status, { color: useColor(io) })].filter(Boolean).join('\n') + '\n');
  return EXIT.ok;
}
