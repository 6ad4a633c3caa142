/** TelemetryPort on CloudWatch ListMetrics and CloudWatch Logs DescribeLogStreams. */
import { paginateListMetrics, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { paginateDescribeLogStreams, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { TelemetryPort } from '../ports.js';
import { callAws, undefinedIfNotFound } from './errors.js';

export function createTelemetryPort(cloudwatch: CloudWatchClient, logs: CloudWatchLogsClient): TelemetryPort {
  return {
    instancesReportingMetrics: (namespace) =>
      callAws({ operation: 'ListMetrics', resource: namespace }, async () => {
        const ids = new Set<string>();
        // RecentlyActive PT3H: only metrics that received data in the past three hours (the only
        // window ListMetrics offers). Filtering on the dimension name alone returns every
        // instance's metrics, 500 a page: one paginated call for the fleet.
        const pages = paginateListMetrics({ client: cloudwatch }, { Namespace: namespace, Dimensions: [{ Name: 'InstanceId' }], RecentlyActive: 'PT3H' });
        for await (const page of pages) {
          for (const metric of page.Metrics ?? []) {
            const id = metric.Dimensions?.find((dimension) => dimension.Name === 'InstanceId')?.Value;
            if (id) ids.add(id);
          }
        }
        return ids;
      }),

    recentLogStreams: async (logGroupName, since) =>
      (await undefinedIfNotFound(
        callAws({ operation: 'DescribeLogStreams', resource: logGroupName }, async () => {
          const names = new Set<string>();
          // Newest first: the walk stops at the first stream whose last event is older than
          // `since`, so a group with many idle streams costs only the pages of the active ones.
          const pages = paginateDescribeLogStreams({ client: logs }, { logGroupName, orderBy: 'LastEventTime', descending: true });
          for await (const page of pages) {
            for (const stream of page.logStreams ?? []) {
              if ((stream.lastEventTimestamp ?? 0) < since) return names;
              if (stream.logStreamName) names.add(stream.logStreamName);
            }
          }
          return names;
        }),
      )) ?? new Set<string>(),
  };
}
