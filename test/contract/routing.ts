/**
 * Which EventBridge rules each sample event reaches, decided by moto's EventBridge rather than by
 * our own reading of the pattern syntax. moto 5.2 does not implement TestEventPattern, so every
 * rule is put on moto's default bus with a CloudWatch Logs log group as its target, each sample is
 * sent with PutEvents, and the log groups say which rule took which event (by its event id).
 *
 * moto's matcher knows exact values, prefix, suffix, anything-but, exists, numeric, cidr,
 * wildcard, equals-ignore-case and $or; it ignores a rule's State (a DISABLED rule still
 * matches), so callers check State themselves.
 */
import { readFile } from 'node:fs/promises';
import { CloudWatchLogsClient, CreateLogGroupCommand, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { chunk } from '../../lib/support/chunk.js';
import { ACCOUNT_ID, clientConfig, REGION, resetMoto } from './moto.js';

const EVENTS_DIR = new URL('../../events/', import.meta.url);

export interface Sample {
  file: string;
  /** The manifest's rule key the sample must reach; null: a near miss that must reach none. */
  rule: string | null;
  event: {
    source: string;
    'detail-type': string;
    time: string;
    resources: string[];
    detail: Record<string, unknown>;
  };
}

export async function loadSamples(): Promise<Sample[]> {
  const manifest = JSON.parse(await readFile(new URL('manifest.json', EVENTS_DIR), 'utf8')) as { samples: { file: string; rule: string | null }[] };
  return Promise.all(
    manifest.samples.map(async ({ file, rule }) => ({
      file,
      rule,
      event: JSON.parse(await readFile(new URL(file, EVENTS_DIR), 'utf8')) as Sample['event'],
    })),
  );
}

/** The rule keys the manifest names, in manifest order. */
export function manifestKeys(samples: Sample[]): string[] {
  return [...new Set(samples.flatMap((sample) => (sample.rule ? [sample.rule] : [])))];
}

export interface RoutedRule {
  /** What the result calls the rule: its manifest key, or the logical id of a rule that has none. */
  label: string;
  pattern: Record<string, unknown>;
}

/** For each sample file, the labels of the rules it reached, sorted. Starts by resetting moto. */
export async function route(rules: RoutedRule[], samples: Sample[]): Promise<Map<string, string[]>> {
  await resetMoto();
  const eventbridge = new EventBridgeClient(clientConfig());
  const logs = new CloudWatchLogsClient(clientConfig());

  const logGroups = rules.map((_, index) => `/contract/rules/${index}`);
  for (const [index, rule] of rules.entries()) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: logGroups[index] }));
    await eventbridge.send(new PutRuleCommand({ Name: `rule-${index}`, EventPattern: JSON.stringify(rule.pattern) }));
    await eventbridge.send(
      new PutTargetsCommand({
        Rule: `rule-${index}`,
        Targets: [{ Id: 'log', Arn: `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${logGroups[index]}` }],
      }),
    );
  }

  // moto fills in account and region itself (123456789012, eu-west-1: the samples' own).
  const fileOfEvent = new Map<string, string>();
  for (const batch of chunk(samples, 10)) {
    const result = await eventbridge.send(
      new PutEventsCommand({
        Entries: batch.map(({ event }) => ({
          Source: event.source,
          DetailType: event['detail-type'],
          Detail: JSON.stringify(event.detail),
          Resources: event.resources,
          Time: new Date(event.time),
        })),
      }),
    );
    if (result.FailedEntryCount) throw new Error(`PutEvents refused samples: ${JSON.stringify(result.Entries)}`);
    batch.forEach((sample, index) => fileOfEvent.set(result.Entries?.[index]?.EventId ?? '', sample.file));
  }

  const reached = new Map<string, string[]>(samples.map((sample) => [sample.file, []]));
  for (const [index, rule] of rules.entries()) {
    for await (const page of paginateFilterLogEvents({ client: logs }, { logGroupName: logGroups[index] })) {
      for (const logged of page.events ?? []) {
        const id = (JSON.parse(logged.message ?? '{}') as { id?: string }).id ?? '';
        const file = fileOfEvent.get(id);
        if (file) reached.get(file)?.push(rule.label);
      }
    }
  }
  for (const labels of reached.values()) labels.sort();
  return reached;
}

/** One line per sample that did not reach exactly the rule the manifest names. */
export function mismatches(samples: Sample[], reached: Map<string, string[]>): string[] {
  return samples.flatMap((sample) => {
    const expected = sample.rule ? [sample.rule] : [];
    const actual = reached.get(sample.file) ?? [];
    if (JSON.stringify(actual) === JSON.stringify(expected)) return [];
    const say = (labels: string[]) => (labels.length ? labels.join(' + ') : 'no rule');
    return [`${sample.file}: must reach ${say(expected)}, reached ${say(actual)}`];
  });
}
