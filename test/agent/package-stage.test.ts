/**
 * Every resolver that reads agent/configs at package time judges them for the stage being
 * packaged: a configuration whose agent.region is the stage's own region packages, whether
 * serverless/agent-configs.cjs or serverless/iam.cjs reads it. (osls runs the resolvers in the
 * service directory; here that is a temporary one holding the configuration and a link to lib/.)
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const service = mkdtempSync(path.join(tmpdir(), 'fleetwatch-i12-service-'));
mkdirSync(path.join(service, 'agent', 'configs'), { recursive: true });
writeFileSync(path.join(service, 'serverless.yml'), 'service: fleetwatch\n');
symlinkSync(path.resolve(import.meta.dirname, '..', '..', 'lib'), path.join(service, 'lib'));
writeFileSync(
  path.join(service, 'agent', 'configs', 'regional.json'),
  JSON.stringify({ agent: { region: 'eu-west-1' }, logs: { logs_collected: { files: { collect_list: [{ file_path: '/var/log/messages' }] } } } }),
);
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(service, { recursive: true, force: true });
});

const variables: Record<string, string> = {
  'sls:stage': 'dev',
  'self:provider.region': 'eu-west-1',
  'param:selectorTagKey': 'fleetwatch:config',
  'param:allowLogsEndpointOverride': 'false',
  'param:allowCrossAccountLogs': 'false',
  'param:maxLogGroupsPerInstance': '50',
};
const context = { resolveVariable: async (name: string) => variables[name] };

describe('package-time resolvers in a stage whose region the configuration names', () => {
  vi.spyOn(process, 'cwd').mockReturnValue(service);

  it('agent-configs.cjs packages it', async () => {
    const agentConfigs = (await import('../../serverless/agent-configs.cjs')).default;
    await expect(agentConfigs.names(context)).resolves.toBe('regional');
  });

  it('iam.cjs packages it', async () => {
    const iam = (await import('../../serverless/iam.cjs')).default as unknown as { resources(context: unknown): Promise<{ Resources: Record<string, unknown> }> };
    await expect(iam.resources(context)).resolves.toHaveProperty('Resources');
  });
});
