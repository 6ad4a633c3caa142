/**
 * Section 4: cold start of each function as packaged. `sls package` (offline) in a private copy
 * of the service gives the zips; each is unpacked and its handler module imported in fresh Node
 * processes, with the environment the function gets. The floor is a handler built with the same
 * esbuild options that only imports and constructs the same AWS SDK clients: what any handler
 * using those clients pays before fleetwatch's own code, Powertools, middy and zod.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { packageService, removeTemporaryDirectories, ROOT, temporaryDirectory } from '../test/template/template.js';
import { againstFloor, fmt, type Row, type Section } from './report.js';
import { readServerlessYml } from './serverless-yml.js';

const run = promisify(execFile);

/** Fresh processes per module; the median is reported. */
const RUNS = 15;
const MAX_ZIP_BYTES = 1024 * 1024;
const MAX_LOAD_RATIO = 1.2;

/** custom.esbuild as serverless-esbuild hands it to esbuild (its own keys left out). */
function esbuildOptions(custom: Record<string, unknown>): BuildOptions {
  const keys = ['bundle', 'minify', 'keepNames', 'sourcemap', 'sourcesContent', 'target', 'platform', 'format', 'mainFields', 'banner', 'external'];
  const options: Record<string, unknown> = {};
  for (const key of keys) if (custom[key] !== undefined) options[key] = custom[key];
  return options as BuildOptions;
}

/** The SDK client class each package exports, and how the composition root builds it. */
const CLIENTS: Record<string, { name: string; construct: string }> = {
  '@aws-sdk/client-cloudwatch-logs': { name: 'CloudWatchLogsClient', construct: 'new CloudWatchLogsClient(base)' },
  '@aws-sdk/client-cloudwatch': { name: 'CloudWatchClient', construct: 'new CloudWatchClient(base)' },
  '@aws-sdk/client-dynamodb': { name: 'DynamoDBClient', construct: 'new DynamoDBClient(base)' },
  '@aws-sdk/client-ec2': { name: 'EC2Client', construct: 'new EC2Client(base)' },
  '@aws-sdk/client-eventbridge': { name: 'EventBridgeClient', construct: 'new EventBridgeClient(base)' },
  '@aws-sdk/client-iam': { name: 'IAMClient', construct: 'new IAMClient(base)' },
  '@aws-sdk/client-sqs': { name: 'SQSClient', construct: 'new SQSClient(base)' },
  '@aws-sdk/client-ssm': { name: 'SSMClient', construct: 'new SSMClient(base)' },
  '@aws-sdk/lib-dynamodb': { name: 'DynamoDBDocumentClient', construct: 'DynamoDBDocumentClient.from(new DynamoDBClient(base))' },
};

/** The @aws-sdk client packages a function's bundle takes in, from esbuild's metafile. */
async function sdkClientsOf(entry: string, options: BuildOptions): Promise<string[]> {
  const result = await build({ ...options, entryPoints: [entry], write: false, metafile: true, outdir: 'out', logLevel: 'silent' });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\//.exec(input);
    if (match && CLIENTS[match[1]!]) packages.add(match[1]!);
  }
  return [...packages].sort();
}

/** A handler that only builds the SDK clients, bundled with the same options, as <dir>/floor.mjs. */
async function buildFloor(dir: string, packages: string[], options: BuildOptions): Promise<string> {
  const imports = packages.map((pkg) => {
    return `import { ${CLIENTS[pkg]!.name} } from '${pkg}';`;
  });
  // lib-dynamodb's document client wraps a DynamoDBClient: import it too when only lib-dynamodb is named.
  if (packages.includes('@aws-sdk/lib-dynamodb') && !packages.includes('@aws-sdk/client-dynamodb')) {
    imports.push(`import { DynamoDBClient } from '@aws-sdk/client-dynamodb';`);
  }
  const contents = [
    ...imports,
    `const base = { region: process.env.AWS_REGION };`,
    `export const clients = [${packages.map((pkg) => CLIENTS[pkg]!.construct).join(', ')}];`,
    `export const handler = async () => clients.length;`,
  ].join('\n');
  const outfile = path.join(dir, 'floor.mjs');
  await build({ ...options, stdin: { contents, resolveDir: ROOT, sourcefile: 'sdk-floor.ts', loader: 'ts' }, outfile, logLevel: 'silent' });
  return outfile;
}

/** What functions/runtime.ts and Powertools read, as the deployed function gets them. */
function functionEnvironment(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // No credentials anywhere: importing a handler must not call AWS.
    AWS_EC2_METADATA_DISABLED: 'true',
    FLEETWATCH_STAGE: 'dev',
    FLEETWATCH_ACCOUNT_ID: '123456789012',
    FLEETWATCH_SELECTOR_TAG_KEY: 'fleetwatch:config',
    FLEETWATCH_PROFILE_MODE: 'report',
    FLEETWATCH_ON_DESELECT: 'leave',
    FLEETWATCH_DEFAULT_RETENTION_DAYS: '30',
    FLEETWATCH_LOG_GROUP_CLASS: 'STANDARD',
    FLEETWATCH_LOG_GROUP_KMS_KEY_ARN: '',
    FLEETWATCH_MANAGED_PROFILE_NAME: 'fleetwatch-dev-agent',
    FLEETWATCH_PARAMETER_PREFIX: 'AmazonCloudWatch-fleetwatch-dev-',
    FLEETWATCH_CONFIG_NAMES: 'default,web,windows',
    FLEETWATCH_DOCUMENT_NAME: 'fleetwatch-dev-agent',
    FLEETWATCH_REGISTRATION_WINDOW_MINUTES: '45',
    FLEETWATCH_COMMAND_LEASE_MINUTES: '60',
    FLEETWATCH_MAX_COMMAND_ATTEMPTS: '3',
    FLEETWATCH_MAX_CONCURRENCY: '10%',
    FLEETWATCH_MAX_ERRORS: '5%',
    FLEETWATCH_STATE_TABLE: 'fleetwatch-dev-state',
    FLEETWATCH_WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fleetwatch-dev-work',
    POWERTOOLS_SERVICE_NAME: 'fleetwatch',
    POWERTOOLS_METRICS_NAMESPACE: 'fleetwatch',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
  };
}

const LOAD = `const t = process.hrtime.bigint(); const m = await import(process.argv[1]);
if (typeof m.handler !== 'function') throw new Error('no handler export');
process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;

async function loadMs(file: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', LOAD, file], { env: functionEnvironment(), timeout: 30_000 });
  return Number(stdout);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Bytes of the zip and, within it, the compressed bytes of its source maps (unzip -v). */
async function zipSizes(zip: string): Promise<{ total: number; maps: number }> {
  const { stdout } = await run('unzip', ['-v', zip]);
  let maps = 0;
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 8 && fields[fields.length - 1]!.endsWith('.map')) maps += Number(fields[2]);
  }
  return { total: statSync(zip).size, maps };
}

export async function coldStartSection(): Promise<Section> {
  const sls = readServerlessYml();
  const options = esbuildOptions(sls.custom.esbuild);
  const packaged = await packageService('dev');
  const work = temporaryDirectory('fleetwatch-bench-');
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    for (const [name, fn] of Object.entries(sls.functions)) {
      const file = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
      const zip = path.join(packaged.dir, `${name}.zip`);
      const unpacked = path.join(work, name);
      mkdirSync(unpacked, { recursive: true });
      await run('unzip', ['-q', '-o', zip, '-d', unpacked]);
      const module = path.join(unpacked, `${file}.mjs`);

      const packages = await sdkClientsOf(path.join(ROOT, `${file}.ts`), options);
      const floorDir = path.join(work, `${name}-floor`);
      mkdirSync(floorDir, { recursive: true });
      const floor = await buildFloor(floorDir, packages, options);
      const floorZip = path.join(floorDir, 'floor.zip');
      await run('zip', ['-q', '-j', '-9', floorZip, floor, `${floor}.map`]);

      // One discarded import each warms the file cache; then alternate the two so that drift
      // in the machine's load hits both alike.
      await loadMs(module);
      await loadMs(floor);
      const own: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        own.push(await loadMs(module));
        base.push(await loadMs(floor));
      }
      const sizes = await zipSizes(zip);
      const floorSizes = await zipSizes(floorZip);
      rows.push(
        againstFloor(`${name}: module load, median of ${RUNS} (ms)`, median(own), median(base), MAX_LOAD_RATIO, 1),
        {
          metric: `${name}: zip size (KiB)`,
          measured: fmt(sizes.total / 1024),
          floor: fmt(floorSizes.total / 1024),
          ratio: `${(sizes.total / floorSizes.total).toFixed(2)}x`,
          target: '< 1,024 KiB',
          ok: sizes.total < MAX_ZIP_BYTES ? 'yes' : 'NO',
        },
        {
          metric: `${name}: zip size without source map (KiB)`,
          measured: fmt((sizes.total - sizes.maps) / 1024),
          floor: fmt((floorSizes.total - floorSizes.maps) / 1024),
          ratio: `${((sizes.total - sizes.maps) / (floorSizes.total - floorSizes.maps)).toFixed(2)}x`,
          target: '-',
          ok: '-',
        },
      );
      notes.push(`${name}: SDK packages in the bundle and in its floor: ${packages.map((pkg) => pkg.replace('@aws-sdk/', '')).join(', ')}.`);
    }
    rows.push(...(await attribution(work, options)));
  } finally {
    removeTemporaryDirectories();
  }
  notes.unshift(
    `\`sls package --stage dev\` (offline) in a private copy of the service; each handler module imported in a fresh \`node\` ` +
      `(${process.version}) with the function's environment; ` +
      `floor: a handler bundled with serverless.yml's custom.esbuild options that imports and constructs only the same SDK clients.`,
  );
  return { title: 'Cold start per function', rows, notes };
}

/**
 * Where a handler's load time goes beyond the SDK: the non-SDK dependencies every handler
 * takes in, each bundled alone with the same options, against an empty handler.
 */
async function attribution(work: string, options: BuildOptions): Promise<Row[]> {
  const parts: [string, string][] = [
    ['empty handler', `export const handler = async () => 0;`],
    [
      'zod/mini through lib/schema.ts, with the event and work-item schemas',
      `import { ec2StateChangeSchema } from './lib/entry/event-schemas.ts'; import { parseWorkItem } from './lib/model/work-item.ts'; ` +
        `export const x = [ec2StateChangeSchema, parseWorkItem]; export const handler = async () => x;`,
    ],
    [
      'Powertools tracer (aws-xray-sdk-core)',
      `import { Tracer } from '@aws-lambda-powertools/tracer'; export const t = new Tracer(); export const handler = async () => t;`,
    ],
    [
      'Powertools logger, metrics + middy',
      `import { Logger } from '@aws-lambda-powertools/logger'; import { Metrics } from '@aws-lambda-powertools/metrics'; ` +
        `import middy from '@middy/core'; ` +
        `export const x = [new Logger(), new Metrics({ namespace: 'n' }), middy]; export const handler = async () => x;`,
    ],
  ];
  const rows: Row[] = [];
  let empty = 0;
  for (const [label, contents] of parts) {
    const outfile = path.join(work, `part-${rows.length}.mjs`);
    await build({ ...options, stdin: { contents, resolveDir: ROOT, sourcefile: 'part.ts', loader: 'ts' }, outfile, logLevel: 'silent' });
    await loadMs(outfile);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await loadMs(outfile));
    const ms = median(times);
    if (rows.length === 0) empty = ms;
    rows.push({
      metric: `alone: ${label}, load (ms) / bundle (KiB)`,
      measured: `${fmt(ms, 1)} / ${fmt(statSync(outfile).size / 1024)}`,
      floor: rows.length === 0 ? '-' : fmt(empty, 1),
      ratio: '-',
      target: '-',
      ok: '-',
    });
  }
  return rows;
}
