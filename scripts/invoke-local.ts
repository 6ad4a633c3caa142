/**
 * `sls invoke local` of one function against a local AWS emulator, with no AWS account:
 *
 *   npx tsx scripts/invoke-local.ts <function> <event file>     e.g. instanceState events/ec2-running.json
 *
 * Starts moto_server on a free loopback port, creates what the stack would (the state table, the
 * work queue, one parameter per bundled configuration, the SSM document), runs
 * `sls invoke local --stage dev` with the SDK pointed at moto, prints what the function left in
 * the queue and the table, and stops moto. moto lacks DescribeInstanceInformation and
 * ListCommandInvocations, so `reconcile` and `worker` stop at those calls here; the event
 * functions run end to end.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateDocumentCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseAgentConfig } from '../lib/agent/index.js';
import { startMoto } from './moto-server.js';

const ROOT = join(import.meta.dirname, '..');
const STAGE = 'dev';
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

export interface LocalInvocation {
  /** What `sls invoke local` printed. */
  output: string;
  /** Work items the function put on the queue. */
  enqueued: unknown[];
  /** State-table items after the call. */
  records: unknown[];
}

/** `sls invoke local` failed: `message` is what osls printed, `exitCode` its exit status. */
export class InvokeLocalError extends Error {
  override name = 'InvokeLocalError';
  constructor(
    message: string,
    readonly exitCode: number | undefined,
  ) {
    super(message);
  }
}

export async function invokeLocal(functionName: string, eventFile: string): Promise<LocalInvocation> {
  const moto = await startMoto();
  try {
    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    const client = { endpoint: moto.endpoint, region: REGION, credentials };
    const prefix = `fleetwatch-${STAGE}`;

    const sqs = new SQSClient(client);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-work` }));
    const dynamo = new DynamoDBClient(client);
    await dynamo.send(
      new CreateTableCommand({
        TableName: `${prefix}-state`,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'instanceId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'instanceId', KeyType: 'HASH' }],
      }),
    );
    const ssm = new SSMClient(client);
    const configDir = join(ROOT, 'agent', 'configs');
    for (const file of readdirSync(configDir).filter((f) => f.endsWith('.json'))) {
      const name = file.slice(0, -'.json'.length);
      const value = parseAgentConfig(name, readFileSync(join(configDir, file), 'utf8')).minified;
      await ssm.send(new PutParameterCommand({ Name: `AmazonCloudWatch-${prefix}-${name}`, Value: value, Type: 'String' }));
    }
    await ssm.send(
      new CreateDocumentCommand({ Name: `${prefix}-agent`, DocumentType: 'Command', DocumentFormat: 'YAML', Content: readFileSync(join(ROOT, 'agent', 'document.yml'), 'utf8') }),
    );

    const { stdout, stderr } = await promisify(execFile)(
      join(ROOT, 'node_modules', '.bin', 'sls'),
      ['invoke', 'local', '--stage', STAGE, '--function', functionName, '--path', eventFile],
      {
        cwd: ROOT,
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_REGION: REGION,
          AWS_ENDPOINT_URL: moto.endpoint,
          // serverless/stage.cjs: plain values instead of CloudFormation references.
          FLEETWATCH_LOCAL_ENDPOINT: moto.endpoint,
          FLEETWATCH_ACCOUNT_ID: ACCOUNT,
          FLEETWATCH_STATE_TABLE: `${prefix}-state`,
          FLEETWATCH_WORK_QUEUE_URL: QueueUrl!,
        },
      },
    ).catch((error: { stdout?: string; stderr?: string; code?: number; message: string }) => {
      // osls writes its own error ("Function "nope" doesn't exist in this Service") to stdout;
      // execFile's message holds only the command line and stderr. Pass osls's words on.
      throw new InvokeLocalError(`${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || error.message, error.code);
    });

    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const { Items } = await dynamo.send(new ScanCommand({ TableName: `${prefix}-state` }));
    return { output: stdout + stderr, enqueued: (Messages ?? []).map((m) => JSON.parse(m.Body ?? 'null')), records: Items ?? [] };
  } finally {
    await moto.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [functionName, eventFile] = process.argv.slice(2);
  if (!functionName || !eventFile) {
    console.error('usage: npx tsx scripts/invoke-local.ts <function> <event file>   e.g. instanceState events/ec2-running.json');
    process.exit(2);
  }
  invokeLocal(functionName, eventFile).then(
    (result) => {
      console.log(result.output.trim());
      console.log(`\nwork queue: ${JSON.stringify(result.enqueued)}\nstate table: ${JSON.stringify(result.records)}`);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = error instanceof InvokeLocalError && error.exitCode ? error.exitCode : 1;
    },
  );
}
