/** lib/entry/format.ts formatStatus: what `fleetwatch status` prints for a fleet mid-rollout. */
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../lib/entry/format.js';
import type { FleetStatus } from '../../lib/entry/status.js';

const none = { current: 0, behind: 0, pending: 0, inFlight: 0, failed: 0, unreachable: 0 };
const status: FleetStatus = {
  configurations: [
    {
      configName: 'web',
      parameterName: 'AmazonCloudWatch-fleetwatch-dev-web',
      standingVersion: 3,
      heldBack: { version: 4, why: 'rejected: retention_in_days 8 is not a CloudWatch Logs value' },
      rollout: { version: 3, status: 'in-progress', total: 40, sent: 20, succeeded: 17, failed: 1 },
      instances: { ...none, current: 17, behind: 20, inFlight: 2, failed: 1 },
    },
    {
      configName: 'windows',
      parameterName: 'AmazonCloudWatch-fleetwatch-dev-windows',
      problems: ['parameter AmazonCloudWatch-fleetwatch-dev-windows does not exist'],
      instances: { ...none, pending: 2 },
    },
  ],
  agent: {
    setting: '1.300032.2b361',
    standingVersion: '1.300032.2b361',
    rollout: { version: '1.300032.2b361', status: 'in-progress', total: 20, sent: 10, succeeded: 8, failed: 0 },
    versions: { '1.300032.2b361': 8, '1.300031.1b100': 11, unknown: 1 },
  },
  byStatus: { configured: 17, 'in-flight': 2, failed: 1 },
  problems: [{ instanceId: 'i-0123456789abcdef0', status: 'failed', configName: 'web', error: 'command failed: exit 1' }],
};

describe('formatStatus', () => {
  it('prints one row per configuration, then what is held back or unusable, counts by status and problems', () => {
    const text = formatStatus(status);
    expect(text).toMatch(/^web\s+v3\s+v3 in-progress, sent 20\/40, 17 ok, 1 failed\s+17\s+20\s+-\s+2\s+1\s+-$/m);
    expect(text).toMatch(/^windows\s+none usable\s+-\s+-\s+-\s+2\s+-\s+-\s+-$/m);
    expect(text).toContain('web: v4 held back: rejected: retention_in_days 8 is not a CloudWatch Logs value');
    expect(text).toContain('windows (AmazonCloudWatch-fleetwatch-dev-windows) not usable: parameter AmazonCloudWatch-fleetwatch-dev-windows does not exist');
    expect(text).toContain('instances by status: configured 17, in-flight 2, failed 1');
    expect(text).toMatch(/^i-0123456789abcdef0\s+failed\s+web\s+command failed: exit 1$/m);
    expect(text).not.toContain('\u001b[');
  });

  it('colours failures red only when asked, keeping columns aligned', () => {
    const plain = formatStatus(status).split('\n');
    const coloured = formatStatus(status, { color: true }).split('\n');
    expect(coloured.join('\n')).toContain('\u001b[31mfailed');
    // eslint-disable-next-line no-control-regex -- stripping the colour codes this test is about
    expect(coloured.map((line) => line.replace(/\u001b\[\d+m/g, ''))).toEqual(plain);
  });

  it('shows how far a rollout in progress is, and only what a finished one sent', () => {
    const finished = (sent: number): FleetStatus => ({
      ...status,
      configurations: [{ ...status.configurations[0]!, heldBack: undefined, rollout: { version: 3, status: 'completed', total: 2, sent, succeeded: 0, failed: 0 } }],
    });
    expect(formatStatus(finished(0))).toMatch(/^web\s+v3\s+v3 completed\s+17\s/m);
    expect(formatStatus(finished(2))).toMatch(/^web\s+v3\s+v3 completed, sent 2\s+17\s/m);
  });

  it('prints the agent version that stands, its rollout, and how many instances report each version', () => {
    const text = formatStatus(status);
    expect(text).toContain('agent version: 1.300032.2b361 (setting 1.300032.2b361); rollout of 1.300032.2b361 in-progress, sent 10/20');
    expect(text).toContain('instances by agent version: 1.300031.1b100 11, 1.300032.2b361 8, unknown 1');
  });

  it('says so when there are no records yet', () => {
    expect(formatStatus({ configurations: [], byStatus: {}, problems: [] })).toContain('no instance records yet');
  });
});
