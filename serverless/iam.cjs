'use strict';
/* global require, module -- CommonJS on Node: osls loads ${file(x.cjs)} resolvers with require() */
/* eslint-disable @typescript-eslint/no-require-imports -- same reason */
/**
 * IAM for fleetwatch: one role per function, built from reusable least-privilege statement
 * blocks, and the inline policy of the managed instance role. Resolved by serverless.yml through
 * ${file(serverless/iam.cjs):<key>}.
 *
 * Rules (README "Security"; test/template/template.test.ts checks them on the packaged template):
 * - Every Action is explicit: no "*" and no "service:*".
 * - Resource "*" only where the action has no resource-level permissions (EC2 Describe*,
 *   ssm:DescribeInstanceInformation, ssm:ListCommandInvocations, X-Ray writes).
 * - iam:PassRole only on the managed instance role, only to ec2.amazonaws.com.
 *
 * To give a new function a role: add an entry to FUNCTION_STATEMENTS below (a list of blocks
 * from `statements`), then `role: <Name>Role` on the function in serverless.yml (roleLogicalId).
 */
const { stageConfigs, parameterArns } = require('./agent-configs.cjs');

const SERVICE = 'fleetwatch';
/** Same as REQUIRED_POLICY_ARNS in lib/config.ts, partition-aware. */
const AGENT_MANAGED_POLICIES = ['CloudWatchAgentServerPolicy', 'AmazonSSMManagedInstanceCore'];

/** Logical ids of the resources in serverless.yml that the statements point at. */
const REF = {
  agentRole: 'AgentRole',
  stateTable: 'StateTable',
  workQueue: 'WorkQueue',
  workDeadLetterQueue: 'WorkDeadLetterQueue',
  eventFailureQueue: 'EventFailureQueue',
};

const sub = (template) => ({ 'Fn::Sub': template });
const arn = (service, resource) => sub(`arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`);
const getAtt = (logicalId, attribute) => ({ 'Fn::GetAtt': [logicalId, attribute] });
const managedPolicyArn = (name) => sub(`arn:\${AWS::Partition}:iam::aws:policy/${name}`);

/** A Sid from a block name: "stateTable" -> "StateTable". */
const sid = (name) => name[0].toUpperCase() + name.slice(1);

/**
 * Each configuration parameter's ARN as the name and as "name:*": commands have the agent read
 * "name:version", and no documentation we found says whether IAM evaluates that ARN with its
 * version selector, so both are allowed (and excepted from the instance role's Deny).
 */
function pinnableParameterArns(stage, configs) {
  return parameterArns(stage, configs).flatMap((resource) => [resource, { 'Fn::Sub': `${resource['Fn::Sub']}:*` }]);
}

/** Same as lib/config.ts LOG_GROUP_OWNER_TAG. */
const LOG_GROUP_OWNER_TAG = 'fleetwatch:owner';

/** Same as lib/model/service-events.ts serviceEventSource. */
const eventSource = (stage) => `${SERVICE}.${stage}`;

/**
 * Reusable statement blocks. Each takes the context ({ stage, selectorTagKey, configs, fn }) and
 * returns one or more statements.
 */
const statements = {
  /** The function's own log group (created by osls as <Fn>LogGroup with the stage's retention). */
  ownLogs: ({ stage, fn }) => ({
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [arn('logs', `log-group:/aws/lambda/${SERVICE}-${stage}-${fn}:*`)],
  }),

  /** tracing.lambda: true. X-Ray writes have no resource-level permissions. */
  xray: () => ({
    Effect: 'Allow',
    Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    Resource: '*',
  }),

  /** EC2 Describe* calls support no resource-level permissions. */
  ec2Describe: () => ({
    Effect: 'Allow',
    Action: ['ec2:DescribeInstances', 'ec2:DescribeIamInstanceProfileAssociations'],
    Resource: '*',
  }),

  /**
   * Associate or replace an instance profile, only on instances that carry the stage's selector
   * tag (the instance resource supports aws:ResourceTag; a deselected instance is left alone).
   */
  profileAssociation: ({ selectorTagKey }) => ({
    Effect: 'Allow',
    Action: ['ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation'],
    Resource: [arn('ec2', 'instance/*')],
    Condition: { Null: { [`aws:ResourceTag/${selectorTagKey}`]: 'false' } },
  }),

  /** Associate/Replace pass the managed role to EC2: only that role, only to EC2. */
  passAgentRole: () => ({
    Effect: 'Allow',
    Action: ['iam:PassRole'],
    Resource: [getAtt(REF.agentRole, 'Arn')],
    Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  }),

  /** Read any instance profile and its role's policies: a foreign profile is checked for the two policies. */
  inspectInstanceProfiles: () => ({
    Effect: 'Allow',
    Action: ['iam:GetInstanceProfile', 'iam:ListAttachedRolePolicies'],
    Resource: [sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:instance-profile/*'), sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*')],
  }),

  /** profileMode "attach": attach the two AWS managed policies, and nothing else, to a foreign role. */
  attachAgentPolicies: () => ({
    Effect: 'Allow',
    Action: ['iam:AttachRolePolicy'],
    Resource: [sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*')],
    Condition: { ArnEquals: { 'iam:PolicyARN': AGENT_MANAGED_POLICIES.map(managedPolicyArn) } },
  }),

  /** DescribeInstanceInformation has no resource-level permissions. */
  ssmInstanceInformation: () => ({
    Effect: 'Allow',
    Action: ['ssm:DescribeInstanceInformation'],
    Resource: '*',
  }),

  /**
   * The stage's configuration parameters, by exact ARN, each in both forms: a pinned read
   * ("name:version") may be evaluated on the ARN with its version selector.
   */
  readConfigParameters: ({ stage, configs }) => ({
    Effect: 'Allow',
    Action: ['ssm:GetParameter', 'ssm:GetParameters'],
    Resource: pinnableParameterArns(stage, configs),
  }),

  /**
   * SendCommand is authorised on the document and on each instance: only the stage's document, and
   * only instances of this account and region that carry the stage's selector tag (SSM reads an
   * instance's tags as ssm:resourceTag/<key>).
   */
  sendAgentCommand: ({ stage, selectorTagKey }) => [
    { Effect: 'Allow', Action: ['ssm:SendCommand'], Resource: [arn('ssm', `document/${SERVICE}-${stage}-agent`)] },
    {
      Effect: 'Allow',
      Action: ['ssm:SendCommand'],
      Resource: [arn('ec2', 'instance/*')],
      Condition: { Null: { [`ssm:resourceTag/${selectorTagKey}`]: 'false' } },
    },
  ],

  /**
   * With agentVersion "latest", a sweep reads which version Distributor installs by default
   * (DescribeDocument of the AWS-owned package document; its ARN names no account). Same name as
   * AGENT_PACKAGE_NAME in lib/model/agent-version.ts.
   */
  agentPackageVersion: () => ({
    Effect: 'Allow',
    Action: ['ssm:DescribeDocument'],
    Resource: [sub('arn:${AWS::Partition}:ssm:${AWS::Region}::document/AmazonCloudWatchAgent')],
  }),

  /** ListCommandInvocations has no resource-level permissions. */
  commandInvocations: () => ({
    Effect: 'Allow',
    Action: ['ssm:ListCommandInvocations'],
    Resource: '*',
  }),

  /**
   * Log groups named in the configurations: any name, so any log group of this account and region,
   * but only created with the stage's ownership tag (CreateLogGroup with tags also needs
   * logs:TagResource), and retention changed only on groups carrying it, unless the stage adopts
   * groups it did not create (adoptLogGroups). Class and KMS key are set only at creation.
   */
  manageLogGroups: ({ stage, adoptLogGroups }) => [
    // DescribeLogGroups has no resource-level permissions (the service authorization reference lists none).
    { Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: '*' },
    { Effect: 'Allow', Action: ['logs:ListTagsForResource'], Resource: [arn('logs', 'log-group:*')] },
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:TagResource'],
      Resource: [arn('logs', 'log-group:*')],
      Condition: { StringEquals: { [`aws:RequestTag/${LOG_GROUP_OWNER_TAG}`]: stage } },
    },
    {
      Effect: 'Allow',
      Action: ['logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy'],
      Resource: [arn('logs', 'log-group:*')],
      ...(!adoptLogGroups && { Condition: { StringEquals: { [`aws:ResourceTag/${LOG_GROUP_OWNER_TAG}`]: stage } } }),
    },
  ],

  /**
   * Is the agent really sending? ListMetrics has no resource-level permissions; DescribeLogStreams
   * reads the streams of the log groups the configurations name (any name, as manageLogGroups).
   */
  agentTelemetry: () => [
    { Effect: 'Allow', Action: ['cloudwatch:ListMetrics'], Resource: '*' },
    { Effect: 'Allow', Action: ['logs:DescribeLogStreams'], Resource: [arn('logs', 'log-group:*')] },
  ],

  stateTableRead: () => ({
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Scan'],
    Resource: [getAtt(REF.stateTable, 'Arn')],
  }),

  stateTableWrite: () => ({
    Effect: 'Allow',
    Action: ['dynamodb:PutItem'],
    Resource: [getAtt(REF.stateTable, 'Arn')],
  }),

  /** SendMessage also authorises SendMessageBatch. */
  workQueueSend: () => ({
    Effect: 'Allow',
    Action: ['sqs:SendMessage'],
    Resource: [getAtt(REF.workQueue, 'Arn')],
  }),

  /**
   * The worker's SQS event source. With a role of our own osls adds no SQS permissions for an
   * `sqs` event: the event source mapping polls with these, as the function's role.
   */
  workQueueConsume: () => ({
    Effect: 'Allow',
    Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
    Resource: [getAtt(REF.workQueue, 'Arn')],
  }),

  /**
   * The on-failure destination of an EventBridge-invoked function (serverless.yml
   * custom.onFailure): Lambda sends the failed event there with the function's own role, and osls
   * adds that permission only to a role it generates, not to ours.
   */
  eventFailureQueueSend: () => ({
    Effect: 'Allow',
    Action: ['sqs:SendMessage'],
    Resource: [getAtt(REF.eventFailureQueue, 'Arn')],
  }),

  /**
   * The service's own events on the default bus, with the stage's source only
   * (lib/model/service-events.ts serviceEventSource). events:source holds the Source of every entry
   * of a call, so every one must be the stage's, and there must be one.
   */
  /**
   * Organization mode, member side only: the hub writes each configuration version into the
   * member's Parameter Store (the agent reads its configuration in its own account and region).
   * The exact parameter ARNs, never a prefix; no tags are written, so no ssm:AddTagsToResource.
   */
  writeConfigParameters: ({ stage, configs }) => ({
    Effect: 'Allow',
    Action: ['ssm:PutParameter'],
    Resource: parameterArns(stage, configs),
  }),

  /**
   * Organization mode: the member template's execution role, in the organization only
   * (aws:ResourceOrgID is the organization of the account the role is in). An explicit account
   * list names each account's role; a scope of OUs covers any account, the organization deciding.
   */
  assumeMemberRole: ({ organization }) => ({
    Effect: 'Allow',
    Action: ['sts:AssumeRole'],
    Resource: (organization.memberAccounts.length > 0 ? organization.memberAccounts : ['*']).map((account) =>
      sub(`arn:\${AWS::Partition}:iam::${account}:role/${organization.memberRoleName}`),
    ),
    Condition: { StringEquals: { 'aws:ResourceOrgID': organization.organizationId } },
  }),

  /**
   * Organization mode with a scope of OUs: the accounts under them (lib/aws/organizations.ts).
   * Both calls are authorised on the parent, an OU or a root of this organization; the
   * management account's id is not known here, hence "*" in its place.
   */
  readOrganization: ({ organization }) => ({
    Effect: 'Allow',
    Action: ['organizations:ListAccountsForParent', 'organizations:ListChildren'],
    Resource: [
      sub(`arn:\${AWS::Partition}:organizations::*:ou/${organization.organizationId}/ou-*`),
      sub(`arn:\${AWS::Partition}:organizations::*:root/${organization.organizationId}/r-*`),
    ],
  }),

  serviceEvents: ({ stage }) => ({
    Effect: 'Allow',
    Action: ['events:PutEvents'],
    Resource: [arn('events', 'event-bus/default')],
    Condition: { 'ForAllValues:StringEquals': { 'events:source': [eventSource(stage)] }, Null: { 'events:source': 'false' } },
  }),
};

/** Blocks every function role gets. */
const BASE = ['ownLogs', 'xray'];

/**
 * The calls made on the instances' side: in the single-account mode by the functions themselves,
 * in the organization mode in each member through its execution role (the member template's
 * role holds these, serverless/member-template.cjs).
 */
const MEMBER_CALLS = [
  'ec2Describe',
  'profileAssociation',
  'passAgentRole',
  'inspectInstanceProfiles',
  // Only a stage in profileMode "attach" attaches policies (see functionRole).
  'attachAgentPolicies',
  'ssmInstanceInformation',
  'readConfigParameters',
  'sendAgentCommand',
  'commandInvocations',
  'manageLogGroups',
  'agentTelemetry',
];

/** The blocks each function's role is made of. One entry per function; the key is the function name in serverless.yml. */
const FULL_RECONCILE = [
  ...MEMBER_CALLS,
  'stateTableRead',
  'stateTableWrite',
  'workQueueSend',
  'serviceEvents',
];

const FUNCTION_STATEMENTS = {
  // Observe, plan and execute for the whole fleet or a scope; only a sweep looks for a new agent version.
  reconcile: [...BASE, ...FULL_RECONCILE, 'agentPackageVersion', 'eventFailureQueueSend'],
  // The same work for one instance or one rollout wave, fed by the work queue.
  worker: [...BASE, ...FULL_RECONCILE, 'workQueueConsume'],
  // Events only enqueue.
  instanceState: [...BASE, 'workQueueSend', 'eventFailureQueueSend'],
  tagChange: [...BASE, 'workQueueSend', 'eventFailureQueueSend'],
  // Validates the new version and records the rollout; a deleted parameter is reported with the
  // instances that select it (DescribeInstances only: lib/observation/observe.ts instancesSelecting).
  parameterChange: [...BASE, 'readConfigParameters', 'ec2Describe', 'stateTableRead', 'stateTableWrite', 'workQueueSend', 'serviceEvents', 'eventFailureQueueSend'],
  // Records the outcome (reading the failure text from SSM), counts it on the rollout.
  commandOutcome: [...BASE, 'commandInvocations', 'stateTableRead', 'stateTableWrite', 'workQueueSend', 'serviceEvents', 'eventFailureQueueSend'],
};

/**
 * Organization mode: the functions that work in members (their roles may assume the execution
 * role, and only theirs: the member's trust names exactly these). Events that only enqueue never
 * reach into a member.
 */
const MEMBER_CALLERS = ['reconcile', 'worker', 'parameterChange', 'commandOutcome'];

/**
 * The execution role in each member: MEMBER_CALLS, the agent package's version (a sweep reads it
 * in each member region through the member's SSM) and the configuration writes.
 */
const MEMBER_ROLE_BLOCKS = [...MEMBER_CALLS, 'agentPackageVersion', 'writeConfigParameters'];

/** "reconcile" -> "ReconcileRole", "ec2-events" -> "Ec2EventsRole". */
function roleLogicalId(fn) {
  return `${fn.split(/[^A-Za-z0-9]+/).filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join('')}Role`;
}

function tags(stage) {
  return [
    { Key: 'fleetwatch:managed-by', Value: SERVICE },
    { Key: 'fleetwatch:stage', Value: stage },
  ];
}

/**
 * IAM names are global and a stage may be deployed to several regions, hence the region in the
 * name. A RoleName (not a generated one) is what lets `sls deploy function` find the role.
 */
function roleName({ stage, region }, fn) {
  const name = `${SERVICE}-${stage}-${region}-${fn}`;
  if (name.length > 64) throw new Error(`serverless/iam.cjs: role name ${name} is longer than IAM's 64 characters; shorten the stage or function name`);
  return name;
}

/**
 * Blocks a stage's settings leave out or add: policies are attached only in profileMode "attach";
 * in the organization mode the functions that work in members may assume their execution role,
 * and read the organization's OUs when the scope is OUs.
 */
function blocksFor(blocks, { profileMode, organization }, fn) {
  const kept = blocks.filter((b) => b !== 'attachAgentPolicies' || profileMode === 'attach');
  if (!organization || !MEMBER_CALLERS.includes(fn)) return kept;
  return [...kept, 'assumeMemberRole', ...(organization.organizationalUnits.length > 0 ? ['readOrganization'] : [])];
}

/** The statements of these blocks, each with a Sid (a block of several numbers them: IAM wants each Sid unique in a policy). */
function policyStatementsOf(blocks, ctx, owner) {
  const unknown = blocks.filter((b) => !statements[b]);
  if (unknown.length > 0) throw new Error(`serverless/iam.cjs: ${owner} names unknown statement blocks: ${unknown.join(', ')}`);
  return blocks.flatMap((b) => [statements[b](ctx)].flat().map((s, i, all) => ({ Sid: all.length > 1 ? `${sid(b)}${i + 1}` : sid(b), ...s })));
}

function functionRole(fn, allBlocks, context) {
  const ctx = { ...context, fn };
  const blocks = blocksFor(allBlocks, context, fn);
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      RoleName: roleName(context, fn),
      Description: `fleetwatch ${context.stage}: execution role of the ${fn} function`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [
        {
          PolicyName: `${SERVICE}-${context.stage}-${fn}`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: policyStatementsOf(blocks, ctx, `function ${fn}`),
          },
        },
      ],
      Tags: tags(context.stage),
    },
  };
}

/**
 * The managed instance role's inline policy. Its managed policies grant more parameter reads than
 * it needs: CloudWatchAgentServerPolicy allows ssm:GetParameter on parameter/AmazonCloudWatch-*
 * (every stage's configurations) and AmazonSSMManagedInstanceCore allows ssm:GetParameter(s) on
 * "*". An explicit Deny on everything but this stage's configuration parameters keeps an instance
 * of one stage from reading another stage's (or any other) parameters through this role.
 */
function buildAgentRoleStatements({ stage, configs }) {
  return [
    {
      Sid: 'OnlyThisStagesConfigurations',
      Effect: 'Deny',
      Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'],
      NotResource: pinnableParameterArns(stage, configs),
    },
  ];
}

async function contextOf({ resolveVariable }) {
  const stage = String(await resolveVariable('sls:stage'));
  const region = String(await resolveVariable('self:provider.region'));
  const selectorTagKey = String(await resolveVariable('param:selectorTagKey'));
  const profileMode = String(await resolveVariable('param:profileMode'));
  const adoptLogGroups = String(await resolveVariable('param:adoptLogGroups')) === 'true';
  return { stage, region, selectorTagKey, profileMode, adoptLogGroups, organization: await organizationOf(resolveVariable), configs: await stageConfigs({ resolveVariable }) };
}

/** A comma-separated param as a list ("" is none). */
const listOf = (value) => String(value ?? '').split(',').map((item) => item.trim()).filter(Boolean);

/**
 * The organization-mode params the grants depend on, or undefined in the single-account mode.
 * Their values are validated with the rest of the stage's settings before packaging
 * (serverless/check-settings.cjs runs lib/config.ts on them).
 */
async function organizationOf(resolveVariable) {
  const organizationId = String((await resolveVariable('param:organizationId')) ?? '');
  if (!organizationId) return undefined;
  return {
    organizationId,
    organizationalUnits: listOf(await resolveVariable('param:organizationalUnits')),
    memberAccounts: listOf(await resolveVariable('param:memberAccounts')),
    memberRoleName: String(await resolveVariable('param:memberRoleName')),
  };
}

function roleResources(context) {
  const Resources = {};
  for (const [fn, blocks] of Object.entries(FUNCTION_STATEMENTS)) {
    Resources[roleLogicalId(fn)] = functionRole(fn, blocks, context);
  }
  return { Resources };
}

module.exports = {
  AGENT_MANAGED_POLICIES,
  FUNCTION_STATEMENTS,
  MEMBER_CALLS,
  MEMBER_CALLERS,
  MEMBER_ROLE_BLOCKS,
  policyStatementsOf,
  pinnableParameterArns,
  statements,
  functionRole,
  roleLogicalId,
  roleName,
  roleResources,
  buildAgentRoleStatements,
  // Resolvers for serverless.yml: ${file(serverless/iam.cjs):resources} and :agentRoleStatements.
  /** { Resources }: one role per function of FUNCTION_STATEMENTS, for the `resources` array. */
  resources: async (context) => roleResources(await contextOf(context)),
  /** The managed instance role's inline policy statements. */
  agentRoleStatements: async (context) => buildAgentRoleStatements(await contextOf(context)),
};
