/**
 * The composition root: the only place SDK clients are built (an eslint rule enforces it).
 * Each client is built once per Lambda container and shared by every invocation, so that
 * connections and the adaptive retry's rate state carry over between calls.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../clock.js';
import { organizationOf, type Settings } from '../config.js';
import { ConfigError } from '../errors.js';
import { noMetrics, silentLog, type Cell, type Log, type MemberPorts, type MetricSink, type OrganizationAccess, type Ports } from '../ports.js';
import * as z from '../schema.js';
import { createEc2Port } from './ec2.js';
import { createEventsPort } from './events.js';
import { serviceEventSource } from '../model/service-events.js';
import { createIamPort } from './iam.js';
import { createLogsPort } from './logs.js';
import { createMembersPort, partitionOf, type MemberCredentials } from './members.js';
import { createOrganizationsPort } from './organizations.js';
import { createQueuePort } from './queue.js';
import { createSsmPort } from './ssm.js';
import { createTelemetryPort } from './telemetry.js';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createRolloutPort, createStatePort } from './state.js';

export interface AwsResources {
  stateTableName: string;
  workQueueUrl: string;
}

export interface AwsPortsOptions {
  /** Endpoint override for contract tests against a local emulator (moto). AWS_ENDPOINT_URL works too: the SDK reads it itself. */
  endpoint?: string;
  clock?: Clock;
  log?: Log;
  metrics?: MetricSink;
  /** Wraps each client as it is built: the Lambda runtime passes the tracer's captureAWSv3Client. */
  instrument?: <T>(client: T) => T;
}

/**
 * Control-plane APIs with low rate limits: EC2 describe calls draw from a bucket of 100 that
 * refills at 20/s, CreateLogGroup and DescribeLogGroups allow 5 TPS per account and region, and
 * IAM and SSM throttle bursts too. 'adaptive' retries with the standard exponential backoff
 * and full jitter, and after a throttle also rate-limits the whole client on our side, so that
 * a burst of concurrent ensures (one CreateLogGroup per log group) slows down together instead
 * of each retrying into the same exhausted bucket. This SDK backs off from 1 s after a throttle
 * (doubling, capped at 20 s), so 6 attempts wait at most 1+2+4+8+16 = 31 s (about 15 s on
 * average): several refills of EC2's bucket (5 s) and of a 5 TPS quota, yet inside a worker's
 * timeout. Past that, ThrottledError tells the caller to requeue rather than wait longer.
 */
const CONTROL_PLANE_RETRY = { retryMode: 'adaptive', maxAttempts: 6 } as const;

/**
 * DynamoDB (on-demand), SQS and EventBridge have limits far above what one reconcile sends;
 * the standard mode's backoff covers the odd throttle without client-side rate limiting
 * adding latency to every call. 5 attempts rather than the default 3 because a failed state
 * write or enqueue costs a redelivery of the whole SQS message.
 */
const DATA_PLANE_RETRY = { retryMode: 'standard', maxAttempts: 5 } as const;

/**
 * Where the member-side clients call: the stage's own account and region with the function's own
 * credentials, or a member account-region (organization mode) with its execution role's.
 */
interface Reach {
  region: string;
  credentials?: MemberCredentials;
}

/** The ports of the calls fleetwatch makes on instances' side (MemberPorts), for one account and region. */
function memberSidePorts(settings: Settings, reach: Reach, options: AwsPortsOptions): MemberPorts {
  const base = {
    region: reach.region,
    ...(reach.credentials && { credentials: reach.credentials }),
    ...(options.endpoint && { endpoint: options.endpoint }),
  };
  const built = options.instrument ?? (<T>(client: T) => client);
  // One Logs client for both ports: one connection pool and one adaptive rate state per service.
  const logsClient = built(new CloudWatchLogsClient({ ...base, ...CONTROL_PLANE_RETRY }));
  return {
    ec2: createEc2Port(built(new EC2Client({ ...base, ...CONTROL_PLANE_RETRY }))),
    iam: createIamPort(built(new IAMClient({ ...base, ...CONTROL_PLANE_RETRY }))),
    ssm: createSsmPort(built(new SSMClient({ ...base, ...CONTROL_PLANE_RETRY })), options.log ?? silentLog),
    logs: createLogsPort(logsClient, settings),
    telemetry: createTelemetryPort(built(new CloudWatchClient({ ...base, ...CONTROL_PLANE_RETRY })), logsClient),
  };
}

export function createAwsPorts(settings: Settings & AwsResources, options: AwsPortsOptions = {}): Ports {
  const base = { region: settings.region, ...(options.endpoint && { endpoint: options.endpoint }) };
  const built = options.instrument ?? (<T>(client: T) => client);
  const log = options.log ?? silentLog;
  const clock = options.clock ?? systemClock;

  const dynamo = built(new DynamoDBClient({ ...base, ...DATA_PLANE_RETRY }));
  // removeUndefinedValues: records carry optional fields; DynamoDB has no "undefined" and the
  // marshaller throws on one unless told to drop it.
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });

  return {
    ...memberSidePorts(settings, { region: settings.region }, options),
    state: createStatePort(documents, settings.stateTableName, clock),
    rollouts: createRolloutPort(documents, settings.stateTableName, clock),
    queue: createQueuePort(built(new SQSClient({ ...base, ...DATA_PLANE_RETRY })), settings.workQueueUrl),
    events: createEventsPort(built(new EventBridgeClient({ ...base, ...DATA_PLANE_RETRY })), serviceEventSource(settings.stage)),
    clock,
    log,
    metrics: options.metrics ?? noMetrics,
  };
}

/**
 * Organization mode: the hub's ways into the organization, or undefined in the single-account
 * mode. Built once per execution environment; `members()` gives each invocation its own
 * MembersPort (one AssumeRole per cell per invocation), all on one STS client in the hub's region,
 * whose adaptive retry slows every cell's AssumeRole together when STS throttles. Each member gets
 * its own SDK clients (the execution role's credentials, the cell's region), so each account-region
 * has its own connection pool and adaptive rate state: AWS's rate limits are per account and region.
 */
export function createAwsOrganizationAccess(settings: Settings, options: AwsPortsOptions = {}): OrganizationAccess | undefined {
  const organization = organizationOf(settings);
  if (!organization) return undefined;
  const built = options.instrument ?? (<T>(client: T) => client);
  const base = { region: settings.region, ...(options.endpoint && { endpoint: options.endpoint }), ...CONTROL_PLANE_RETRY };
  const sts = built(new STSClient(base));
  // Organizations has one endpoint per partition; the SDK resolves it from any region.
  const organizations = createOrganizationsPort(built(new OrganizationsClient(base)));
  const members = {
    roleName: organization.memberRoleName,
    sessionName: `fleetwatch-${settings.stage}`,
    partition: partitionOf(settings.region),
    clock: options.clock ?? systemClock,
    portsFor: (cell: Cell, credentials: MemberCredentials) => memberSidePorts(settings, { region: cell.region, credentials }, options),
  };
  return { members: () => createMembersPort(sts, members), organizations };
}

const RESOURCE_VARIABLES = { stateTableName: 'FLEETWATCH_STATE_TABLE', workQueueUrl: 'FLEETWATCH_WORK_QUEUE_URL' } as const;

const resourcesSchema = z.object({
  // DynamoDB table names: 3-255 of letters, digits, underscore, dash and dot.
  stateTableName: z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)')),
  workQueueUrl: z.url({ protocol: /^https?$/, error: 'must be an SQS queue URL' }),
});

/** The table and queue serverless.yml passes in; throws one ConfigError naming every bad or missing variable. */
export function loadAwsResources(env: Record<string, string | undefined> = process.env): AwsResources {
  const raw = {
    stateTableName: env[RESOURCE_VARIABLES.stateTableName] || undefined,
    workQueueUrl: env[RESOURCE_VARIABLES.workQueueUrl] || undefined,
  };
  const parsed = resourcesSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof AwsResources;
      const message = raw[key] === undefined ? 'is required' : issue.message;
      return `${RESOURCE_VARIABLES[key]} ${message} (got ${JSON.stringify(raw[key])})`;
    }),
  );
}
