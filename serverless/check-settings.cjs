'use strict';
/* global require, module, __filename -- CommonJS on Node: osls loads local plugins with require() */
/* eslint-disable @typescript-eslint/no-require-imports -- same reason */
/**
 * An osls plugin that fails `sls package` (and so `sls deploy`) when the stage's settings would
 * fail the functions' cold start. It runs lib/config.ts loadSettings, the very parser every
 * function runs at cold start, on each function's environment as osls resolved it, so a misspelt
 * `--param="profileMode=atach"` stops packaging with the message the cold start would log.
 *
 * Settings only the template uses (sweepSchedule, alarmTopicArn, ...) are checked by their
 * resolvers in serverless/stage.cjs and serverless/alarms.cjs as osls resolves them.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');

/**
 * What CloudFormation fills in at deploy time, stood in by a valid value of the same shape: the
 * check is about the stage's settings, not about values no one can misspell.
 */
const DEPLOY_TIME = {
  FLEETWATCH_ACCOUNT_ID: '123456789012',
  FLEETWATCH_STATE_TABLE: 'fleetwatch-state',
  FLEETWATCH_WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fleetwatch-work',
};

/**
 * The setting behind an environment variable, from serverless.yml as written (osls hands plugins
 * only resolved values): `FLEETWATCH_PROFILE_MODE: ${param:profileMode}` -> "param profileMode".
 */
function settingOf(serverlessYml, name) {
  const match = new RegExp(`^\\s+${name}:\\s*\\$\\{(param|self|sls|opt|env):([^,}]+)`, 'm').exec(serverlessYml);
  return match ? `${match[1]} ${match[2]}` : undefined;
}

/** `loadSettings` of lib/config.ts, compiled on the fly by tsx: packaging runs from a checkout with devDependencies. */
async function loadSettingsParser() {
  const { tsImport } = await import('tsx/esm/api');
  const { loadSettings } = await tsImport('../lib/config.ts', __filename);
  return loadSettings;
}

/** The environment lib/config.ts would read at cold start: the provider's, deploy-time references stood in for. */
function coldStartEnvironment(service, functionEnvironment = {}) {
  const resolved = { ...service.provider.environment, ...functionEnvironment };
  const env = { AWS_REGION: String(service.provider.region) };
  for (const [name, value] of Object.entries(resolved)) env[name] = typeof value === 'string' || typeof value === 'number' ? String(value) : DEPLOY_TIME[name];
  return env;
}

/**
 * The stage's settings as the functions read them, for plugins that build from them
 * (serverless/organization.cjs): settings, the organization (undefined in the single-account
 * mode) and the member regions (the stage's region in the single-account mode).
 */
async function stageSettings(service) {
  const { tsImport } = await import('tsx/esm/api');
  const { loadSettings, organizationOf } = await tsImport('../lib/config.ts', __filename);
  const settings = loadSettings(coldStartEnvironment(service));
  const organization = organizationOf(settings);
  return { settings, organization, regions: organization ? organization.regions : [settings.region] };
}

class CheckSettings {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:initialize': () => this.check() };
  }

  async check() {
    const loadSettings = await loadSettingsParser();
    const { service, serviceDir, configurationFilename } = this.serverless;
    const serverlessYml = readFileSync(path.resolve(serviceDir, configurationFilename), 'utf8');
    const problems = new Map();
    for (const [fn, definition] of Object.entries(service.functions ?? {})) {
      try {
        loadSettings(coldStartEnvironment(service, definition.environment));
      } catch (error) {
        if (!Array.isArray(error?.problems)) throw error;
        for (const problem of error.problems) problems.set(problem, (problems.get(problem) ?? []).concat(fn));
      }
    }
    if (problems.size === 0) return;
    const lines = [...problems.keys()].map((problem) => {
      const variable = problem.split(' ')[0];
      const setting = settingOf(serverlessYml, variable);
      return `  - ${problem}${setting ? ` [set by ${setting}]` : ''}`;
    });
    throw new this.serverless.classes.Error(
      `Stage ${service.provider.stage}: these settings would fail every function's cold start (lib/config.ts), so nothing was packaged:\n` +
        `invalid stage settings:\n${lines.join('\n')}`,
      'FLEETWATCH_INVALID_SETTINGS',
    );
  }
}

module.exports = CheckSettings;
module.exports.DEPLOY_TIME = DEPLOY_TIME;
module.exports.settingOf = settingOf;
module.exports.stageSettings = stageSettings;
