/**
 * SsmPort and LogsPort against moto: the real SDK over HTTP.
 *
 * moto 5.2 lacks, so these are covered with aws-sdk-client-mock in test/aws/ssm.test.ts instead:
 * - DescribeInstanceInformation (describeManagedInstances): not implemented at all.
 * - ListCommandInvocations (listCommandInvocations, listInvocationsOnInstance): not implemented
 *   (only GetCommandInvocation).
 * - SendCommand's InvalidInstanceId (NotYetManagedError): moto accepts any instance id, and does
 *   not check Parameters against the document's allowedValues/allowedPattern either.
 * moto 5.2 differs from CloudWatch Logs: it ignores logGroupClass on CreateLogGroup and never
 * returns it, so the class is only checked as accepted on create (test/aws/logs.test.ts maps it).
 */
import { readFile } from 'node:fs/promises';
import { CloudWatchLogsClient, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateDocumentCommand, DescribeDocumentCommand, ListCommandsCommand, SSMClient, UpdateDocumentCommand, UpdateDocumentDefaultVersionCommand } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlreadyExistsError, NotFoundError } from '../../lib/errors.js';
import type { Ports } from '../../lib/ports.js';
import { ACCOUNT_ID, clientConfig, contractPorts, REGION, resetMoto } from './moto.js';

const DOCUMENT = 'fleetwatch-dev-agent';

let ssm: SSMClient;
let logs: CloudWatchLogsClient;
let ports: Ports;

beforeAll(async () => {
  await resetMoto();
  ssm = new SSMClient(clientConfig());
  logs = new CloudWatchLogsClient(clientConfig());
  ports = contractPorts();
});

describe('parameters', () => {
  const name = 'AmazonCloudWatch-fleetwatch-dev-web';

  it('writes versions 1 and 2 and reads each back by "name:version"', async () => {
    expect(await ports.ssm.putParameter(name, '{"agent":{"metrics_collection_interval":60}}', 'Standard')).toBe(1);
    expect(await ports.ssm.putParameter(name, '{"agent":{"metrics_collection_interval":30}}', 'Standard')).toBe(2);

    expect(await ports.ssm.getParameterVersion(name, 1)).toEqual({ name, value: '{"agent":{"metrics_collection_interval":60}}', version: 1 });
    expect(await ports.ssm.getParameterVersion(name, 2)).toEqual({ name, value: '{"agent":{"metrics_collection_interval":30}}', version: 2 });
  });

  it('answers undefined for a version or a parameter that does not exist', async () => {
    expect(await ports.ssm.getParameterVersion(name, 9)).toBeUndefined();
    expect(await ports.ssm.getParameterVersion('AmazonCloudWatch-fleetwatch-dev-nothing', 1)).toBeUndefined();
  });

  it('stores an Advanced parameter over the 4 KB of a Standard one', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(5_000) });
    expect(await ports.ssm.putParameter('AmazonCloudWatch-fleetwatch-dev-big', big, 'Advanced')).toBe(1);
    expect((await ports.ssm.getParameterVersion('AmazonCloudWatch-fleetwatch-dev-big', 1))?.value).toBe(big);
  });

  it('gets the current version of 12 names in calls of 10, leaving out the missing ones', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `AmazonCloudWatch-fleetwatch-dev-many-${i}`);
    for (const [i, each] of names.entries()) if (i % 3 !== 0) await ports.ssm.putParameter(each, `{"n":${i}}`, 'Standard');

    const found = await ports.ssm.getParameters([...names, name]);

    expect(found.map((parameter) => parameter.name).sort()).toEqual([...names.filter((_, i) => i % 3 !== 0), name].sort());
    expect(found.find((parameter) => parameter.name === name)?.version).toBe(2);
  });
});

describe('sendCommand', () => {
  beforeAll(async () => {
    // The document as serverless.yml deploys it (AgentDocument: Command, YAML).
    await ssm.send(
      new CreateDocumentCommand({
        Name: DOCUMENT,
        Content: await readFile(new URL('../../agent/document.yml', import.meta.url), 'utf8'),
        DocumentType: 'Command',
        DocumentFormat: 'YAML',
      }),
    );
  });

  it('moto accepts the service’s document', async () => {
    const { Document } = await ssm.send(new DescribeDocumentCommand({ Name: DOCUMENT }));
    expect(Document?.Parameters?.map((parameter) => parameter.Name).sort()).toEqual(['agentAction', 'agentVersion', 'configurationLocation', 'installAgent', 'uninstallAgent']);
  });

  it("reads the default version's VersionName of the agent's package document, and the new one once it is the default", async () => {
    // moto has none of AWS's own documents: a document of the same name stands in for Distributor's package.
    const content = (message: string) => JSON.stringify({ schemaVersion: '2.2', description: message, mainSteps: [{ action: 'aws:runShellScript', name: 'run', inputs: { runCommand: ['true'] } }] });
    await ssm.send(new CreateDocumentCommand({ Name: 'AmazonCloudWatchAgent', Content: content('v1'), DocumentType: 'Command', VersionName: '1.300031.1b100' }));
    expect(await ports.ssm.defaultAgentPackageVersion()).toBe('1.300031.1b100');
    const { DocumentDescription } = await ssm.send(
      new UpdateDocumentCommand({ Name: 'AmazonCloudWatchAgent', Content: content('v2'), VersionName: '1.300032.2b361', DocumentVersion: '$LATEST' }),
    );
    expect(await ports.ssm.defaultAgentPackageVersion()).toBe('1.300031.1b100');
    await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: 'AmazonCloudWatchAgent', DocumentVersion: DocumentDescription!.DocumentVersion! }));
    expect(await ports.ssm.defaultAgentPackageVersion()).toBe('1.300032.2b361');
  });

  it('sends 120 ids as commands of 50, 50 and 20 with the parameters and rate control asked', async () => {
    const instanceIds = Array.from({ length: 120 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    const parameters = {
      agentAction: ['configure'],
      configurationLocation: ['AmazonCloudWatch-fleetwatch-dev-web:2'],
      installAgent: ['yes'],
    };

    const sent = await ports.ssm.sendCommand({
      documentName: DOCUMENT,
      instanceIds,
      parameters,
      maxConcurrency: '10%',
      maxErrors: '5%',
      comment: `fleetwatch rollout web:2 ${'x'.repeat(200)}`,
    });

    expect(sent.map((command) => command.instanceIds.length)).toEqual([50, 50, 20]);
    expect(sent.flatMap((command) => command.instanceIds)).toEqual(instanceIds);
    const { Commands = [] } = await ssm.send(new ListCommandsCommand({}));
    expect(Commands.map((command) => command.CommandId).sort()).toEqual(sent.map((command) => command.commandId).sort());
    for (const command of Commands) {
      expect(command).toMatchObject({ DocumentName: DOCUMENT, Parameters: parameters, MaxConcurrency: '10%', MaxErrors: '5%' });
      expect(command.Comment).toHaveLength(100);
    }
  });
});

describe('log groups', () => {
  const groupArn = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${name}`;
  const tags = { 'fleetwatch:managed-by': 'fleetwatch', 'fleetwatch:stage': 'dev' };

  it('creates a group with tags and class, and refuses it a second time with AlreadyExistsError', async () => {
    await ports.logs.createLogGroup({ name: '/fleetwatch/dev/web/messages', logGroupClass: 'INFREQUENT_ACCESS', tags });

    const { tags: stored } = await logs.send(
      new ListTagsForResourceCommand({ resourceArn: `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:/fleetwatch/dev/web/messages` }),
    );
    expect(stored).toEqual(tags);
    // The port reads them back by the ARN DescribeLogGroups gives (ownership is in the tags).
    const [described] = await ports.logs.describeLogGroups('/fleetwatch/dev/web/messages');
    expect(described?.arn).toBe(`arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:/fleetwatch/dev/web/messages`);
    expect(await ports.logs.listTags(described!.arn!)).toEqual(tags);
    await expect(ports.logs.createLogGroup({ name: '/fleetwatch/dev/web/messages', tags })).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('creates a group with a KMS key and describes it', async () => {
    const kmsKeyId = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    await ports.logs.createLogGroup({ name: '/fleetwatch/dev/web/secure', kmsKeyId, tags });

    expect(await ports.logs.describeLogGroups('/fleetwatch/dev/web/secure')).toEqual([{ name: '/fleetwatch/dev/web/secure', kmsKeyId, arn: groupArn('/fleetwatch/dev/web/secure') }]);
  });

  it('sets retention, and removes it for -1 (never expire)', async () => {
    const name = '/fleetwatch/dev/web/messages';
    await ports.logs.putRetentionPolicy(name, 90);
    expect(await ports.logs.describeLogGroups(name)).toEqual([{ name, retentionInDays: 90, arn: groupArn(name) }]);

    await ports.logs.putRetentionPolicy(name, -1);
    expect(await ports.logs.describeLogGroups(name)).toEqual([{ name, arn: groupArn(name) }]);
  });

  it('maps a missing group to NotFoundError', async () => {
    await expect(ports.logs.putRetentionPolicy('/fleetwatch/dev/none', 30)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('describes every group under a prefix over pages of 50, and none outside it', async () => {
    const names = Array.from({ length: 120 }, (_, i) => `/fleetwatch/dev/many/${String(i).padStart(3, '0')}`);
    for (const name of names) await ports.logs.createLogGroup({ name, tags });
    await ports.logs.createLogGroup({ name: '/fleetwatch/dev/manyother', tags });
    await ports.logs.createLogGroup({ name: '/other/fleetwatch/dev/many/x', tags });

    const groups = await ports.logs.describeLogGroups('/fleetwatch/dev/many/');

    expect(groups.map((group) => group.name)).toEqual(names);
  });
});
