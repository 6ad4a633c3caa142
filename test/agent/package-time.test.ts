/**
 * The bundled configurations are validated at package time by the validator the functions run
 * (serverless/agent-configs.cjs bundles lib/agent with esbuild): what a Parameter Store change
 * would be rejected for fails `sls package` too, naming the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import agentConfigs from '../../serverless/agent-configs.cjs';

const dirs: string[] = [];
function configDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetwatch-i12-configs-'));
  dirs.push(dir);
  for (const [name, document] of Object.entries(files)) writeFileSync(path.join(dir, name), JSON.stringify(document));
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function rejection(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

const collect = (entry: object) => ({ logs: { logs_collected: { files: { collect_list: [entry] } } } });

describe('package-time validation of agent/configs', () => {
  it('rejects what the agent rejects, naming the file and the field', () => {
    const message = rejection(() => agentConfigs.loadAgentConfigs(configDir({ 'web.json': { agent: [] }, 'ok.json': {} })));
    expect(message).toMatch(/web\.json: agent: must be an object \(got an array\)/);
    expect(message).not.toMatch(/ok\.json/);
  });

  it("rejects what breaks fleetwatch's stricter rules", () => {
    const message = rejection(() => agentConfigs.loadAgentConfigs(configDir({ 'web.json': collect({ file_path: '/var/log/a.log', log_group_name: '/a/{date}' }) })));
    expect(message).toMatch(/web\.json: logs\.logs_collected\.files\.collect_list\[0\]\.log_group_name: \{date\}/);
  });

  it("judges agent.region by the stage's region and its limits by the stage's params", async () => {
    const dir = configDir({ 'web.json': { agent: { region: 'us-east-1' } } });
    expect(rejection(() => agentConfigs.loadAgentConfigs(dir, { region: 'eu-west-1', allowLogsEndpointOverride: false, allowCrossAccountLogs: false, maxLogGroupsPerInstance: 50 }))).toMatch(
      /web\.json: agent\.region: the agent would send logs to us-east-1, but this stage creates log groups in eu-west-1/,
    );
    expect(agentConfigs.loadAgentConfigs(dir, { region: 'us-east-1', allowLogsEndpointOverride: false, allowCrossAccountLogs: false, maxLogGroupsPerInstance: 50 })).toHaveLength(1);
  });

  it('the resolvers read the stage settings from serverless.yml', async () => {
    const variables: Record<string, string> = {
      'sls:stage': 'i12test',
      'self:provider.region': 'eu-west-1',
      'param:allowLogsEndpointOverride': 'false',
      'param:allowCrossAccountLogs': 'false',
      'param:maxLogGroupsPerInstance': '1',
    };
    const resolveVariable = async (name: string) => variables[name];
    // web.json names six log groups: over a limit of one.
    await expect(agentConfigs.names({ resolveVariable })).rejects.toThrow(/web\.json: logs\.logs_collected: names 6 log groups, more than the 1 per instance/);
    variables['param:maxLogGroupsPerInstance'] = '50';
    await expect(agentConfigs.names({ resolveVariable })).resolves.toBe('default,web,windows');
  });
});
