/**
 * The one price table the bench's cost figures come from: on-demand list prices in US East
 * (N. Virginia), free tiers left out (a fleet's cost should not depend on what else the account
 * runs). Each price names the public page it was read from and that page's date; they were read
 * on 2026-11-30. fleetwatch deploys to eu-west-1 by default, where DynamoDB costs a little more;
 * Lambda, SQS, EventBridge and CloudWatch API requests cost the same there.
 *
 * Priced at nothing, as no page read lists a per-request price for them: EC2, IAM and SSM calls
 * (Run Command on EC2 instances, standard-tier parameters at the default throughput) and
 * CloudWatch Logs calls; AWS service events on the default bus are free (the EventBridge source
 * above). Log ingestion, log storage and X-Ray traces are billed but not counted by the bench.
 */

export interface Price {
  /** Dollars per `per` units. */
  usd: number;
  per: number;
  unit: string;
  source: string;
  /** The date the source states for its figures (or its publication date). */
  sourceDate: string;
}

export const PRICES = {
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 1,
    unit: 'GB-second, arm64 (serverless.yml provider.architecture)',
    source: 'https://cloudchipr.com/blog/aws-lambda-pricing (US East, first 7.5 billion GB-s per month)',
    sourceDate: '2024',
  },
  lambdaRequest: {
    usd: 0.2,
    per: 1_000_000,
    unit: 'invocation',
    source: 'https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html',
    sourceDate: 'undated AWS whitepaper page, as published on 2026-11-30',
  },
  dynamodbWriteRequestUnit: {
    usd: 0.625,
    per: 1_000_000,
    unit: 'on-demand write request unit (an item up to 1 KB)',
    source: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing (US East, after the November 2024 on-demand price cut)',
    sourceDate: '2025-07-21',
  },
  dynamodbReadRequestUnit: {
    usd: 0.125,
    per: 1_000_000,
    unit: 'on-demand read request unit (a strongly consistent read up to 4 KB)',
    source: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing (US East, after the November 2024 on-demand price cut)',
    sourceDate: '2025-07-21',
  },
  sqsRequest: {
    usd: 0.4,
    per: 1_000_000,
    unit: 'standard-queue request (each 64 KB chunk of a call)',
    source: 'https://cloudburn.io/blog/amazon-sqs-pricing (US East)',
    sourceDate: '2026-03-14',
  },
  eventBridgeCustomEvent: {
    usd: 1.0,
    per: 1_000_000,
    unit: 'custom event put on a bus (PutEvents entry)',
    source: 'https://www.factualminds.com/blog/amazon-eventbridge-pricing-events-pipes-schema-archive/ (US East; AWS service events free)',
    sourceDate: '2026-06',
  },
  eventBridgeCrossAccountEvent: {
    usd: 1.0,
    per: 1_000_000,
    unit: 'event delivered to a bus in another account (organization mode: each member event forwarded to the hub bus)',
    source: 'https://cloudburn.io/blog/amazon-eventbridge-pricing (US East; same-account delivery free)',
    sourceDate: '2026-03-13',
  },
  parameterStoreAdvancedParameter: {
    usd: 0.05,
    per: 1,
    unit: 'advanced-tier parameter per month (a configuration over 4 KB, organization mode: one copy per member account-region)',
    source: 'https://think-with-tech.blogspot.com/2025/10/aws-systems-manager-parameter-store-ssm_94.html (standard tier: no additional charge)',
    sourceDate: '2025-10-21',
  },
  cloudWatchApiRequest: {
    usd: 0.01,
    per: 1_000,
    unit: 'CloudWatch API request (ListMetrics and the like)',
    source: 'https://github.com/api-evangelist/cloudwatch plans/cloudwatch-plans-pricing.yml, from https://aws.amazon.com/cloudwatch/pricing/',
    sourceDate: '2026-05-05',
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;

/** Dollars for `units` of a price. */
export function dollars(name: PriceName, units: number): number {
  const price: Price = PRICES[name];
  return (units / price.per) * price.usd;
}
