/**
 * The CLI against an organization hub (Lambda mocked, answering with reports the hub's reconcile
 * function made over a simulated organization): the --account and --region filters, and the
 * organization's report and status.
 */
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { createHandler } from '../../functions/handlers/reconcile.js';
import { organization } from '../organization/helpers.js';

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { stdout: { write: (chunk: string) => out.push(chunk), isTTY: false }, stderr: { write: (chunk: string) => err.push(chunk), isTTY: false }, env: {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const sent = () => JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array));

/** What the hub's reconcile function answers to `input`, over a 2 x 2 organization with one member stack missing. */
async function hubAnswer(input: unknown): Promise<InvokeCommandOutput['Payload']> {
  const { org, settings } = organization();
  org.setFault({ account: '100000000002', region: 'us-east-1' }, 'stack-missing');
  for (const cell of org.cells()) org.member(cell).launchFleet(2, () => ({ tags: { [settings.selectorTagKey]: 'web' }, profileName: settings.managedProfileName }));
  await org.clock.advance(120_000);
  const handler = createHandler({ runtime: () => ({ settings, ports: org.hub.ports(), organization: org.access() }), middlewares: [] });
  const answer = await handler(input, { functionName: 'fleetwatch-dev-reconcile', awsRequestId: 'test', getRemainingTimeInMillis: () => 900_000 } as never);
  return new TextEncoder().encode(JSON.stringify(answer)) as unknown as InvokeCommandOutput['Payload'];
}

describe('fleetwatch against an organization hub', () => {
  it('plan --hub-region invokes the hub there with the accounts and member regions asked for, and prints them per account-region', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: await hubAnswer({ dryRun: true, accounts: ['100000000001'] }) });
    const { code, stdout, stderr } = await cli(['plan', '--hub-region', 'eu-west-1', '--account', '100000000001', '--region', 'eu-west-1,us-east-1']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent()).toEqual({ dryRun: true, accounts: ['100000000001'], regions: ['eu-west-1', 'us-east-1'] });
    expect(await lambda.commandCalls(InvokeCommand)[0]!.thisValue.config.region()).toBe('eu-west-1');
    expect(stdout).toContain('Plan of organization o-exampleorg01 (dry run, action ensure)');
    expect(stdout).toContain('account-regions: 2 of 2 reconciled');
    expect(stdout).toMatch(/^100000000001\s+us-east-1\s+2\s+\d+$/m);
    expect(stdout).toMatch(/^100000000001\s+eu-west-1\s+i-0+1\s+install-and-configure/m);
  });

  it('status prints each account-region, the organization total, and the member not reached with its reason (exit 1)', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: await hubAnswer({ mode: 'status' }) });
    const { code, stdout } = await cli(['status', '--hub-region', 'eu-west-1']);
    expect(sent()).toEqual({ mode: 'status' });
    expect(code).toBe(1);
    expect(stdout).toContain('account-regions: 3 of 4 read, 1 not reached');
    expect(stdout).toMatch(/^organization\s+total\s/m);
    expect(stdout).toMatch(/^100000000002\s+us-east-1\s+role-missing\s+/m);
  });

  it('apply of a hub with a member not reached exits 1 and says so', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: await hubAnswer({ dryRun: false }) });
    const { code, stderr } = await cli(['apply', '--hub-region', 'eu-west-1']);
    expect(code).toBe(1);
    expect(stderr).toContain('1 account-region(s) not reached');
  });

  it('refuses bad filters before invoking anything', async () => {
    const multiple = await cli(['plan', '--region', 'eu-west-1', '--region', 'us-east-1']);
    expect(multiple).toMatchObject({ code: 2, stderr: expect.stringContaining('member regions of an organization go with --hub-region') });
    const badAccount = await cli(['status', '--hub-region', 'eu-west-1', '--account', '12345']);
    expect(badAccount.code).toBe(2);
    expect(badAccount.stderr).toContain('accounts.0 is --account "12345"');
    expect((await cli(['plan', '--local', '--account', '100000000001'])).code).toBe(2);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('without --hub-region, --region is the stage\'s own and is not sent', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: await hubAnswer({ dryRun: true }) });
    await cli(['plan', '--region', 'eu-west-1']);
    expect(sent()).toEqual({ dryRun: true });
  });
});
