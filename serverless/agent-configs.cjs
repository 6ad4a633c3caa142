'use strict';
/* global require, module, __dirname, process, Buffer -- CommonJS on Node: osls loads ${file(x.cjs)} resolvers with require() */
/* eslint-disable @typescript-eslint/no-require-imports -- same reason */
/**
 * The bundled agent configurations (agent/configs/<name>.json) as CloudFormation: one
 * AWS::SSM::Parameter per file, named AmazonCloudWatch-fleetwatch-<stage>-<name>, holding the
 * MINIFIED JSON. Resolved by serverless.yml through ${file(serverless/agent-configs.cjs):<key>},
 * so editing a configuration and packaging again gives a template with the new value.
 *
 * Limits this enforces at package time:
 * - Parameter Store values: Standard tier up to 4 KB (4096 bytes), Advanced up to 8 KB (8192
 *   bytes). The tier follows the minified size; over 8 KB packaging fails naming the file.
 *   NOTE: SSM can move a parameter from Standard to Advanced but never back, so a configuration
 *   that shrinks below 4 KB after it was deployed as Advanced makes the update fail: delete the
 *   parameter (or rename the file) in that case.
 * - A name must match lib/config.ts CONFIG_NAME_PATTERN (it is also the selector tag's value).
 * - The content passes the same validator as a Parameter Store change does (lib/agent: the
 *   agent's own schema, then fleetwatch's stricter rules, with the stage's region, allowances
 *   and limits). osls loads this file with require(), which cannot load TypeScript: esbuild
 *   (already here for the functions' bundles) bundles lib/agent/index.ts in memory once per run.
 *
 * osls resolves variables again inside values a resolver returns, and the agent's own
 * placeholders look exactly like one ("${aws:InstanceId}" is osls' "aws" source). A value that
 * contains "${" is therefore emitted as Fn::Join of pieces split between "$" and "{": the
 * deployed value is byte-for-byte the minified JSON, and osls never sees "${".
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const STANDARD_MAX_BYTES = 4096;
const ADVANCED_MAX_BYTES = 8192;
/** Same as CONFIG_NAME_PATTERN in lib/config.ts (kept in sync by test/template/agent-configs.test.ts). */
const CONFIG_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

// The service being packaged: osls runs from the directory holding serverless.yml. Not __dirname:
// require() resolves a symlinked serverless/ back to where it points, which may be another copy.
const SERVICE_DIR = fs.existsSync(path.join(process.cwd(), 'serverless.yml')) ? process.cwd() : path.join(__dirname, '..');
const DEFAULT_DIR = path.join(SERVICE_DIR, 'agent', 'configs');

class AgentConfigError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AgentConfigError';
    // osls prints error.stack: a stack trace of this resolver would only hide the message.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Standard up to 4096 bytes, Advanced up to 8192; over that, an error naming the file and its size. */
function parameterTier(file, bytes) {
  if (bytes <= STANDARD_MAX_BYTES) return 'Standard';
  if (bytes <= ADVANCED_MAX_BYTES) return 'Advanced';
  throw new AgentConfigError(
    `${file}: minified size ${bytes} bytes exceeds the Parameter Store Advanced tier limit of ${ADVANCED_MAX_BYTES} bytes; split the configuration or drop entries`,
  );
}

let agentModule;

/** lib/agent, bundled by esbuild into CommonJS and loaded from memory: the validator the functions run. */
function agentValidator() {
  if (!agentModule) {
    const entry = path.join(SERVICE_DIR, 'lib', 'agent', 'index.ts');
    const { outputFiles } = require('esbuild').buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const bundle = new Module(entry, module);
    bundle.filename = entry;
    bundle.paths = Module._nodeModulePaths(path.dirname(entry));
    bundle._compile(outputFiles[0].text, entry);
    agentModule = bundle.exports;
  }
  return agentModule;
}

/**
 * Reads every <name>.json in dir, sorted by name. Returns { name, file, value, bytes, tier }.
 * Every problem (bad name, bad JSON, rejected by the validator, too big) is collected and thrown
 * at once. policy: the stage's region, accountId, allowances and limits (lib/agent rules.ts);
 * without one, every allowance is off.
 */
function loadAgentConfigs(dir = DEFAULT_DIR, policy = undefined) {
  let entries;
  try {
    entries = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (error) {
    throw new AgentConfigError(`cannot read agent configurations from ${dir}: ${error.message}`);
  }
  const configs = [];
  const problems = [];
  for (const file of entries) {
    // Shown relative to the service directory when it is under it ("agent/configs/web.json").
    const full = path.join(dir, file);
    const shown = full.startsWith(SERVICE_DIR + path.sep) ? path.relative(SERVICE_DIR, full) : full;
    const name = file.slice(0, -'.json'.length);
    if (!CONFIG_NAME_PATTERN.test(name)) {
      problems.push(`${shown}: configuration name "${name}" must match ${CONFIG_NAME_PATTERN.source}`);
      continue;
    }
    let parsed;
    try {
      parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${shown}: not valid JSON: ${error.message}`);
      continue;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`${shown}: an agent configuration must be a JSON object`);
      continue;
    }
    const validation = agentValidator().validateAgentDocument(parsed, policy);
    if (!validation.ok) problems.push(...validation.problems.map((problem) => `${shown}: ${problem}`));
    const value = JSON.stringify(parsed);
    const bytes = Buffer.byteLength(value, 'utf8');
    try {
      const tier = parameterTier(shown, bytes);
      if (validation.ok) configs.push({ name, file: shown, value, bytes, tier });
    } catch (error) {
      problems.push(error.message);
    }
  }
  if (configs.length === 0 && problems.length === 0) problems.push(`no agent configurations (*.json) in ${dir}`);
  const ids = new Map();
  for (const config of configs) {
    const id = logicalId(config.name);
    if (ids.has(id)) problems.push(`configurations "${ids.get(id)}" and "${config.name}" map to the same CloudFormation logical id ${id}; rename one`);
    ids.set(id, config.name);
  }
  if (problems.length > 0) {
    throw new AgentConfigError(`agent configurations rejected:\n  - ${problems.join('\n  - ')}`);
  }
  return configs;
}

/** "web-2.linux" -> "AgentConfigWeb2linuxParameter". */
function logicalId(name) {
  const pascal = name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
  return `AgentConfig${pascal}Parameter`;
}

/** A string value CloudFormation deploys verbatim, with no "${" left for osls to resolve. */
function literal(value) {
  if (!value.includes('${')) return value;
  return { 'Fn::Join': ['', value.split('${').flatMap((piece, i) => (i === 0 ? [piece] : ['$', `{${piece}`]))] };
}

function parameterPrefix(stage) {
  return `AmazonCloudWatch-fleetwatch-${stage}-`;
}

/** CloudFormation resources: one AWS::SSM::Parameter per configuration. */
function parameterResources(stage, configs) {
  const resources = {};
  for (const config of configs) {
    resources[logicalId(config.name)] = {
      Type: 'AWS::SSM::Parameter',
      Properties: {
        Name: `${parameterPrefix(stage)}${config.name}`,
        Description: `fleetwatch ${stage}: CloudWatch agent configuration ${config.name} (${config.bytes} bytes minified)`,
        Type: 'String',
        DataType: 'text',
        Tier: config.tier,
        Value: literal(config.value),
        Tags: { 'fleetwatch:managed-by': 'fleetwatch', 'fleetwatch:stage': stage, 'fleetwatch:config-name': config.name },
      },
    };
  }
  return resources;
}

/** The exact parameter ARNs of this stage's configurations (no prefix wildcard: stage "dev" must not cover "dev-x"). */
function parameterArns(stage, configs) {
  return configs.map((config) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${parameterPrefix(stage)}${config.name}`,
  }));
}

async function stageOf({ options, resolveVariable }) {
  if (resolveVariable) return String(await resolveVariable('sls:stage'));
  return (options && options.stage) || 'dev';
}

/**
 * The stage's settings the validator needs, from serverless.yml (provider.region and params).
 * The account is not known at package time, so a logs role_arn passes only with allowCrossAccountLogs.
 */
async function policyOf({ resolveVariable }) {
  if (!resolveVariable) return undefined;
  const read = async (variable) => String(await resolveVariable(variable));
  const max = Number(await read('param:maxLogGroupsPerInstance'));
  return {
    ...agentValidator().NO_STAGE_POLICY,
    region: await read('self:provider.region'),
    allowLogsEndpointOverride: (await read('param:allowLogsEndpointOverride')) === 'true',
    allowCrossAccountLogs: (await read('param:allowCrossAccountLogs')) === 'true',
    ...(Number.isInteger(max) && max > 0 && { maxLogGroupsPerInstance: max }),
  };
}

/** The configurations as judged for the stage being packaged: what every resolver reading them uses. */
async function stageConfigs(context) {
  return loadAgentConfigs(DEFAULT_DIR, await policyOf(context));
}

const announced = new Set();

/** The configurations, with their sizes and tiers printed once per package/deploy (osls calls resolvers once per reference). */
async function configsFor(context) {
  const stage = await stageOf(context);
  const configs = await stageConfigs(context);
  if (!announced.has(stage)) {
    announced.add(stage);
    for (const config of configs) {
      process.stderr.write(`fleetwatch: ${config.file} -> ${parameterPrefix(stage)}${config.name} (${config.bytes} bytes, ${config.tier})\n`);
    }
  }
  return { stage, configs };
}

module.exports = {
  STANDARD_MAX_BYTES,
  ADVANCED_MAX_BYTES,
  CONFIG_NAME_PATTERN,
  AgentConfigError,
  parameterTier,
  loadAgentConfigs,
  stageConfigs,
  logicalId,
  literal,
  parameterPrefix,
  parameterResources,
  parameterArns,
  // Resolvers for serverless.yml: ${file(serverless/agent-configs.cjs):names} and :resources.
  /** FLEETWATCH_CONFIG_NAMES: the configuration names, comma-separated, sorted. */
  names: async (context) => (await configsFor(context)).configs.map((c) => c.name).join(','),
  /** { Resources }: one AWS::SSM::Parameter per configuration, for the `resources` array. */
  resources: async (context) => {
    const { stage, configs } = await configsFor(context);
    return { Resources: parameterResources(stage, configs) };
  },
};
