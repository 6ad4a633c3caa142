/**
 * Validation of a CloudWatch agent configuration (the JSON stored in Parameter Store), in two
 * layers: the agent's own JSON schema (schema.ts), so that a configuration the agent rejects is
 * always rejected before any instance is touched; then fleetwatch's stricter rules (rules.ts,
 * log-groups.ts), each listed in README "Validation" with its reason. The log groups come from
 * the agent's own naming rules (log-groups.ts).
 *
 * Every problem starts with the JSON path it is about, e.g.
 * `logs.logs_collected.files.collect_list[2].retention_in_days: must be one of ...`;
 * `$` is the document itself.
 */
import { InvalidAgentConfigError } from '../errors.js';
import type { ParameterTier } from '../ports.js';
import { deriveLogGroups, type LogGroupSpec } from './log-groups.js';
import { describe, isObject } from './paths.js';
import { NO_STAGE_POLICY, stricterRuleProblems, type AgentConfigPolicy } from './rules.js';
import { agentSchemaProblems } from './schema.js';

export interface AgentConfig {
  document: Record<string, unknown>;
  /** What is stored in Parameter Store: minified, because of the parameter size limits. */
  minified: string;
  /** One per distinct log group name template, in the order the configuration names them. */
  logGroups: LogGroupSpec[];
  /** Set when the logs go to another account (allowCrossAccountLogs): fleetwatch creates none of logGroups. */
  logGroupsElsewhere?: string;
}

export type AgentConfigValidation = { ok: true; config: AgentConfig } | { ok: false; problems: string[] };

/** Parameter Store value limits: Standard 4 KB, Advanced 8 KB. */
export const STANDARD_PARAMETER_MAX_BYTES = 4096;
export const ADVANCED_PARAMETER_MAX_BYTES = 8192;

/** The cheapest Parameter Store tier that holds this (minified) configuration. */
export function parameterTierFor(minified: string): ParameterTier {
  return Buffer.byteLength(minified, 'utf8') > STANDARD_PARAMETER_MAX_BYTES ? 'Advanced' : 'Standard';
}

/**
 * Validates a configuration for a stage (its region, account, allowances and limits; see
 * rules.ts for what happens without one).
 */
export function validateAgentConfig(text: string, policy: AgentConfigPolicy = NO_STAGE_POLICY): AgentConfigValidation {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`$: not valid JSON (${error instanceof Error ? error.message : String(error)})`] };
  }
  if (!isObject(document)) return { ok: false, problems: [`$: must be a JSON object (got ${describe(document)})`] };
  const minified = JSON.stringify(document);
  const bytes = Buffer.byteLength(minified, 'utf8');
  const sizeProblems =
    bytes > ADVANCED_PARAMETER_MAX_BYTES
      ? [`$: minified configuration is ${bytes} bytes; an Advanced parameter holds at most ${ADVANCED_PARAMETER_MAX_BYTES}`]
      : [];
  const content = validateAgentDocument(document, policy);
  if (!content.ok) return { ok: false, problems: [...content.problems, ...sizeProblems] };
  if (sizeProblems.length > 0) return { ok: false, problems: sizeProblems };
  return { ok: true, config: { document, minified, ...content.derived } };
}

/**
 * The content rules alone, on a parsed document (the parameter's JSON and size are the caller's:
 * serverless/agent-configs.cjs words those itself at package time).
 */
export function validateAgentDocument(
  document: Record<string, unknown>,
  policy: AgentConfigPolicy = NO_STAGE_POLICY,
): { ok: true; derived: Pick<AgentConfig, 'logGroups' | 'logGroupsElsewhere'> } | { ok: false; problems: string[] } {
  // Layer one: the agent's schema. Nothing else is judged on a document the agent rejects.
  const schemaProblems = agentSchemaProblems(document);
  if (schemaProblems.length > 0) return { ok: false, problems: schemaProblems };

  // Layer two: fleetwatch's stricter rules.
  const derived = deriveLogGroups(document);
  const verdict = stricterRuleProblems(document, derived.logGroups, policy);
  const problems = [...verdict.problems, ...derived.problems];
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, derived: { logGroups: derived.logGroups, ...(verdict.logGroupsElsewhere && { logGroupsElsewhere: verdict.logGroupsElsewhere }) } };
}

/** validateAgentConfig for callers that want the config or an exception. */
export function parseAgentConfig(configName: string, text: string, policy: AgentConfigPolicy = NO_STAGE_POLICY): AgentConfig {
  const result = validateAgentConfig(text, policy);
  if (!result.ok) throw new InvalidAgentConfigError(configName, result.problems);
  return result.config;
}
