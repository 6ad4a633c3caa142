/**
 * The stage's CloudWatch dashboard (serverless/dashboard.cjs): every metric the code emits is on
 * it, under the namespace and the exact dimension set Powertools publishes it with; the queues and
 * functions it graphs are the ones the packaged template creates.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '../../functions/runtime.js';
import { packageService, removeTemporaryDirectories, resourcesOfType, ROOT, type Json, type Packaged, PACKAGE_TIMEOUT_MS } from './template.js';

interface DashboardModule {
  NAMESPACE: string;
  DIMENSIONS: string[];
  SERVICE_METRICS: { name: string; widget: string }[];
  dashboardBody(stage: string): { widgets: Json[] };
}
// osls loads the resolver with require(); so does this test (no type declarations for it).
const dashboard = createRequire(import.meta.url)('../../serverless/dashboard.cjs') as DashboardModule;

/** A file's text with comments removed, so a name in a comment is not taken for an emitted metric. */
const code = (file: string) => readFileSync(path.join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file));
}

/** The effects of lib/entry/events.ts EventEffect: functions/handler.ts emits Events<Effect> for each. */
function eventEffects(): string[] {
  const union = /export type EventEffect =([\s\S]*?);\n/.exec(code('lib/entry/events.ts'))?.[1] ?? '';
  return [...union.matchAll(/effect: '(\w+)'/g)].map((m) => m[1]!);
}

/** Metric sinks that pass a name through rather than name a metric: the names reach them from lib/. */
const PASS_THROUGH = new Set(['functions/runtime.ts name']);

/**
 * Every metric name lib/ and functions/ emit, from their source: the string literals in the first
 * argument of each `metrics.count(` and `addMetric(` call, and the `Events${effect}` template.
 * A call this cannot read fails the test rather than being skipped.
 */
function emittedMetrics(): { names: Set<string>; unreadable: string[] } {
  const names = new Set<string>();
  const unreadable: string[] = [];
  for (const file of [...sourceFiles('lib'), ...sourceFiles('functions')]) {
    for (const match of code(file).matchAll(/(?:\bmetrics\.count|\baddMetric)\(\s*([^,]*?)\s*(?:,|\)\s*;)/g)) {
      const argument = match[1]!;
      const literals = [...argument.matchAll(/'(\w+)'/g)].map((m) => m[1]!);
      const template = /^`(\w+)\$\{effect\.effect/.exec(argument);
      if (template) for (const effect of eventEffects()) names.add(`${template[1]}${effect[0]!.toUpperCase()}${effect.slice(1)}`);
      else if (literals.length && !argument.includes('`')) literals.forEach((name) => names.add(name));
      else if (!PASS_THROUGH.has(`${file} ${argument}`)) unreadable.push(`${file}: ${argument}`);
    }
  }
  return { names, unreadable };
}

/** [namespace, name, ...dimension pairs, options?] rows of every metric widget. */
function metricRows(body: { widgets: Json[] }): { namespace: string; name: string; dimensions: string[] }[] {
  return body.widgets
    .filter((widget) => widget.type === 'metric')
    .flatMap((widget) => widget.properties.metrics as Json[][])
    .map((row) => {
      const plain = row.filter((part) => typeof part === 'string') as string[];
      return { namespace: plain[0]!, name: plain[1]!, dimensions: plain.slice(2) };
    });
}

describe('metrics the code emits', () => {
  it('are found in the source (sanity check of the grep)', () => {
    const { names, unreadable } = emittedMetrics();
    expect(unreadable).toEqual([]);
    expect([...names]).toEqual(expect.arrayContaining(['InstancesOnboarded', 'InstancesConfigured', 'CommandsFailed', 'EventsRejected', 'EventsEnqueued']));
  });

  it('are each on the dashboard, in namespace fleetwatch with exactly the service dimension', () => {
    const rows = metricRows(dashboard.dashboardBody('dev')).filter((row) => row.namespace === dashboard.NAMESPACE);
    const { names } = emittedMetrics();
    for (const name of names) {
      expect(rows.filter((row) => row.name === name).length, `${name} is emitted but not on serverless/dashboard.cjs`).toBeGreaterThan(0);
    }
    for (const row of rows) expect(row.dimensions, row.name).toEqual(dashboard.DIMENSIONS);
    // And nothing on the dashboard that no code emits (a renamed metric leaves an empty graph).
    expect(dashboard.SERVICE_METRICS.map((m) => m.name).filter((name) => !names.has(name))).toEqual([]);
  });

  it('match what Powertools publishes: namespace and dimension set of functions/runtime.ts metrics', () => {
    metrics.addMetric('InstancesOnboarded', 'Count', 1);
    const emf = metrics.serializeMetrics();
    metrics.clearMetrics();
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive!.Namespace).toBe(dashboard.NAMESPACE);
    expect(directive!.Dimensions).toEqual([[dashboard.DIMENSIONS[0]]]);
    expect((emf as unknown as Record<string, unknown>)[dashboard.DIMENSIONS[0]!]).toBe(dashboard.DIMENSIONS[1]);
  });
});

describe('the packaged dashboard', () => {
  let dev: Packaged;
  let body: { widgets: Json[] };
  beforeAll(async () => {
    dev = await packageService('dev');
    const text = dev.template.Resources.Dashboard.Properties.DashboardBody['Fn::Sub'] as string;
    // Fn::Sub must have nothing to substitute but the region, and the partition and account of the alarms' ARNs.
    expect([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1])).toEqual(expect.arrayContaining(['AWS::Region']));
    expect(new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]))).toEqual(new Set(['AWS::Region', 'AWS::Partition', 'AWS::AccountId']));
    body = JSON.parse(text.replaceAll('${AWS::Region}', 'eu-west-1').replaceAll('${AWS::Partition}', 'aws').replaceAll('${AWS::AccountId}', '123456789012'));
  }, PACKAGE_TIMEOUT_MS);
  afterAll(() => removeTemporaryDirectories());

  it('is fleetwatch-<stage>, with its URL in the outputs', () => {
    expect(dev.template.Resources.Dashboard.Type).toBe('AWS::CloudWatch::Dashboard');
    expect(dev.template.Resources.Dashboard.Properties.DashboardName).toBe('fleetwatch-dev');
    expect(dev.template.Outputs.DashboardUrl.Value['Fn::Sub']).toMatch(/#dashboards\/dashboard\/fleetwatch-dev$/);
  });

  it('draws every metric widget in the stack region, on a 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const widget of body.widgets) {
      if (widget.type === 'metric') expect(widget.properties.region).toBe('eu-west-1');
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      for (let x = widget.x; x < widget.x + widget.width; x++) {
        for (let y = widget.y; y < widget.y + widget.height; y++) {
          expect(cells.has(`${x},${y}`), `widget ${widget.properties.title ?? widget.type} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('graphs pending work on the queues the template creates', () => {
    const queues = new Set(metricRows(body).filter((row) => row.namespace === 'AWS/SQS').map((row) => row.dimensions[1]));
    const created = ['WorkQueue', 'WorkDeadLetterQueue', 'EventFailureQueue'].map((id) => dev.template.Resources[id].Properties.QueueName);
    expect(queues).toEqual(new Set(created));
    expect(metricRows(body).filter((row) => row.name === 'ApproximateNumberOfMessagesVisible')).toHaveLength(3);
  });

  it('graphs the errors of every function the template creates', () => {
    const graphed = metricRows(body)
      .filter((row) => row.namespace === 'AWS/Lambda' && row.name === 'Errors')
      .map((row) => row.dimensions[1])
      .sort();
    const functions = resourcesOfType(dev.template, 'AWS::Lambda::Function')
      .map(([, fn]) => fn.Properties.FunctionName as string)
      .sort();
    expect(functions.length).toBeGreaterThan(0);
    expect(graphed).toEqual(functions);
  });
});
