/**
 * TelemetryPort: what CloudWatch hears from the simulated agents. An agent that is installed,
 * running, configured and not silenced sends its configuration's metrics (one per measurement,
 * with an InstanceId dimension when the configuration appends it) and writes to its log streams.
 */
import { resolveLogGroupName, telemetrySignals, validateAgentConfig, type TelemetrySignals } from '../../lib/agent/index.js';
import type { TelemetryPort } from '../../lib/ports.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { LIMITS } from '../operations.js';
import { isReporting } from '../world/agent.js';
import { anyResource, arnsOf } from './arns.js';
import { paginate } from './paginate.js';

interface Signals extends TelemetrySignals {
  measurements: number;
}

export function telemetryPort(account: AccountBackend, layer: CallLayer): TelemetryPort {
  // Configurations are few and agents many: parse each configuration text once.
  const signalsOf = new Map<string, Signals | undefined>();
  const signals = (value: string | undefined): Signals | undefined => {
    if (value === undefined) return undefined;
    if (!signalsOf.has(value)) {
      const result = validateAgentConfig(value);
      const collected = (result.ok ? (result.config.document.metrics as { metrics_collected?: Record<string, { measurement?: unknown[] }> } | undefined) : undefined)?.metrics_collected ?? {};
      const measurements = Object.values(collected).reduce((sum, section) => sum + Math.max(1, section.measurement?.length ?? 1), 0);
      signalsOf.set(value, result.ok ? { ...telemetrySignals(result.config), measurements } : undefined);
    }
    return signalsOf.get(value);
  };
  const reporting = () =>
    [...account.ec2.instances.values()].flatMap((instance) => {
      const agent = account.agent(instance.instanceId);
      const found = isReporting(agent) ? signals(agent.configValue) : undefined;
      return found ? [{ instance: account.ec2.toInstance(instance), signals: found }] : [];
    });

  return {
    instancesReportingMetrics: async (namespace) => {
      const metrics = await paginate(
        layer,
        'ListMetrics',
        LIMITS.listMetricsPage,
        () => reporting().flatMap(({ instance, signals: s }) => (s.metricsNamespace === namespace ? Array.from({ length: s.measurements }, () => instance.instanceId) : [])),
        (instanceId) => instanceId,
        anyResource('cloudwatch:ListMetrics'),
      );
      return new Set(metrics);
    },

    recentLogStreams: async (logGroupName) => {
      const facts = { region: account.region, accountId: account.accountId };
      const streams = await paginate(
        layer,
        'DescribeLogStreams',
        LIMITS.logStreamsPage,
        () =>
          reporting().flatMap(({ instance, signals: s }) =>
            s.logGroupsByInstanceStream.some((template) => {
              const resolved = resolveLogGroupName(template, { ...facts, ...instance });
              return resolved.ok && resolved.name === logGroupName;
            })
              ? [instance.instanceId]
              : [],
          ),
        (instanceId) => instanceId,
        [{ action: 'logs:DescribeLogStreams', resource: arnsOf(account).logGroup(logGroupName) }],
      );
      return new Set(streams);
    },
  };
}
