/** Types of serverless/agent-configs.cjs for the tests (osls itself loads the .cjs). */
type Intrinsic = Record<string, unknown>;
interface AgentConfig {
  name: string;
  file: string;
  /** The minified JSON. */
  value: string;
  bytes: number;
  tier: 'Standard' | 'Advanced';
}
interface ResolverContext {
  options?: Record<string, unknown>;
  resolveVariable?: (variable: string) => Promise<unknown>;
}
declare const agentConfigs: {
  STANDARD_MAX_BYTES: number;
  ADVANCED_MAX_BYTES: number;
  CONFIG_NAME_PATTERN: RegExp;
  AgentConfigError: new (message: string) => Error;
  parameterTier(file: string, bytes: number): 'Standard' | 'Advanced';
  /** policy: lib/agent's AgentConfigPolicy (the stage's region, allowances and limits). */
  loadAgentConfigs(dir?: string, policy?: Record<string, unknown>): AgentConfig[];
  /** agent/configs judged with the packaged stage's settings (read through resolveVariable). */
  stageConfigs(context: ResolverContext): Promise<AgentConfig[]>;
  logicalId(name: string): string;
  literal(value: string): string | Intrinsic;
  parameterPrefix(stage: string): string;
  parameterResources(stage: string, configs: AgentConfig[]): Record<string, Intrinsic>;
  parameterArns(stage: string, configs: AgentConfig[]): Intrinsic[];
  names(context: ResolverContext): Promise<string>;
  resources(context: ResolverContext): Promise<{ Resources: Record<string, Intrinsic> }>;
};
export = agentConfigs;
