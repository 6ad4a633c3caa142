/**
 * How to tell from outside that an agent running a configuration is sending: its metrics land in
 * the configuration's namespace with an InstanceId dimension (only when append_dimensions asks
 * for "${aws:InstanceId}"), and its log streams are named after the instance by default.
 */
import type { AgentConfig } from './validate.js';

/** The agent's default namespace when metrics.namespace is not set. */
export const DEFAULT_METRICS_NAMESPACE = 'CWAgent';

export interface TelemetrySignals {
  /** The namespace to look for the instance's metrics in; undefined when they cannot be told apart per instance. */
  metricsNamespace?: string;
  /** Log group templates whose stream for an instance is named {instance_id} (the agent's default). */
  logGroupsByInstanceStream: string[];
}

export function telemetrySignals(config: AgentConfig): TelemetrySignals {
  const defaultStream = (config.document.logs as { log_stream_name?: string } | undefined)?.log_stream_name ?? '{instance_id}';
  const metrics = config.document.metrics as { namespace?: string; append_dimensions?: Record<string, unknown>; metrics_collected?: object } | undefined;
  const perInstance = metrics?.metrics_collected !== undefined && metrics.append_dimensions?.InstanceId === '${aws:InstanceId}';
  return {
    ...(perInstance && { metricsNamespace: metrics?.namespace ?? DEFAULT_METRICS_NAMESPACE }),
    // Logs sent to another account (allowCrossAccountLogs) cannot be seen from this one.
    logGroupsByInstanceStream: config.logGroupsElsewhere ? [] : config.logGroups.filter((group) => (group.streamName ?? defaultStream) === '{instance_id}').map((group) => group.name),
  };
}
