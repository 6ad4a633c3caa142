/** Agent configuration: validate (the agent's schema, then fleetwatch's rules), derive log groups, resolve placeholders. */
export type { AgentConfig, AgentConfigValidation } from './validate.js';
export {
  ADVANCED_PARAMETER_MAX_BYTES,
  STANDARD_PARAMETER_MAX_BYTES,
  parameterTierFor,
  parseAgentConfig,
  validateAgentConfig,
  validateAgentDocument,
} from './validate.js';
export type { AgentConfigPolicy } from './rules.js';
export { NO_STAGE_POLICY } from './rules.js';
export type { LogGroupSpec } from './log-groups.js';
export { defaultLogGroupName, goFilepathExt } from './log-groups.js';
export { agentSchemaProblems } from './schema.js';
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
