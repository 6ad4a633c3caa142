'use strict';
/* global module, process, require -- CommonJS: osls loads ${file(x.cjs)} resolvers with require() */
/* eslint-disable @typescript-eslint/no-require-imports -- same reason */
const { createHash } = require('node:crypto');
/**
 * Small derived settings that serverless.yml cannot compute itself. Each exported resolver is
 * called by osls for ${file(serverless/stage.cjs):<name>} with ({ resolveVariable, ... }).
 */
class StageSettingError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StageSettingError';
    // osls prints error.stack: a stack trace of this resolver would only hide the message.
    this.stack = `${this.name}: ${message}`;
  }
}

const OFF = 'off';
/** An EventBridge rule needs a valid expression even when disabled. */
const PLACEHOLDER = 'rate(1 day)';
const EXPRESSION = /^(rate\(1 (minute|hour|day)\)|rate\(([2-9]|[1-9][0-9]+) (minutes|hours|days)\)|cron\(.+\))$/;

/**
 * The drift-sweep schedule from the stage's `sweepSchedule` param: rate(...), cron(...) or "off".
 * "off" keeps the rule with a placeholder expression and disables it (`enabled: false`, State
 * DISABLED) rather than removing the event, so switching it back on changes one property.
 */
function parseSweepSchedule(value) {
  const text = String(value).trim();
  if (text === OFF) return { expression: PLACEHOLDER, enabled: false };
  if (!EXPRESSION.test(text)) {
    throw new StageSettingError(`param sweepSchedule must be "off", rate(1 hour), rate(<n> hours) (minute/hour/day) or cron(...); got ${JSON.stringify(value)}`);
  }
  return { expression: text, enabled: true };
}

/**
 * SQS visibility timeout of the work queue: AWS asks for at least six times the consuming
 * function's timeout, so that a batch Lambda is still retrying is not delivered again meanwhile.
 */
function visibilityTimeoutFor(workerTimeoutSeconds) {
  const timeout = Number(workerTimeoutSeconds);
  if (!Number.isInteger(timeout) || timeout <= 0) throw new StageSettingError(`custom.worker.timeout must be a positive integer; got ${workerTimeoutSeconds}`);
  // SQS caps the visibility timeout at 12 hours.
  return Math.min(6 * timeout, 43_200);
}

/**
 * The environment values that are CloudFormation references in a deployed stack. `sls invoke
 * local` cannot resolve a reference without a deployed stack (it asks CloudFormation), so when
 * FLEETWATCH_LOCAL_ENDPOINT names a local emulator (scripts/invoke-local.ts sets it) the plain
 * values from the environment stand in.
 */
function deployedOrLocal(reference, localVariable, localDefault) {
  return () => (process.env.FLEETWATCH_LOCAL_ENDPOINT ? process.env[localVariable] ?? localDefault : reference);
}

/**
 * The bundle's file extension. A deployed zip holds no package.json, so ESM must be .mjs; but
 * `sls invoke local` loads only .js (as ESM, through the repository's "type": "module") or .cjs.
 */
/**
 * The CloudFormation export that claims a selector tag key in an account and region. Export names
 * are unique per account and region, so a second stack whose stage selects with the same key fails
 * its deploy ("Export with name … is already exported by stack fleetwatch-<other stage>") before
 * anything is created: two stages never share a fleet without knowing it. Readable when it can be
 * (every character but a letter or digit as -<hex>, so distinct keys get distinct names), else a
 * hash (non-ASCII keys, or names past 200 characters).
 */
function selectorClaimExportName(selectorTagKey) {
  const key = String(selectorTagKey);
  const parts = [...key].map((ch) => {
    const code = ch.codePointAt(0);
    if (/[A-Za-z0-9]/.test(ch)) return ch;
    return code < 128 ? `-${code.toString(16).padStart(2, '0')}` : undefined;
  });
  const readable = parts.includes(undefined) ? undefined : parts.join('');
  const body = readable !== undefined && readable.length <= 200 ? readable : `sha256-${createHash('sha256').update(key).digest('hex')}`;
  return `fleetwatch-selector-${body}`;
}

function bundleExtension() {
  return process.env.FLEETWATCH_LOCAL_ENDPOINT ? '.js' : '.mjs';
}

module.exports = {
  StageSettingError,
  bundleExtension,
  accountId: deployedOrLocal({ Ref: 'AWS::AccountId' }, 'FLEETWATCH_ACCOUNT_ID', '123456789012'),
  stateTable: deployedOrLocal({ Ref: 'StateTable' }, 'FLEETWATCH_STATE_TABLE', 'fleetwatch-local-state'),
  workQueueUrl: deployedOrLocal({ Ref: 'WorkQueue' }, 'FLEETWATCH_WORK_QUEUE_URL', ''),
  parseSweepSchedule,
  visibilityTimeoutFor,
  selectorClaimExportName,
  selectorClaimExport: async ({ resolveVariable }) => selectorClaimExportName(await resolveVariable('param:selectorTagKey')),
  sweepExpression: async ({ resolveVariable }) => parseSweepSchedule(await resolveVariable('param:sweepSchedule')).expression,
  sweepEnabled: async ({ resolveVariable }) => parseSweepSchedule(await resolveVariable('param:sweepSchedule')).enabled,
  workQueueVisibilityTimeout: async ({ resolveVariable }) => visibilityTimeoutFor(await resolveVariable('self:custom.worker.timeout')),
};
