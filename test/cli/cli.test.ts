/**
 * The CLI in-process (cli/main.ts run() with captured output): --local against the simulated
 * account, bad input stopped before anything runs, and the remote path against a mocked Lambda.
 * One test spawns bin/fleetwatch.mjs, as `npx fleetwatch` does.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvokeCommand, LambdaClient, ResourceNotFoundException, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { DEFAULT_REGION } from '../../cli/region.js';
import type { ReconcileReport } from '../../lib/entry/reconcile.js';
import type { FleetStatus } from '../../lib/entry/status.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The start of an ANSI colour code. */
const ANSI = '\u001b[';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], options: { tty?: boolean; stderrTty?: boolean; env?: Record<string, string> } = {}): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    stdout: { write: (chunk: string) => out.push(chunk), isTTY: options.tty ?? false },
    stderr: { write: (chunk: string) => err.push(chunk), isTTY: options.stderrTty ?? false },
    env: options.env ?? {},
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Lambda's Invoke payload: the SDK hands back a Uint8Array (its blob adapter extends it). */
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as unknown as InvokeCommandOutput['Payload'];
const sentPayload = (call = 0) => JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[call]!.args[0].input.Payload as Uint8Array));

// Every LambdaClient the CLI builds answers from here; with no behaviour set an invoke returns undefined.
const lambda = mockClient(LambdaClient);
const sqs = mockClient(SQSClient);
afterEach(() => {
  lambda.reset();
  sqs.reset();
});

describe('fleetwatch --local', () => {
  it('plan prints the plan as a table: counts, then one line per action; no colour off a terminal', async () => {
    const { code, stdout, stderr } = await cli(['plan', '--local']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('Plan (dry run, action ensure)');
    expect(stdout).toMatch(/^target\s+action\s+reason\s+detail$/m);
    expect(stdout).toMatch(/^i-0+1\s+associate-profile\s+no instance profile\s+associate fleetwatch-dev-agent$/m);
    for (const action of ['associate-profile', 'wait-for-registration', 'install-and-configure', 'report-invalid', 'report-drift']) {
      expect(stdout).toMatch(new RegExp(`^${action}\\s+\\d+$`, 'm'));
    }
    expect(stdout).not.toContain(ANSI);
  });

  it('colours the table on a terminal, unless NO_COLOR is set', async () => {
    expect((await cli(['plan', '--local'], { tty: true })).stdout).toContain(ANSI);
    expect((await cli(['plan', '--local'], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain(ANSI);
  });

  it('plan --json prints only the report, as JSON', async () => {
    const { code, stdout } = await cli(['plan', '--local', '--json', '--action', 'install']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ReconcileReport;
    expect(report).toMatchObject({ dryRun: true, action: 'install', failed: 0 });
    expect(report.actions).toBeGreaterThan(0);
    expect(report.lines.length).toBe(report.actions);
  });

  it('--lines and --fleet-size reach the request and the demo fleet', async () => {
    const report = JSON.parse((await cli(['plan', '--local', '--json', '--fleet-size', '20', '--lines', '3'])).stdout) as ReconcileReport;
    expect(report.instancesInScope).toBe(29);
    expect(report.lines).toHaveLength(3);
    expect(report.linesOmitted).toBe(report.actions - 3);
  });

  it('--config narrows the scope to the instances that select it', async () => {
    const report = JSON.parse((await cli(['plan', '--local', '--json', '--config', 'windows'])).stdout) as ReconcileReport;
    expect(report.instancesInScope).toBe(2);
    expect(report.lines.every((line) => line.detail.includes('windows') || line.action !== 'install-and-configure')).toBe(true);
  });

  it('apply runs, prints what was done and how the fleet settled, and exits 0', async () => {
    const { code, stdout } = await cli(['apply', '--local']);
    expect(code).toBe(0);
    expect(stdout).toContain('Applied (action ensure)');
    expect(stdout).toMatch(/outcomes: done \d+/);
    expect(stdout).toMatch(/instances by status: configured 6/);
  });

  it('status --json parses: one entry per configuration, with instance counts', async () => {
    const { code, stdout } = await cli(['status', '--local', '--json']);
    expect(code).toBe(0);
    const status = JSON.parse(stdout) as FleetStatus;
    expect(status.configurations.map((c) => c.configName)).toEqual(['default', 'web', 'windows']);
    expect(status.configurations.reduce((sum, c) => sum + c.instances.current, 0)).toBe(6);
    expect(status.byStatus).toMatchObject({ configured: 6, invalid: 1, drift: 1 });
  });

  it('status names the configuration a drifted instance selects, and no "sent 0/n" for a rollout that had nothing to send', async () => {
    const { stdout } = await cli(['status', '--local']);
    expect(stdout).toMatch(/^i-0+9\s+drift\s+web\s+profile app-profile/m);
    expect(stdout).toMatch(/^web\s+v1\s+v1 completed\s+2\s/m);
    expect(stdout).not.toMatch(/sent 0\//);
  });

  it('status prints a table per configuration', async () => {
    const { code, stdout } = await cli(['status', '--local']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^configuration\s+version\s+rollout\s+current/m);
    expect(stdout).toMatch(/^web\s+v1\s/m);
  });

  it('an instance id that matches nothing gives an empty plan, exit 0', async () => {
    const { code, stdout } = await cli(['plan', '--local', '--json', '--instance', 'i-0123456789abcdef0']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ actions: 0, lines: [], failed: 0 });
  });

  it('a scope larger than --max-instances is refused, nothing changed, exit 1', async () => {
    const { code, stdout, stderr } = await cli(['apply', '--local', '--max-instances', '2']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    // In words: the message, not the error's class name.
    expect(stderr).toBe('fleetwatch: scope holds 9 instances, more than maxInstances 2; nothing was changed\n');
  });

  it('shows progress phases on a terminal stderr, and nothing on stderr otherwise', async () => {
    const tty = await cli(['apply', '--local', '--json'], { stderrTty: true });
    expect(tty.stderr).toContain('observing, planning and applying…');
    expect(tty.stderr.endsWith('\r\u001b[K')).toBe(true);
    JSON.parse(tty.stdout);
    expect((await cli(['apply', '--local', '--json'])).stderr).toBe('');
  });
});

describe('bad input: exit 2, a clear message, nothing run', () => {

  it.each([
    [['plan', '--local', '--action', 'bogus'], /action: Invalid option: expected one of "ensure"\|"install"\|"configure"\|"restart"\n {2}action is --action "bogus"/],
    [['apply', '--instance', 'i-0123456789abcdef0', '--instance', 'i-123'], /instanceIds\.1: is not an EC2 instance id\n {2}instanceIds\.1 is --instance "i-123"/],
    [['apply', '--instance', 'i-0123456789abcdef0,i-XYZ'], /instanceIds\.1: is not an EC2 instance id/],
    [['plan', '--config', '../x'], /config: is not a configuration name/],
    [['plan', '--max-instances', '0'], /maxInstances: Too small/],
    [['plan', '--lines', 'lots'], /--lines must be a whole number; got "lots"/],
    [['deploy'], /unknown command "deploy"; expected plan, apply, status/],
    [[], /a command is needed/],
    [['plan', 'apply'], /one command at a time/],
    [['plan', '--frobnicate'], /^fleetwatch: unknown option --frobnicate\n/],
    [['plan', '--instances', 'i-0123456789abcdef0'], /^fleetwatch: unknown option --instances; did you mean --instance\?\n/],
    [['plan', '--stage'], /^fleetwatch: --stage needs a value\n/],
    [['plan', '--local=yes'], /^fleetwatch: --local takes no value\n/],
    [['plan', '--stage', 'dev;rm'], /--stage "dev;rm" is not a stage name/],
    [['status', '--instance', 'i-0123456789abcdef0'], /status reads the whole fleet; it takes no --instance/],
    [['plan', '--fleet-size', '5'], /--fleet-size applies only with --local/],
    [['plan', '--local', '--region', 'eu-west-1'], /--local runs against the simulated account/],
    [['redrive', '--local'], /redrive works on a deployed stage/],
    [['redrive', '--instance', 'i-0123456789abcdef0'], /redrive puts back everything that failed; it takes no --instance/],
  ])('%j', async (argv, message) => {
    const { code, stdout, stderr } = await cli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Run "fleetwatch --help" for usage.');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('--help and `help` print usage on stdout, exit 0', async () => {
    for (const argv of [['--help'], ['help'], ['help', 'plan'], ['plan', '-h']]) {
      const { code, stdout, stderr } = await cli(argv);
      expect(code, argv.join(' ')).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^Usage: fleetwatch <plan\|apply\|status\|redrive\|help>/);
      expect(stdout).toContain('Exit status:');
    }
  });

  it('--version prints the package version, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `fleetwatch ${version}\n`, stderr: '' });
  });
});

describe('fleetwatch against a deployed stage (Lambda mocked)', () => {
  let planned: ReconcileReport;
  beforeAll(async () => {
    planned = JSON.parse((await cli(['plan', '--local', '--json'])).stdout) as ReconcileReport;
  });

  it('invokes fleetwatch-<stage>-reconcile synchronously with the request, and prints the report', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(planned) });
    const { code, stdout, stderr } = await cli(['plan', '--stage', 'prod', '--region', 'eu-central-1', '--action', 'restart', '--instance', 'i-0123456789abcdef0', '--config', 'web', '--lines', '50']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call!.args[0].input).toMatchObject({ FunctionName: 'fleetwatch-prod-reconcile', InvocationType: 'RequestResponse' });
    expect(sentPayload()).toEqual({ dryRun: true, action: 'restart', instanceIds: ['i-0123456789abcdef0'], config: 'web', lineLimit: 50 });
    expect(await call!.thisValue.config.region()).toBe('eu-central-1');
    expect(stdout).toContain('Plan (dry run, action ensure)');
    expect(stdout).toMatch(/^i-0+1\s+associate-profile/m);
  });

  it('apply sends dryRun false; --json prints the payload as JSON', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ ...planned, dryRun: false }) });
    const { code, stdout } = await cli(['apply', '--region', 'eu-west-1', '--json']);
    expect(code).toBe(0);
    expect(sentPayload()).toEqual({ dryRun: false });
    expect(JSON.parse(stdout)).toMatchObject({ dryRun: false, actions: planned.actions });
  });

  it('status sends {"mode":"status"}', async () => {
    const status: FleetStatus = { configurations: [], byStatus: { configured: 3 }, problems: [] };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(status) });
    const { code, stdout } = await cli(['status', '--region', 'eu-west-1']);
    expect(code).toBe(0);
    expect(sentPayload()).toEqual({ mode: 'status' });
    expect(stdout).toContain('instances by status: configured 3');
  });

  it('exits 1 when an action failed', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ ...planned, dryRun: false, failed: 2, byOutcome: { done: 9, failed: 2 } }) });
    const { code, stderr } = await cli(['apply', '--region', 'eu-west-1']);
    expect(code).toBe(1);
    expect(stderr).toContain('2 action(s) failed');
  });

  it('a function error prints its message in words, exit 1', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'ScopeTooLargeError', errorMessage: 'scope holds 900 instances, more than maxInstances 100; nothing was changed', trace: [] }),
    });
    const { code, stdout, stderr } = await cli(['apply', '--region', 'eu-west-1', '--max-instances', '100']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('fleetwatch: fleetwatch-dev-reconcile failed: scope holds 900 instances, more than maxInstances 100; nothing was changed\n');
  });

  it('a Lambda runtime failure keeps its type, which is all it says', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 900.00 seconds' }) });
    const { code, stderr } = await cli(['apply', '--region', 'eu-west-1']);
    expect(code).toBe(1);
    expect(stderr).toBe('fleetwatch: fleetwatch-dev-reconcile failed: Task timed out after 900.00 seconds (Lambda: Sandbox.Timedout)\n');
  });

  it('an AWS error (no such function) is reported, exit 1', async () => {
    lambda.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found: fleetwatch-qa-reconcile', $metadata: {} }));
    const { code, stderr } = await cli(['plan', '--stage', 'qa', '--region', 'eu-west-1']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^fleetwatch: Function not found: fleetwatch-qa-reconcile\n/);
    expect(stderr).toContain('is stage qa deployed in eu-west-1?');
  });

  it('shows a waiting line only when stderr is a terminal', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(planned) });
    expect((await cli(['plan', '--region', 'eu-west-1', '--json'], { stderrTty: true })).stderr).toContain('waiting for fleetwatch-dev-reconcile in eu-west-1… 0 s');
    expect((await cli(['plan', '--region', 'eu-west-1', '--json'])).stderr).toBe('');
  });
});

describe('fleetwatch redrive (SQS and Lambda mocked)', () => {
  const queue = (name: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`;
  const record = (functionArn: string, event: unknown) => JSON.stringify({ version: '1.0', requestContext: { functionArn, condition: 'RetriesExhausted' }, requestPayload: event, responsePayload: { errorMessage: 'boom' } });
  const event = { 'detail-type': 'EC2 Instance State-change Notification', detail: { 'instance-id': 'i-0123456789abcdef0', state: 'running' } };

  function queues(deadLetters: number, failedEvents: { MessageId: string; ReceiptHandle: string; Body: string }[]) {
    sqs.on(GetQueueUrlCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: queue(input.QueueName) }));
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:fleetwatch-prod-work-dlq', ApproximateNumberOfMessages: String(deadLetters) } });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task' });
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: failedEvents }).resolves({ Messages: [] });
    sqs.on(DeleteMessageCommand).resolves({});
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
  }

  it('moves the dead-letter queue back to the work queue, and sends each failed event to its function again', async () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:fleetwatch-prod-instanceState:$LATEST';
    queues(3, [
      { MessageId: 'm1', ReceiptHandle: 'r1', Body: record(arn, event) },
      { MessageId: 'm2', ReceiptHandle: 'r2', Body: record('arn:aws:lambda:eu-west-1:123456789012:function:someone-else', event) },
    ]);
    const { code, stdout } = await cli(['redrive', '--stage', 'prod', '--region', 'eu-west-1']);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((call) => call.args[0].input)).toEqual([{ SourceArn: 'arn:aws:sqs:eu-west-1:123456789012:fleetwatch-prod-work-dlq' }]);
    const [invoke, ...more] = lambda.commandCalls(InvokeCommand);
    expect(more).toHaveLength(0);
    expect(invoke!.args[0].input).toMatchObject({ FunctionName: arn, InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(invoke!.args[0].input.Payload as Uint8Array))).toEqual(event);
    // Only the message that was sent again is deleted; the foreign one stays and is named.
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: queue('fleetwatch-prod-event-failures'), ReceiptHandle: 'r1' }]);
    expect(stdout).toContain('fleetwatch-prod-work-dlq: 3 work item(s) moving back to the work queue');
    expect(stdout).toContain('fleetwatch-prod-event-failures: 1 event(s) sent to their function again; 1 left on the queue:\n  m2: not an invocation record of a fleetwatch-prod function');
    expect(code).toBe(1);
  });

  it('with nothing failed, starts no move task and exits 0', async () => {
    queues(0, []);
    const { code, stdout } = await cli(['redrive', '--region', 'eu-west-1']);
    expect(code).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(stdout).toBe('fleetwatch-dev-work-dlq: empty\nfleetwatch-dev-event-failures: 0 event(s) sent to their function again\n');
  });
});

describe('the region', () => {
  it('is --region, else AWS_REGION, else eu-west-1: the rule serverless.yml deploys with', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ configurations: [], byStatus: {}, problems: [] }) });
    const regions: string[] = [];
    for (const [argv, env] of [[['--region', 'ap-south-1'], { AWS_REGION: 'us-east-1' }], [[], { AWS_REGION: 'us-east-1' }], [[], {}]] as const) {
      await cli(['status', ...argv], { env });
      regions.push(await lambda.commandCalls(InvokeCommand).at(-1)!.thisValue.config.region());
    }
    expect(regions).toEqual(['ap-south-1', 'us-east-1', DEFAULT_REGION]);
    const serverlessYml = readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8');
    expect(serverlessYml).toMatch(new RegExp(`^  region: \\$\\{opt:region, env:AWS_REGION, '${DEFAULT_REGION}'\\}$`, 'm'));
  });
});

describe('bin/fleetwatch.mjs, as built by npm ci / npm run build', () => {
  // The bin runs the JavaScript build (dist/), not the TypeScript: build what this checkout holds.
  beforeAll(() => promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT }), 60_000);
  const node = (args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'fleetwatch.mjs'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });

  it('--version prints the version', async () => {
    expect((await node(['--version'])).stdout).toMatch(/^fleetwatch \d+\.\d+\.\d+\n$/);
  });

  it('a remote error reaches stderr without the SDK\'s Node-version warning, exit 1', async () => {
    // Nothing listens on port 9: the call fails at once, after the SDK has loaded.
    const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
    delete (env as Record<string, string | undefined>).AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const failed = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'fleetwatch.mjs'), 'plan', '--region', 'eu-west-1'], { cwd: ROOT, env }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/^fleetwatch: connect ECONNREFUSED 127\.0\.0\.1:9\n$/);
  });

  it('--help exits 0 with the usage', async () => {
    const { stdout } = await node(['--help']);
    expect(stdout).toMatch(/^Usage: fleetwatch/);
  });

  it('passes run()\'s exit code to the process', async () => {
    await expect(node(['deploy'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "deploy"') });
  });
});
