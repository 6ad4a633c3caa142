/**
 * The CloudWatch agent's own version: what an instance reports it runs, and which version a fleet
 * ran before an upgrade. Pure.
 */
import { AGENT_VERSION_PATTERN } from '../config.js';

/** Distributor's package of the CloudWatch agent, as agent/document.yml installs it. */
export const AGENT_PACKAGE_NAME = 'AmazonCloudWatchAgent';

/**
 * The version in `amazon-cloudwatch-agent-ctl -a status` output, the JSON object
 * {"status": "running", "starttime": "...", "configstatus": "configured", "version": "1.300032.2b361"}
 * (aws/amazon-cloudwatch-agent packaging/dependencies/amazon-cloudwatch-agent-ctl, cwa_status).
 * The step's output may carry other lines around the object (SSM joins a nested document's
 * output), so the first {...} is parsed. Undefined when there is none, or its version is not one
 * (AGENT_VERSION_PATTERN): an instance's output is untrusted, and never reaches a document unchecked.
 */
export function agentVersionOfStatus(output: string | undefined): string | undefined {
  if (!output) return undefined;
  const start = output.indexOf('{');
  const end = output.indexOf('}', start);
  if (start < 0 || end < 0) return undefined;
  try {
    const status = JSON.parse(output.slice(start, end + 1)) as { version?: unknown };
    return typeof status.version === 'string' && AGENT_VERSION_PATTERN.test(status.version) ? status.version : undefined;
  } catch {
    return undefined;
  }
}

/** The version most of these records report (ties: the first seen); undefined when none reports one. */
export function mostCommonAgentVersion(records: readonly { agentVersion?: string }[]): string | undefined {
  const counts = new Map<string, number>();
  for (const { agentVersion } of records) if (agentVersion) counts.set(agentVersion, (counts.get(agentVersion) ?? 0) + 1);
  let best: [string, number] | undefined;
  for (const entry of counts) if (!best || entry[1] > best[1]) best = entry;
  return best?.[0];
}
