/**
 * StatePort, RolloutPort (DynamoDB through the DocumentClient), QueuePort (SQS) and EventsPort
 * (EventBridge) against moto: the real SDK over HTTP. moto 5.2 has every call these use.
 */
import { CloudWatchLogsClient, CreateLogGroupCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../lib/errors.js';
import { workItemTarget, type InstanceRecord, type InstanceWorkItem, type Ports, type RolloutRecord, type WorkItem } from '../../lib/ports.js';
import { ACCOUNT_ID, clientConfig, contractPorts, REGION, resetMoto, TABLE } from './moto.js';

let ports: Ports;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  await resetMoto();
  // The table as serverless.yml declares it (StateTable): one string hash key, instanceId.
  await new DynamoDBClient(clientConfig()).send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'instanceId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'instanceId', KeyType: 'HASH' }],
    }),
  );
  sqs = new SQSClient(clientConfig());
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'fleetwatch-dev-work' }))).QueueUrl ?? '';
  ports = contractPorts({ workQueueUrl: queueUrl });
});

describe('state table', () => {
  const record = (instanceId: string, status: InstanceRecord['status']): Omit<InstanceRecord, 'revision'> => ({
    instanceId,
    status,
    configName: 'web',
    targetVersion: 2,
    attempts: 0,
    // Optional fields left undefined must not reach DynamoDB (the marshaller throws on them).
    lastError: undefined,
    updatedAt: 1_764_050_400_000,
  });

  it('creates a record only where none exists, then writes only on the revision read', async () => {
    const created = await ports.state.put(record('i-0abc1234def567890', 'pending'), undefined);
    expect(created.revision).toBe(1);
    await expect(ports.state.put(record('i-0abc1234def567890', 'pending'), undefined)).rejects.toBeInstanceOf(ConflictError);

    const inFlight = {
      ...record('i-0abc1234def567890', 'in-flight'),
      inFlight: { claimId: 'claim-1', action: 'configure' as const, configName: 'web', version: 2, sentAt: 1, leaseExpiresAt: 2 },
    };
    expect((await ports.state.put(inFlight, 1)).revision).toBe(2);

    // A stale writer (it read revision 1) loses, naming the instance.
    const stale = ports.state.put(record('i-0abc1234def567890', 'failed'), 1);
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toMatchObject({ instanceId: 'i-0abc1234def567890' });

    const stored = await ports.state.get('i-0abc1234def567890');
    expect(stored).toEqual({ ...inFlight, revision: 2 });
    expect(stored).not.toHaveProperty('lastError');
    expect(await ports.state.get('i-00000000000000000')).toBeUndefined();
  });

  it('keeps rollouts in the same table, out of state.list()', async () => {
    await ports.state.put(record('i-0def1234abc567890', 'configured'), undefined);
    const rollout: Omit<RolloutRecord, 'revision'> = {
      configName: 'web',
      version: 2,
      status: 'in-progress',
      goodVersion: 1,
      total: 2,
      sent: 0,
      succeeded: 0,
      failed: 0,
      startedAt: 1,
      updatedAt: 1,
    };

    expect(await ports.rollouts.put(rollout, undefined)).toEqual({ ...rollout, revision: 1 });
    await expect(ports.rollouts.put({ ...rollout, sent: 2 }, 0)).rejects.toBeInstanceOf(ConflictError);
    expect(await ports.rollouts.put({ ...rollout, sent: 2 }, 1)).toEqual({ ...rollout, sent: 2, revision: 2 });

    expect((await ports.state.list()).map((item) => item.instanceId).sort()).toEqual(['i-0abc1234def567890', 'i-0def1234abc567890']);
    expect(await ports.rollouts.list()).toEqual([{ ...rollout, sent: 2, revision: 2 }]);
    expect(await ports.rollouts.get('web')).toEqual({ ...rollout, sent: 2, revision: 2 });
    expect(await ports.rollouts.get('default')).toBeUndefined();
    expect(await ports.rollouts.getMany(['web', 'default'])).toEqual([{ ...rollout, sent: 2, revision: 2 }]);
  });

  it('reads 130 records by id in batches (BatchGetItem), leaving out ids never written', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `i-${(0x1000 + i).toString(16).padStart(17, '0')}`);
    for (const id of ids.slice(0, 120)) await ports.state.put(record(id, 'configured'), undefined);
    const found = await ports.state.getMany(ids);
    expect(found.map((item) => item.instanceId).sort()).toEqual(ids.slice(0, 120).sort());
    expect(found.every((item) => item.revision === 1 && item.status === 'configured')).toBe(true);
  });
});

describe('work queue', () => {
  const receive = async (): Promise<WorkItem[]> => {
    const items: WorkItem[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
      if (Messages.length === 0) return items;
      items.push(...Messages.map((message) => JSON.parse(message.Body ?? '') as WorkItem));
    }
  };

  it('enqueues 23 items in batches of 10, each body a work item', async () => {
    const items = Array.from({ length: 22 }, (_, i): WorkItem => ({ instanceId: `i-${String(i).padStart(17, '0')}`, reason: 'sweep', attempt: 1 }));
    items.push({ rollout: 'web', reason: 'rollout', attempt: 1 });

    await ports.queue.enqueue(items);

    const key = workItemTarget;
    expect((await receive()).sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...items].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it('delays an item, and clamps a delay beyond SQS’s 900 s instead of failing', async () => {
    const item: InstanceWorkItem = { instanceId: 'i-0abc1234def567890', reason: 'not-managed', attempt: 2 };

    await ports.queue.enqueue([item], 1);
    await ports.queue.enqueue([{ ...item, attempt: 3 }], 5_000);

    expect(await receive()).toEqual([]);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('2');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await receive()).toEqual([item]);
  });
});

describe('service events', () => {
  it('publishes 12 events on the default bus with the stage source fleetwatch.dev, in calls of 10', async () => {
    // A rule on the default bus with a log group target shows what EventBridge delivered.
    const logGroup = '/contract/fleetwatch-events';
    await new CloudWatchLogsClient(clientConfig()).send(new CreateLogGroupCommand({ logGroupName: logGroup }));
    const eventbridge = new EventBridgeClient(clientConfig());
    await eventbridge.send(new PutRuleCommand({ Name: 'fleetwatch-events', EventPattern: JSON.stringify({ source: ['fleetwatch.dev'] }) }));
    await eventbridge.send(
      new PutTargetsCommand({ Rule: 'fleetwatch-events', Targets: [{ Id: 'log', Arn: `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${logGroup}` }] }),
    );

    const events = Array.from({ length: 12 }, (_, i) => ({ detailType: 'Instance Onboarded', detail: { instanceId: `i-${i}`, configName: 'web' } }));
    await ports.events.publish(events);

    const { events: delivered = [] } = await new CloudWatchLogsClient(clientConfig()).send(new FilterLogEventsCommand({ logGroupName: logGroup }));
    const bodies = delivered.map((event) => JSON.parse(event.message ?? '') as { source: string; 'detail-type': string; detail: unknown });
    expect(bodies.map((body) => body.source)).toEqual(Array(12).fill('fleetwatch.dev'));
    expect(bodies.map((body) => body['detail-type'])).toEqual(Array(12).fill('Instance Onboarded'));
    expect(bodies.map((body) => body.detail)).toEqual(expect.arrayContaining(events.map((event) => event.detail)));
  });
});
