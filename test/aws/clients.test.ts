import { describe, expect, it } from 'vitest';
import { createAwsPorts, loadAwsResources } from '../../lib/aws/clients.js';
import { systemClock } from '../../lib/clock.js';
import { testSettings } from '../../lib/config.js';
import { ConfigError } from '../../lib/errors.js';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/fleetwatch-dev-work';

describe('loadAwsResources', () => {
  it('reads the table and queue', () => {
    expect(loadAwsResources({ FLEETWATCH_STATE_TABLE: 'fleetwatch-dev-state', FLEETWATCH_WORK_QUEUE_URL: QUEUE })).toEqual({
      stateTableName: 'fleetwatch-dev-state',
      workQueueUrl: QUEUE,
    });
  });

  it('names every missing or bad variable at once', () => {
    let error: unknown;
    try {
      loadAwsResources({ FLEETWATCH_STATE_TABLE: '', FLEETWATCH_WORK_QUEUE_URL: 'not a url' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^FLEETWATCH_STATE_TABLE is required/);
    expect(problems[1]).toMatch(/^FLEETWATCH_WORK_QUEUE_URL must be an SQS queue URL/);
  });
});

describe('createAwsPorts', () => {
  it('builds every port, with defaults for clock, log and metrics', () => {
    const ports = createAwsPorts(
      { ...testSettings(), stateTableName: 'fleetwatch-dev-state', workQueueUrl: QUEUE },
      { endpoint: 'http://127.0.0.1:5000' },
    );
    for (const port of ['ec2', 'iam', 'ssm', 'logs', 'state', 'queue', 'events', 'log', 'metrics'] as const) expect(ports[port]).toBeDefined();
    expect(ports.clock).toBe(systemClock);
  });
});
