/** All ports of one simulated "Lambda": its SDK clients share one call layer (latency, retries). */
import { noMetrics, silentLog, type Log, type MetricSink, type Ports } from '../../lib/ports.js';
import { serviceEventSource } from '../../lib/model/service-events.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer, CallOptions } from '../calls.js';
import { ec2Port } from './ec2.js';
import { eventsPort } from './events.js';
import { iamPort } from './iam.js';
import { logsPort } from './logs.js';
import { telemetryPort } from './telemetry.js';
import { queuePort } from './queue.js';
import { ssmPort } from './ssm.js';
import { rolloutPort, statePort } from './state.js';

export interface PortsOptions extends CallOptions {
  /** The stage's event source (serviceEventSource); default that of stage "dev", as testSettings. */
  eventSource?: string;
  log?: Log;
  metrics?: MetricSink;
}

export function buildPorts(account: AccountBackend, layer: CallLayer, options: PortsOptions): Ports {
  return {
    ec2: ec2Port(account, layer),
    iam: iamPort(account, layer),
    ssm: ssmPort(account, layer),
    logs: logsPort(account, layer),
    telemetry: telemetryPort(account, layer),
    state: statePort(account, layer),
    rollouts: rolloutPort(account, layer),
    queue: queuePort(account, layer),
    events: eventsPort(account, layer, options.eventSource ?? serviceEventSource('dev')),
    clock: account.clock,
    log: options.log ?? silentLog,
    metrics: options.metrics ?? noMetrics,
  };
}
