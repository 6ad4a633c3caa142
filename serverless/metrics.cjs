'use strict';
/* global module -- CommonJS on Node: osls loads ${file(x.cjs)} resolvers with require() */
/**
 * Where the service's own metrics live, for the dashboard and the alarms alike. Powertools
 * Metrics (functions/runtime.ts: namespace and serviceName "fleetwatch") publishes every metric
 * with the single dimension service=<serviceName>. A CloudWatch metric is identified by its exact
 * dimension set, so a widget or an alarm must name exactly that set to find the data.
 */
const SERVICE = 'fleetwatch';
const NAMESPACE = SERVICE;
const DIMENSIONS = ['service', SERVICE];

module.exports = { SERVICE, NAMESPACE, DIMENSIONS };
