/**
 * Packages the service offline (`sls package`, no AWS account) for dev and prod, then checks the
 * CloudFormation template: configuration parameters, the SSM document and its contract with
 * lib/apply/agent-document.ts, least-privilege IAM (one role per function, no "*" actions, PassRole),
 * the queue, the table, tags, the environment lib/config.ts reads, and that each function's zip
 * loads.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentParameters } from '../../lib/apply/agent-document.js';
import { loadSettings, REQUIRED_POLICY_ARNS, settingsEnvironmentName, testSettings, type Settings } from '../../lib/config.js';
import type { AgentCommand } from '../../lib/planning/plan.js';
import { parseReconcileRequest } from '../../lib/entry/reconcile-request.js';
import {
  arnText,
  asList,
  joinedValue,
  packageService,
  policyStatements,
  resourcesOfType,
  removeTemporaryDirectories,
  ROOT,
  temporaryDirectory,
  type Json,
  type Packaged,
  PACKAGE_TIMEOUT_MS,
} from './template.js';

const { MEMBER_TEMPLATE_FILE } = createRequire(import.meta.url)('../../serverless/member-template.cjs') as { MEMBER_TEMPLATE_FILE: string };
const CONFIG_DIR = path.join(ROOT, 'agent', 'configs');
const TAGS = { 'fleetwatch:managed-by': 'fleetwatch', 'fleetwatch:stage': 'dev' };
/** Actions with no resource-level permissions: the only ones allowed on Resource "*". */
const RESOURCE_STAR_ACTIONS = new Set([
  'ec2:DescribeInstances',
  'ec2:DescribeIamInstanceProfileAssociations',
  'ssm:DescribeInstanceInformation',
  'ssm:ListCommandInvocations',
  'cloudwatch:ListMetrics',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);
/** Matches `custom.worker.timeout` in serverless.yml. */
const WORKER_TIMEOUT = 300;

let dev: Packaged;
let prod: Packaged;
let t: Json;

beforeAll(async () => {
  [dev, prod] = await Promise.all([packageService('dev'), packageService('prod')]);
  t = dev.template;
}, PACKAGE_TIMEOUT_MS);
afterAll(() => removeTemporaryDirectories());

const bundled = () =>
  readdirSync(CONFIG_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -5);
      const value = JSON.stringify(JSON.parse(readFileSync(path.join(CONFIG_DIR, file), 'utf8')));
      return { name, value, bytes: Buffer.byteLength(value) };
    });

const functions = () => resourcesOfType(t, 'AWS::Lambda::Function');

/** The environment Lambda would see: intrinsics replaced by what CloudFormation would give. */
function deployedEnvironment(template: Json, fnLogicalId: string): Record<string, string> {
  const variables = template.Resources[fnLogicalId].Properties.Environment.Variables as Record<string, Json>;
  const known: Record<string, string> = {
    'AWS::AccountId': '123456789012',
    StateTable: 'fleetwatch-dev-state',
    WorkQueue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fleetwatch-dev-work',
  };
  const env: Record<string, string> = { AWS_REGION: 'eu-west-1' };
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') env[name] = value;
    else if (value.Ref && known[value.Ref]) env[name] = known[value.Ref]!;
    else throw new Error(`${name}: unexpected intrinsic ${JSON.stringify(value)}`);
  }
  return env;
}

describe('packaging', () => {
  it('prints the size and tier of every configuration parameter', () => {
    for (const { name, bytes } of bundled()) {
      expect(dev.output).toContain(`AmazonCloudWatch-fleetwatch-dev-${name} (${bytes} bytes,`);
    }
  });

  it('writes one zip per function, each loading its handler on Node without error', async () => {
    for (const [id, fn] of functions()) {
      const zip = path.join(dev.dir, `${id.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase())}.zip`);
      const unpacked = temporaryDirectory('fleetwatch-zip-');
      await promisify(execFile)('unzip', ['-q', zip, '-d', unpacked]);
      const [file, exported] = [fn.Properties.Handler.replace(/\.[^.]+$/, ''), fn.Properties.Handler.split('.').pop()];
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import('./${file}.mjs'); console.log(typeof m.${exported});`],
        { cwd: unpacked, env: { ...process.env, ...deployedEnvironment(t, id) }, timeout: 30_000 },
      );
      expect(stdout.trim(), id).toBe('function');
    }
  }, 60_000);
});

/** cfn-lint (Python) is not an npm dependency: checked when it is on the PATH, as in the dev container. */
const cfnLint = (() => {
  try {
    execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('cfn-lint', () => {
  it.skipIf(!cfnLint)('finds nothing in the dev and prod templates, hub and member (.cfnlintrc documents the one ignored check)', async () => {
    for (const packaged of [dev, prod]) {
      for (const file of ['cloudformation-template-update-stack.json', MEMBER_TEMPLATE_FILE]) {
        // cwd ROOT: cfn-lint reads .cfnlintrc from there. Exit code 0: no error, warning or informational finding.
        const result = await promisify(execFile)('cfn-lint', [path.join(packaged.dir, file)], { cwd: ROOT }).then(
          () => '',
          (error: { stdout?: string; message: string }) => error.stdout || error.message,
        );
        expect(result, file).toBe('');
      }
    }
    // A guard against a hung cfn-lint: two templates take 20 to 60 s here, more on a loaded machine.
  }, 240_000);
});

describe('configuration parameters', () => {
  it('has one parameter per agent/configs file, with the minified value and the tier its size needs', () => {
    const parameters = resourcesOfType(t, 'AWS::SSM::Parameter').map(([, r]) => r.Properties);
    const configs = bundled();
    expect(parameters).toHaveLength(configs.length);
    for (const { name, value, bytes } of configs) {
      const parameter = parameters.find((p) => p.Name === `AmazonCloudWatch-fleetwatch-dev-${name}`);
      expect(parameter, name).toBeDefined();
      expect(joinedValue(parameter.Value)).toBe(value);
      expect(parameter.Tier).toBe(bytes <= 4096 ? 'Standard' : 'Advanced');
      expect(parameter.Type).toBe('String');
    }
  });

  it('lists the same names in FLEETWATCH_CONFIG_NAMES for every function', () => {
    const names = bundled().map((c) => c.name).join(',');
    for (const [id, fn] of functions()) expect(fn.Properties.Environment.Variables.FLEETWATCH_CONFIG_NAMES, id).toBe(names);
  });
});

describe('SSM document', () => {
  const document = () => t.Resources.AgentDocument;

  it('is the Command document named fleetwatch-<stage>-agent, updated in place with new versions', () => {
    expect(document().Type).toBe('AWS::SSM::Document');
    expect(document().Properties).toMatchObject({ Name: 'fleetwatch-dev-agent', DocumentType: 'Command', UpdateMethod: 'NewVersion' });
    expect(document().Properties.Content.schemaVersion).toBe('2.2');
  });

  it('accepts every parameter set lib/apply/agent-document.ts sends', () => {
    const declared = document().Properties.Content.parameters as Record<string, Json>;
    const required = Object.entries(declared).filter(([, p]) => p.default === undefined).map(([name]) => name);
    for (const kind of ['install-and-configure', 'configure', 'restart', 'stop'] as const) {
      for (const version of [undefined, 42]) {
        const command = {
          kind,
          instanceId: 'i-0123456789abcdef0',
          configName: 'web',
          parameterName: 'AmazonCloudWatch-fleetwatch-dev-web',
          version,
          reason: 'test',
          detail: 'test',
        } as AgentCommand;
        const sent = documentParameters(command);
        for (const name of required) expect(sent, `${kind}: required ${name}`).toHaveProperty(name);
        for (const [name, values] of Object.entries(sent)) {
          const parameter = declared[name];
          expect(parameter, `${kind}: ${name} is not a document parameter`).toBeDefined();
          for (const value of values) {
            if (parameter.allowedValues) expect(parameter.allowedValues, `${kind}: ${name}`).toContain(value);
            if (parameter.allowedPattern) expect(value, `${kind}: ${name}`).toMatch(new RegExp(parameter.allowedPattern));
          }
        }
      }
    }
  });
});

describe('IAM', () => {
  it('gives each function its own role, assumable by Lambda only, and no shared default role', () => {
    const roles = functions().map(([, fn]) => fn.Properties.Role);
    for (const role of roles) expect(Object.keys(role)).toEqual(['Fn::GetAtt']);
    const roleIds = roles.map((role) => role['Fn::GetAtt'][0]);
    expect(new Set(roleIds).size).toBe(roleIds.length);
    for (const id of roleIds) {
      expect(t.Resources[id].Type).toBe('AWS::IAM::Role');
      expect(t.Resources[id].Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
    }
    expect(t.Resources.IamRoleLambdaExecution).toBeUndefined();
    expect(t.Resources.ReconcileLambdaFunction.Properties.Role).toEqual({ 'Fn::GetAtt': ['ReconcileRole', 'Arn'] });
  });

  it('names no "*" action, no service wildcard and uses no NotAction', () => {
    const statements = policyStatements(t);
    expect(statements.length).toBeGreaterThan(10);
    for (const { where, statement } of statements) {
      expect(statement.NotAction, where).toBeUndefined();
      for (const action of asList<string>(statement.Action)) expect(action, where).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
    }
  });

  it('allows Resource "*" only for actions that have no resource-level permissions', () => {
    for (const { where, statement } of policyStatements(t)) {
      if (statement.Effect !== 'Allow' || !asList(statement.Resource).includes('*')) continue;
      for (const action of asList<string>(statement.Action)) expect(RESOURCE_STAR_ACTIONS, `${where}: ${action}`).toContain(action);
    }
  });

  it('allows iam:PassRole only on the managed instance role, only to EC2', () => {
    const passRole = policyStatements(t).filter(({ statement }) => asList<string>(statement.Action).includes('iam:PassRole'));
    expect(passRole.length).toBeGreaterThan(0);
    for (const { where, statement } of passRole) {
      expect(statement.Effect, where).toBe('Allow');
      expect(asList<string>(statement.Action), where).toEqual(['iam:PassRole']);
      expect(asList(statement.Resource), where).toEqual([{ 'Fn::GetAtt': ['AgentRole', 'Arn'] }]);
      expect(statement.Condition, where).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    }
    expect(t.Resources.AgentInstanceProfile.Properties.Roles).toEqual([{ Ref: 'AgentRole' }]);
  });

  it('lets a function write only its own log group', () => {
    for (const [id, fn] of functions()) {
      const role = fn.Properties.Role['Fn::GetAtt'][0];
      const logWrites = policyStatements(t).filter(
        ({ where, statement }) => where.startsWith(`${role} `) && asList<string>(statement.Action).includes('logs:PutLogEvents'),
      );
      expect(logWrites.flatMap(({ statement }) => asList(statement.Resource)).map(arnText), id).toEqual([
        `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${fn.Properties.FunctionName}:*`,
      ]);
    }
  });

  it('lets reconcile attach no policy in report mode, read only its stage parameters (no function writes one), and send only its stage document to selected instances', () => {
    const reconcile = policyStatements(t).filter(({ where }) => where.startsWith('ReconcileRole '));
    const withAction = (action: string) => reconcile.filter(({ statement }) => asList<string>(statement.Action).includes(action)).map((s) => s.statement);

    // profileMode report (the default): no role may attach a policy (test/iam checks attach mode's grant).
    expect(policyStatements(t).filter(({ statement }) => asList<string>(statement.Action).includes('iam:AttachRolePolicy'))).toEqual([]);

    // Each parameter as the name and as name:* (a pinned read "name:version").
    const parameterArns = bundled().flatMap(({ name }) => {
      const arn = `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/AmazonCloudWatch-fleetwatch-dev-${name}`;
      return [arn, `${arn}:*`];
    });
    for (const action of ['ssm:GetParameter', 'ssm:GetParameters']) {
      const statements = withAction(action);
      expect(statements.length, action).toBeGreaterThan(0);
      for (const statement of statements) expect(asList(statement.Resource).map(arnText).sort(), action).toEqual([...parameterArns].sort());
    }
    // Parameters are written by the deploy (CloudFormation), never by the functions.
    expect(policyStatements(t).filter(({ statement }) => asList<string>(statement.Action).includes('ssm:PutParameter'))).toEqual([]);

    const [document, instances, ...moreSend] = withAction('ssm:SendCommand');
    expect(moreSend).toEqual([]);
    expect(asList(document.Resource).map(arnText)).toEqual(['arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/fleetwatch-dev-agent']);
    expect(document.Condition).toBeUndefined();
    expect(asList(instances.Resource).map(arnText)).toEqual(['arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*']);
    expect(instances.Condition).toEqual({ Null: { 'ssm:resourceTag/fleetwatch:dev:config': 'false' } });

    for (const action of ['ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation']) {
      const [statement] = withAction(action);
      expect(statement.Condition, action).toEqual({ Null: { 'aws:ResourceTag/fleetwatch:dev:config': 'false' } });
    }
  });

  it('gives the managed instance role the two AWS policies and lets it read only its stage configuration parameters', () => {
    const role = t.Resources.AgentRole.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    expect(role.ManagedPolicyArns.map(arnText)).toEqual(REQUIRED_POLICY_ARNS.map((a) => a.replace('arn:aws:', 'arn:${AWS::Partition}:')));
    // CloudWatchAgentServerPolicy allows ssm:GetParameter on parameter/AmazonCloudWatch-* (every
    // stage's configurations) and AmazonSSMManagedInstanceCore ssm:GetParameter(s) on "*": the
    // inline Deny is what limits the role to this stage's configuration parameters.
    const statements = policyStatements(t).filter(({ where }) => where.startsWith('AgentRole '));
    expect(statements.map((s) => s.statement.Effect)).toEqual(['Deny']);
    const deny = statements[0]!.statement;
    expect(deny.Resource).toBeUndefined();
    expect(asList<string>(deny.Action).sort()).toEqual(['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:GetParameters', 'ssm:GetParametersByPath']);
    // Both forms of each parameter: the agent reads "name:version".
    expect(asList(deny.NotResource).map(arnText).sort()).toEqual(
      bundled()
        .flatMap(({ name }) => {
          const arn = `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/AmazonCloudWatch-fleetwatch-dev-${name}`;
          return [arn, `${arn}:*`];
        })
        .sort(),
    );
    expect(t.Resources.AgentInstanceProfile.Properties.InstanceProfileName).toBe('fleetwatch-dev-agent');
  });
});

describe('functions', () => {
  it('runs reconcile on nodejs22.x arm64 with X-Ray, 900 s and 1024 MB', () => {
    expect(t.Resources.ReconcileLambdaFunction.Properties).toMatchObject({
      Handler: 'functions/reconcile.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 1024,
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('gives every function the environment lib/config.ts loads, with every setting present', () => {
    for (const [id] of functions()) {
      const env = deployedEnvironment(t, id);
      const keys = [...Object.keys(testSettings()), 'logGroupKmsKeyArn'] as (keyof Settings)[];
      for (const key of keys) {
        if (key === 'region') continue; // AWS_REGION: set by Lambda
        expect(env, `${id}: ${key}`).toHaveProperty(settingsEnvironmentName(key));
      }
      expect(loadSettings(env)).toMatchObject({
        stage: 'dev',
        accountId: '123456789012',
        managedProfileName: t.Resources.AgentInstanceProfile.Properties.InstanceProfileName,
        documentName: t.Resources.AgentDocument.Properties.Name,
        parameterPrefix: 'AmazonCloudWatch-fleetwatch-dev-',
        configNames: bundled().map((c) => c.name),
        defaultRetentionDays: 30,
      });
      expect(env).toMatchObject({
        FLEETWATCH_STATE_TABLE: 'fleetwatch-dev-state',
        POWERTOOLS_SERVICE_NAME: 'fleetwatch',
        POWERTOOLS_METRICS_NAMESPACE: 'fleetwatch',
      });
      expect(t.Resources[id].Properties.Environment.Variables.FLEETWATCH_WORK_QUEUE_URL).toEqual({ Ref: 'WorkQueue' });
    }
  });

  it('schedules the drift sweep with a request the reconcile function accepts', () => {
    const schedules = resourcesOfType(t, 'AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules).toHaveLength(1);
    const [, rule] = schedules[0]!;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(6 hours)', State: 'ENABLED' });
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toEqual({ 'Fn::GetAtt': ['ReconcileLambdaFunction', 'Arn'] });
    expect(parseReconcileRequest(JSON.parse(target.Input))).toMatchObject({ dryRun: false, action: 'ensure', scope: {} });
  });
});

describe('queue and table', () => {
  it('has a work queue with a dead-letter queue, SSE, and a visibility timeout of at least 6x the worker timeout', () => {
    const queue = t.Resources.WorkQueue.Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['WorkDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * WORKER_TIMEOUT);
    // And 6x every function that consumes it, once there is one.
    for (const [, mapping] of resourcesOfType(t, 'AWS::Lambda::EventSourceMapping')) {
      if (JSON.stringify(mapping.Properties.EventSourceArn) !== JSON.stringify({ 'Fn::GetAtt': ['WorkQueue', 'Arn'] })) continue;
      const consumer = t.Resources[mapping.Properties.FunctionName['Fn::GetAtt'][0]];
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer.Properties.Timeout);
    }
    expect(t.Resources.WorkDeadLetterQueue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  });

  it('has the state table keyed by instanceId, on demand, with point-in-time recovery and SSE', () => {
    expect(t.Resources.StateTable.Properties).toMatchObject({
      TableName: 'fleetwatch-dev-state',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'instanceId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'instanceId', AttributeType: 'S' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });
});

describe('tags', () => {
  it('tags everything fleetwatch creates that CloudFormation can tag', () => {
    const taggable = Object.entries(t.Resources as Record<string, Json>).filter(
      ([id, r]) => !id.startsWith('ServerlessDeploymentBucket') && r.Type !== 'AWS::IAM::InstanceProfile' && r.Type !== 'AWS::Lambda::Permission' && r.Type !== 'AWS::Lambda::Version' && r.Type !== 'AWS::Lambda::EventSourceMapping' && r.Type !== 'AWS::CloudWatch::Dashboard' && r.Type !== 'AWS::Lambda::EventInvokeConfig',
    );
    for (const [id, resource] of taggable) {
      const tags = resource.Properties.Tags;
      if (resource.Type === 'AWS::Events::Rule' || resource.Type === 'AWS::Logs::LogGroup') continue; // stack tags propagate
      expect(tags, id).toBeDefined();
      const asMap = Array.isArray(tags) ? Object.fromEntries(tags.map((tag: Json) => [tag.Key, tag.Value])) : tags;
      expect(asMap, id).toMatchObject(TAGS);
    }
  });
});

describe('prod', () => {
  it('keeps its data, sweeps more often and keeps logs longer', () => {
    const p = prod.template;
    expect(p.Resources.StateTable).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(p.Resources.StateTable.Properties.DeletionProtectionEnabled).toBe(true);
    expect(p.Resources.ReconcileEventsRuleSchedule1.Properties.ScheduleExpression).toBe('rate(3 hours)');
    expect(p.Resources.ReconcileLambdaFunction.Properties.Environment.Variables.FLEETWATCH_DEFAULT_RETENTION_DAYS).toBe('90');
    expect(p.Resources.ReconcileLogGroup.Properties.RetentionInDays).toBe(90);
    for (const [, parameter] of resourcesOfType(p, 'AWS::SSM::Parameter')) expect(parameter.Properties.Name).toMatch(/^AmazonCloudWatch-fleetwatch-prod-/);
    expect(t.Resources.StateTable.DeletionPolicy).toBe('Delete');
  });
});
