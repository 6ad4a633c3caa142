/**
 * The AWS API operations fleetwatch calls, by their real names, and the page and batch sizes AWS
 * imposes on them. The simulated ports split work exactly as the SDK adapters must, so the call
 * counts of a simulated run are the call counts (and the throttling) of a real one.
 */
export const OPERATIONS = [
  'DescribeInstances',
  'DescribeIamInstanceProfileAssociations',
  'AssociateIamInstanceProfile',
  'ReplaceIamInstanceProfileAssociation',
  'GetInstanceProfile',
  'ListAttachedRolePolicies',
  'AttachRolePolicy',
  'DescribeInstanceInformation',
  'GetParameters',
  'GetParameter',
  'PutParameter',
  'SendCommand',
  'ListCommandInvocations',
  'DescribeDocument',
  'DescribeLogGroups',
  'CreateLogGroup',
  'PutRetentionPolicy',
  'DescribeLogStreams',
  'ListTagsForResource',
  'ListMetrics',
  'GetItem',
  'BatchGetItem',
  'Scan',
  'PutItem',
  'SendMessageBatch',
  'PutEvents',
] as const;

export type Operation = (typeof OPERATIONS)[number];

export const LIMITS = {
  /** DescribeInstances: MaxResults is at most 1000 instances a page. */
  describeInstancesPage: 1000,
  /** EC2 filters take at most 200 values each (instance-id filters for named instances and associations). */
  ec2FilterValues: 200,
  /** DescribeIamInstanceProfileAssociations: MaxResults at most 1000. */
  associationsPage: 1000,
  /** DescribeInstanceInformation: MaxResults at most 50; the InstanceIds filter takes at most 50 values. */
  instanceInformationPage: 50,
  /** DescribeLogGroups: limit at most 50. */
  logGroupsPage: 50,
  /** DescribeLogStreams: limit at most 50. */
  logStreamsPage: 50,
  /** CloudWatch ListMetrics: 500 metrics a page. */
  listMetricsPage: 500,
  /** SendCommand: InstanceIds holds at most 50 ids. */
  sendCommandInstanceIds: 50,
  /** ListCommandInvocations: MaxResults at most 50. */
  commandInvocationsPage: 50,
  /** GetParameters: at most 10 names. */
  getParametersNames: 10,
  /** BatchGetItem: at most 100 keys a request. */
  batchGetItemKeys: 100,
  /** Scan returns at most 1 MB a page; an instance record is about 1 KB, so ~1000 items. */
  scanPage: 1000,
  /** SQS SendMessageBatch: at most 10 messages. */
  sendMessageBatch: 10,
  /** SQS DelaySeconds: at most 900 (15 minutes). */
  maxDelaySeconds: 900,
  /** EventBridge PutEvents: at most 10 entries. */
  putEventsEntries: 10,
  /** ListAttachedRolePolicies: MaxItems defaults to 100. */
  attachedPoliciesPage: 100,
} as const;

