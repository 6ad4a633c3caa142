/**
 * What an operator relies on after the deploy, on the packaged template: the alarms and where
 * they notify, the on-failure destination of every EventBridge-invoked function, the worker's
 * bounded concurrency, and a stage setting that would fail the cold start failing packaging first.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageService, removeTemporaryDirectories, resourcesOfType, policyStatements, asList, type Json, PACKAGE_TIMEOUT_MS } from './template.js';

interface AlarmsModule {
  alarmNames(stage: string): string[];
}
interface DashboardModule {
  dashboardBody(stage: string): { widgets: Json[] };
}
// osls loads the resolvers with require(); so does this test.
const load = createRequire(import.meta.url);
const alarms = load('../../serverless/alarms.cjs') as AlarmsModule;
const dashboard = load('../../serverless/dashboard.cjs') as DashboardModule;

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops-alerts';

let dev: Json;
let notifying: Json;

beforeAll(async () => {
  const [plain, withTopic] = await Promise.all([
    packageService('dev'),
    packageService('staging', [`--param=alarmTopicArn=${TOPIC}`, '--param=workerMaxConcurrency=50', '--param=instanceAlarmThreshold=20']),
  ]);
  dev = plain.template;
  notifying = withTopic.template;
}, PACKAGE_TIMEOUT_MS);
afterAll(() => removeTemporaryDirectories());

const alarmsOf = (template: Json) => Object.fromEntries(resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => [alarm.Properties.AlarmName, alarm.Properties]));
const functionNames = (template: Json) => resourcesOfType(template, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties.FunctionName as string);
const queueNames = (template: Json) => resourcesOfType(template, 'AWS::SQS::Queue').map(([, queue]) => queue.Properties.QueueName as string);

describe('alarms', () => {
  it('alarm on the dead-letter queue, the failed-event queue, and every function\'s errors and throttles', () => {
    const byName = alarmsOf(dev);
    expect(byName['fleetwatch-dev-work-dlq']).toMatchObject({ Namespace: 'AWS/SQS', Dimensions: [{ Name: 'QueueName', Value: 'fleetwatch-dev-work-dlq' }], Threshold: 0 });
    expect(byName['fleetwatch-dev-event-failures']).toMatchObject({ Namespace: 'AWS/SQS', Dimensions: [{ Name: 'QueueName', Value: 'fleetwatch-dev-event-failures' }] });
    for (const fn of functionNames(dev)) {
      const key = fn.replace(/^fleetwatch-dev-/, '').toLowerCase();
      for (const metric of ['Errors', 'Throttles']) {
        expect(byName[`fleetwatch-dev-${key}-${metric.toLowerCase()}`], `${fn} ${metric}`).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: fn }],
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
        });
      }
    }
  });

  it('alarm on stopped rollouts, and on failed, silent and unreachable instances above the stage threshold', () => {
    const byName = alarmsOf(dev);
    expect(byName['fleetwatch-dev-rollouts-stopped']).toMatchObject({ Namespace: 'fleetwatch', MetricName: 'RolloutsRolledBack', Threshold: 0 });
    expect(byName['fleetwatch-dev-configurations-rejected']).toMatchObject({ Namespace: 'fleetwatch', MetricName: 'ConfigurationsRejected' });
    for (const [suffix, metric] of [['instances-failed', 'InstancesFailed'], ['agents-silent', 'AgentsSilent'], ['instances-unreachable', 'InstancesUnreachable']]) {
      // Powertools publishes with the one dimension service=fleetwatch: the alarm must name exactly that set.
      expect(byName[`fleetwatch-dev-${suffix}`]).toMatchObject({ MetricName: metric, Dimensions: [{ Name: 'service', Value: 'fleetwatch' }], Period: 3600, Threshold: 5 });
      expect(alarmsOf(notifying)[`fleetwatch-staging-${suffix}`].Threshold).toBe(20);
    }
  });

  it('watch only queues and functions the template creates', () => {
    for (const alarm of Object.values(alarmsOf(dev)) as Json[]) {
      const [dimension] = alarm.Dimensions;
      if (dimension.Name === 'QueueName') expect(queueNames(dev)).toContain(dimension.Value);
      if (dimension.Name === 'FunctionName') expect(functionNames(dev)).toContain(dimension.Value);
    }
  });

  it('notify the stage\'s SNS topic when it is set, and nothing when it is not', () => {
    for (const alarm of Object.values(alarmsOf(dev)) as Json[]) expect(alarm.AlarmActions).toBeUndefined();
    const withTopic = Object.values(alarmsOf(notifying)) as Json[];
    expect(withTopic.length).toBe(Object.keys(alarmsOf(dev)).length);
    for (const alarm of withTopic) expect([alarm.AlarmActions, alarm.OKActions]).toEqual([[TOPIC], [TOPIC]]);
  });

  it('are all on the dashboard, and the dashboard names no other', () => {
    const names = Object.keys(alarmsOf(dev)).sort();
    expect([...alarms.alarmNames('dev')].sort()).toEqual(names);
    const widget = dashboard.dashboardBody('dev').widgets.find((w) => w.type === 'alarm');
    expect(widget.properties.alarms.map((arn: string) => arn.split(':alarm:')[1]).sort()).toEqual(names);
  });
});

describe('failed events', () => {
  /** Functions an EventBridge rule invokes (the schedule included): Lambda invokes them asynchronously. */
  const eventInvoked = (template: Json) =>
    resourcesOfType(template, 'AWS::Events::Rule').flatMap(([, rule]) => rule.Properties.Targets.map((target: Json) => target.Arn['Fn::GetAtt'][0] as string));

  it('go to the on-failure queue from every EventBridge-invoked function, which may send there', () => {
    const invoked = eventInvoked(dev);
    expect(new Set(invoked).size).toBe(5);
    const configs = resourcesOfType(dev, 'AWS::Lambda::EventInvokeConfig').map(([, config]) => config.Properties);
    for (const fn of new Set(invoked)) {
      const config = configs.find((c) => c.FunctionName.Ref === fn);
      expect(config?.DestinationConfig.OnFailure.Destination, fn).toEqual({ 'Fn::GetAtt': ['EventFailureQueue', 'Arn'] });
      const role = dev.Resources[fn].Properties.Role['Fn::GetAtt'][0];
      const sends = policyStatements(dev).filter(
        ({ where, statement }) => where.startsWith(`${role} `) && asList(statement.Action).includes('sqs:SendMessage') && JSON.stringify(statement.Resource).includes('EventFailureQueue'),
      );
      expect(sends, `${role} sends to EventFailureQueue`).toHaveLength(1);
    }
    expect(dev.Resources.EventFailureQueue.Properties).toMatchObject({ QueueName: 'fleetwatch-dev-event-failures', MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
  });
});

describe('worker concurrency', () => {
  const scaling = (template: Json) => resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, mapping]) => mapping.Properties.ScalingConfig);

  it('is bounded by the stage setting workerMaxConcurrency (10 unless set)', () => {
    expect(scaling(dev)).toEqual([{ MaximumConcurrency: 10 }]);
    expect(scaling(notifying)).toEqual([{ MaximumConcurrency: 50 }]);
  });
});

describe('a stage setting the cold start would refuse', () => {
  const failure = (args: string[]) =>
    packageService('dev', args).then(
      () => 'packaged',
      // packageService folds what sls printed into the error's message.
      (error: Error) => error.message,
    );

  it('fails packaging with the cold start\'s message, naming the setting', async () => {
    const output = await failure(['--param=profileMode=atach']);
    expect(output).toContain('invalid stage settings:');
    expect(output).toContain('FLEETWATCH_PROFILE_MODE Invalid option: expected one of "report"|"attach"|"replace" (got "atach") [set by param profileMode]');
  }, PACKAGE_TIMEOUT_MS);

  it('fails packaging for a template-only setting too, naming it', async () => {
    const output = await failure(['--param=alarmTopicArn=ops-alerts', '--param=sweepSchedule=hourly']);
    expect(output).toMatch(/param (alarmTopicArn|sweepSchedule) must be/);
  }, PACKAGE_TIMEOUT_MS);
});
