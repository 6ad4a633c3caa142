'use strict';
/* global require, module -- CommonJS on Node: osls loads ${file(x.cjs)} resolvers with require() */
/* eslint-disable @typescript-eslint/no-require-imports -- same reason */
/**
 * The stage's CloudWatch dashboard: the service's own metrics (what was onboarded, configured,
 * failed, unreachable; commands; rollouts; events taken and rejected), the work still pending on
 * the queue, its DLQ and the failed-event queue, each function's errors, and the state of the
 * stage's alarms (serverless/alarms.cjs). Resolved by serverless.yml through
 * ${file(serverless/dashboard.cjs):resources}.
 *
 * Every metric the code emits is in SERVICE_METRICS below; test/template/dashboard.test.ts greps
 * lib/ and functions/ for the names emitted and fails when one is missing here.
 */
const { alarmNames } = require('./alarms.cjs');
const { FUNCTION_STATEMENTS } = require('./iam.cjs');
const { SERVICE, NAMESPACE, DIMENSIONS } = require('./metrics.cjs');

const RED = '#d62728';
const ORANGE = '#ff7f0e';

/**
 * Each metric the service emits (all Count, summed per period), the widget it is drawn on and its
 * label. `Events<Effect>` come from functions/event-handler.ts, one per lib/onboarding.ts EventEffect.
 */
const SERVICE_METRICS = [
  { name: 'InstancesOnboarded', widget: 'instances', label: 'onboarded (first configure)' },
  { name: 'InstancesConfigured', widget: 'instances', label: 'configured (new version)' },
  { name: 'InstancesFailed', widget: 'instances', label: 'failed', color: RED },
  { name: 'InstancesUnreachable', widget: 'instances', label: 'unreachable (never registered with SSM)', color: ORANGE },
  { name: 'AgentsSilent', widget: 'instances', label: 'agent silent after a restart', color: RED },
  { name: 'CommandsSent', widget: 'commands', label: 'sent' },
  { name: 'CommandsFailed', widget: 'commands', label: 'failed', color: RED },
  { name: 'InvalidSelections', widget: 'selections', label: 'invalid selections' },
  { name: 'DriftReported', widget: 'selections', label: 'drift reported' },
  { name: 'ForeignLogGroups', widget: 'selections', label: 'log groups not owned, left as they are', color: ORANGE },
  { name: 'RolloutsCompleted', widget: 'rollouts', label: 'rollouts completed' },
  { name: 'RolloutsRolledBack', widget: 'rollouts', label: 'rollouts rolled back', color: RED },
  { name: 'ConfigurationsRejected', widget: 'rollouts', label: 'configurations rejected', color: ORANGE },
  { name: 'ConfigurationsDeleted', widget: 'rollouts', label: 'configurations deleted' },
  { name: 'EventsEnqueued', widget: 'events', label: 'enqueued' },
  { name: 'EventsIgnored', widget: 'events', label: 'ignored (nothing to do)' },
  { name: 'EventsOutcome', widget: 'events', label: 'command outcomes recorded' },
  { name: 'EventsRejected', widget: 'events', label: 'rejected (malformed or unexpected)', color: RED },
  // The organization mode (lib/organization/): hub-level counts; the log line of each names the account and region.
  { name: 'EventsOutOfScope', widget: 'organization', label: 'events from outside the scope (rejected)', color: ORANGE },
  { name: 'MembersUnreachable', widget: 'organization', label: 'work on an unreachable account-region (backed off)', color: RED },
  { name: 'WorkItemsDropped', widget: 'organization', label: 'work items dropped (account-region unreachable)', color: RED },
  { name: 'WorkItemsOutOfScope', widget: 'organization', label: 'work items of an account-region that left the scope' },
  { name: 'OrgRolloutsCompleted', widget: 'organization', label: 'org-wide rollouts completed' },
  { name: 'OrgRolloutsRolledBack', widget: 'organization', label: 'org-wide rollouts rolled back', color: RED },
  { name: 'OrgRolloutCellsUnreachable', widget: 'organization', label: 'account-regions an org-wide rollout could not reach', color: ORANGE },
];

/** The headline numbers, summed over the dashboard's whole time range. */
const AT_A_GLANCE = ['InstancesOnboarded', 'InstancesFailed', 'InstancesUnreachable', 'AgentsSilent', 'CommandsSent', 'CommandsFailed', 'EventsRejected'];

const GRAPHS = [
  { widget: 'instances', title: 'Instances onboarded, configured, failed, unreachable, silent' },
  { widget: 'commands', title: 'Agent commands sent and failed' },
  { widget: 'selections', title: 'Invalid selections, drift and log groups not owned' },
  { widget: 'rollouts', title: 'Rollouts and configurations' },
  { widget: 'events', title: 'Events' },
  { widget: 'organization', title: 'Organization: scope, unreachable account-regions, org-wide rollouts' },
];

/** Every metric widget names its region; Fn::Sub puts in the stack's, so one body serves any region. */
const REGION = '${AWS::Region}';
/** An alarm widget names alarms by ARN; Fn::Sub puts in the stack's partition, region and account. */
const alarmArn = (name) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`;
const PERIOD = 300;

function serviceMetric({ name, label, color }) {
  return [NAMESPACE, name, ...DIMENSIONS, { label: label ?? name, ...(color && { color }) }];
}

function metricWidget(position, properties) {
  return { type: 'metric', ...position, properties: { region: REGION, view: 'timeSeries', stacked: false, period: PERIOD, ...properties } };
}

/** The dashboard as CloudWatch's DashboardBody, with ${AWS::Region} left for Fn::Sub. */
function dashboardBody(stage) {
  const prefix = `${SERVICE}-${stage}`;
  const byName = new Map(SERVICE_METRICS.map((metric) => [metric.name, metric]));
  const widgets = [
    {
      type: 'text',
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown:
          `## fleetwatch ${stage}\n` +
          `Keeps the CloudWatch agent on tagged instances. Per configuration (versions, rollouts, instances behind or failed): ` +
          '`npx fleetwatch status --stage ' + stage + '`; what a reconcile would do: `npx fleetwatch plan --stage ' + stage + '`.',
      },
    },
    // The stage's alarms (serverless/alarms.cjs), red when firing: the first thing to look at.
    {
      type: 'alarm',
      x: 0,
      y: 2,
      width: 24,
      height: 4,
      properties: { title: 'Alarms', alarms: alarmNames(stage).map(alarmArn), sortBy: 'stateUpdatedTimestamp' },
    },
    metricWidget(
      { x: 0, y: 6, width: 24, height: 3 },
      {
        title: 'At a glance (sums over the time range)',
        view: 'singleValue',
        setPeriodToTimeRange: true,
        stat: 'Sum',
        metrics: AT_A_GLANCE.map((name) => serviceMetric(byName.get(name))),
      },
    ),
    // Pending work: items waiting on the queue (instances still to onboard, registrations being
    // waited for), and what gave up after maxReceiveCount on the DLQ.
    metricWidget(
      { x: 0, y: 9, width: 12, height: 6 },
      {
        title: 'Pending work: work queue, dead-letter queue, failed events',
        stat: 'Maximum',
        metrics: [
          ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `${prefix}-work`, { label: 'work queue: visible' }],
          ['AWS/SQS', 'ApproximateNumberOfMessagesDelayed', 'QueueName', `${prefix}-work`, { label: 'work queue: delayed (waiting for registration)' }],
          ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `${prefix}-work-dlq`, { label: 'dead-letter queue', color: RED }],
          ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `${prefix}-event-failures`, { label: 'failed events (on-failure queue)', color: ORANGE }],
        ],
      },
    ),
    metricWidget(
      { x: 12, y: 9, width: 12, height: 6 },
      {
        title: 'Lambda errors per function',
        stat: 'Sum',
        metrics: Object.keys(FUNCTION_STATEMENTS).map((fn) => ['AWS/Lambda', 'Errors', 'FunctionName', `${prefix}-${fn}`, { label: fn }]),
      },
    ),
    ...GRAPHS.map(({ widget, title }, index) =>
      metricWidget(
        { x: (index % 2) * 12, y: 15 + Math.floor(index / 2) * 6, width: 12, height: 6 },
        { title, stat: 'Sum', metrics: SERVICE_METRICS.filter((metric) => metric.widget === widget).map(serviceMetric) },
      ),
    ),
  ];
  return { widgets };
}

/**
 * Dashboard names are unique per account, not per region (like the instance profile's name): a
 * stage deployed to two regions needs distinct stage names.
 */
function dashboardName(stage) {
  return `${SERVICE}-${stage}`;
}

function dashboardResources(stage) {
  const problems = SERVICE_METRICS.filter((metric) => !GRAPHS.some((graph) => graph.widget === metric.widget)).map((metric) => metric.name);
  if (problems.length) throw new Error(`serverless/dashboard.cjs: metrics on no widget: ${problems.join(', ')}`);
  return {
    Resources: {
      Dashboard: {
        Type: 'AWS::CloudWatch::Dashboard',
        Properties: {
          DashboardName: dashboardName(stage),
          // Fn::Sub resolves the region in every widget; the body holds no other ${...}.
          DashboardBody: { 'Fn::Sub': JSON.stringify(dashboardBody(stage)) },
        },
      },
    },
    Outputs: {
      DashboardUrl: {
        Value: { 'Fn::Sub': `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards/dashboard/${dashboardName(stage)}` },
      },
    },
  };
}

module.exports = {
  NAMESPACE,
  DIMENSIONS,
  SERVICE_METRICS,
  dashboardBody,
  dashboardName,
  dashboardResources,
  /** { Resources, Outputs } for the `resources` array of serverless.yml. */
  resources: async ({ resolveVariable }) => dashboardResources(String(await resolveVariable('sls:stage'))),
};
