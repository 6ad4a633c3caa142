/** Agent configuration: parse, validate, list log groups, resolve placeholders (DESIGN.md, lib/agent). */
export type { AgentConfig, AgentConfigValidation, LogGroupSpec } from './validate.js';
export {
  ADVANCED_PARAMETER_MAX_BYTES,
  STANDARD_PARAMETER_MAX_BYTES,
  defaultLogGroupName,
  parameterTierFor,
  parseAgentConfig,
  validateAgentConfig,
} from './validate.js';
export type { InstanceFacts, LogGroupPlaceholder, ResolvedName } from './placeholders.js';
export {
  LOG_GROUP_NAME_MAX_LENGTH,
  LOG_GROUP_PLACEHOLDERS,
  hasPlaceholders,
  logGroupNameTemplateProblems,
  resolveLogGroupName,
  unknownPlaceholders,
} from './placeholders.js';
export type { TelemetrySignals } from './telemetry.js';
export { DEFAULT_METRICS_NAMESPACE, telemetrySignals } from './telemetry.js';
