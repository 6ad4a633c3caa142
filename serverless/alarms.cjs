'use strict';
/* global require, module -- CommonJS on Node: osls loads ${file(x.cjs)} resolvers with require() */
/* eslint-disable @typescript-eslint/no-require-imports -- same reason */
/**
 * The stage's CloudWatch alarms: what an operator must hear about without looking at the
 * dashboard. Resolved by serverless.yml through ${file(serverless/alarms.cjs):resources}; the
 * dashboard (serverless/dashboard.cjs) shows their state.
 *
 * - Work that gave up: a message on the work queue's dead-letter queue, or an event on the
 *   on-failure queue of the EventBridge-invoked functions (README "Re-driving failed work").
 * - Each function's errors and throttles.
 * - A stopped rollout: rolled back, or a configuration version rejected before it went out.
 * - Instances failed, agents silent, instances unreachable: more in an hour than the stage's
 *   `instanceAlarmThreshold`.
 *
 * With the stage's `alarmTopicArn` set, every alarm notifies that SNS topic when it fires and when
 * it clears; empty, the alarms only show on the dashboard and in the console.
 */
const { FUNCTION_STATEMENTS } = require('./iam.cjs');
const { NAMESPACE, DIMENSIONS, SERVICE } = require('./metrics.cjs');
const { StageSettingError } = require('./stage.cjs');

const FIVE_MINUTES = 300;
const HOUR = 3600;

/** SNS topic ARN, any partition: arn:aws:sns:eu-west-1:123456789012:ops (no wildcard, no subscription suffix). */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** '' or a topic ARN; anything else fails packaging, naming the setting. */
function parseTopicArn(value) {
  const text = value === undefined || value === null ? '' : String(value).trim();
  if (text === '') return undefined;
  if (!TOPIC_ARN.test(text)) throw new StageSettingError(`param alarmTopicArn must be empty or an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>); got ${JSON.stringify(value)}`);
  return text;
}

/** How many failed (or silent, or unreachable) instances in an hour are still no alarm. */
function parseInstanceThreshold(value) {
  const number = Number(value);
  if (String(value).trim() === '' || !Number.isInteger(number) || number < 0) {
    throw new StageSettingError(`param instanceAlarmThreshold must be a whole number of instances, 0 or more; got ${JSON.stringify(value)}`);
  }
  return number;
}

/** "work-dlq" -> "AlarmWorkDlq". */
function alarmLogicalId(suffix) {
  return `Alarm${suffix.split('-').map((part) => part[0].toUpperCase() + part.slice(1)).join('')}`;
}

const serviceMetric = (name) => ({ Namespace: NAMESPACE, MetricName: name, Dimensions: [{ Name: DIMENSIONS[0], Value: DIMENSIONS[1] }] });

/**
 * Each alarm: name suffix, what it says, the metric, its statistic over the period, and the count
 * above which it fires. Every one fires on "greater than threshold" and treats missing data as
 * fine: the service's metrics and the queues' are only published when something happens.
 */
function alarmDefinitions(stage, { instanceThreshold }) {
  const prefix = `${SERVICE}-${stage}`;
  const queueDepth = (queue) => ({
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: `${prefix}-${queue}` }],
  });
  const lambda = (fn, metric) => ({ Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: `${prefix}-${fn}` }] });
  const functions = Object.keys(FUNCTION_STATEMENTS);
  return [
    {
      suffix: 'work-dlq',
      description: `Work items gave up after maxReceiveCount deliveries and wait on ${prefix}-work-dlq (README: Re-driving failed work).`,
      metric: queueDepth('work-dlq'),
      statistic: 'Maximum',
      period: FIVE_MINUTES,
      threshold: 0,
    },
    {
      suffix: 'event-failures',
      description: `Events a function failed on after Lambda's retries wait on ${prefix}-event-failures (README: Re-driving failed work).`,
      metric: queueDepth('event-failures'),
      statistic: 'Maximum',
      period: FIVE_MINUTES,
      threshold: 0,
    },
    ...functions.map((fn) => ({
      suffix: `${fn.toLowerCase()}-errors`,
      description: `The ${fn} function failed (its log group /aws/lambda/${prefix}-${fn} says why).`,
      metric: lambda(fn, 'Errors'),
      statistic: 'Sum',
      period: FIVE_MINUTES,
      threshold: 0,
    })),
    ...functions.map((fn) => ({
      suffix: `${fn.toLowerCase()}-throttles`,
      description: `Lambda throttled the ${fn} function (account concurrency, or the worker's workerMaxConcurrency).`,
      metric: lambda(fn, 'Throttles'),
      statistic: 'Sum',
      period: FIVE_MINUTES,
      threshold: 0,
    })),
    {
      suffix: 'rollouts-stopped',
      description: 'A rollout passed maxErrors and was rolled back (fleetwatch status names the configuration and version).',
      metric: serviceMetric('RolloutsRolledBack'),
      statistic: 'Sum',
      period: FIVE_MINUTES,
      threshold: 0,
    },
    {
      suffix: 'configurations-rejected',
      description: 'A configuration version failed validation and was not rolled out (fleetwatch status names it and why).',
      metric: serviceMetric('ConfigurationsRejected'),
      statistic: 'Sum',
      period: FIVE_MINUTES,
      threshold: 0,
    },
    ...[
      ['instances-failed', 'InstancesFailed', 'failed (commands failed after their retries)'],
      ['agents-silent', 'AgentsSilent', 'with an agent silent after a restart'],
      ['instances-unreachable', 'InstancesUnreachable', 'unreachable (never registered with SSM)'],
    ].map(([suffix, name, what]) => ({
      suffix,
      description: `More than ${instanceThreshold} instance(s) ${what} in an hour (param instanceAlarmThreshold); fleetwatch status lists them.`,
      metric: serviceMetric(name),
      statistic: 'Sum',
      period: HOUR,
      threshold: instanceThreshold,
    })),
  ];
}

/** The alarm names of a stage, in the dashboard's order. */
function alarmNames(stage) {
  return alarmDefinitions(stage, { instanceThreshold: 0 }).map(({ suffix }) => `${SERVICE}-${stage}-${suffix}`);
}

function alarmResources(stage, settings) {
  const actions = settings.topicArn ? { AlarmActions: [settings.topicArn], OKActions: [settings.topicArn] } : {};
  const Resources = {};
  for (const alarm of alarmDefinitions(stage, settings)) {
    Resources[alarmLogicalId(alarm.suffix)] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${SERVICE}-${stage}-${alarm.suffix}`,
        AlarmDescription: alarm.description,
        ...alarm.metric,
        Statistic: alarm.statistic,
        Period: alarm.period,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: alarm.threshold,
        TreatMissingData: 'notBreaching',
        ...actions,
        Tags: [
          { Key: 'fleetwatch:managed-by', Value: SERVICE },
          { Key: 'fleetwatch:stage', Value: stage },
        ],
      },
    };
  }
  return { Resources };
}

module.exports = {
  alarmDefinitions,
  alarmLogicalId,
  alarmNames,
  alarmResources,
  parseInstanceThreshold,
  parseTopicArn,
  /** { Resources } for the `resources` array of serverless.yml. */
  resources: async ({ resolveVariable }) =>
    alarmResources(String(await resolveVariable('sls:stage')), {
      topicArn: parseTopicArn(await resolveVariable('param:alarmTopicArn')),
      instanceThreshold: parseInstanceThreshold(await resolveVariable('param:instanceAlarmThreshold')),
    }),
};
