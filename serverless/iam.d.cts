/** Types of serverless/iam.cjs for the tests (osls itself loads the .cjs). */
type Statement = Record<string, unknown>;
interface RoleContext {
  stage: string;
  region: string;
  selectorTagKey: string;
  configs: { name: string }[];
}
declare const iam: {
  AGENT_MANAGED_POLICIES: string[];
  FUNCTION_STATEMENTS: Record<string, string[]>;
  statements: Record<string, (context: RoleContext & { fn: string }) => Statement | Statement[]>;
  roleLogicalId(fn: string): string;
  roleName(context: Pick<RoleContext, 'stage' | 'region'>, fn: string): string;
  roleResources(context: RoleContext): { Resources: Record<string, Statement> };
  buildAgentRoleStatements(context: Pick<RoleContext, 'stage' | 'configs'>): Statement[];
};
export = iam;
