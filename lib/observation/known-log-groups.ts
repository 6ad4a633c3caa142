/**
 * Log groups this execution environment has recently seen as they should be (or made so). A warm
 * worker Lambda reconciles batch after batch of instances that name the same groups; describing
 * them every time costs DescribeLogGroups at CloudWatch Logs' 5 TPS for the account, which ten
 * concurrent workers exceed. Only the worker trusts this memory, and only for a few minutes: the
 * drift sweep always describes, because finding a deleted group or changed retention is its job.
 */
import { KNOWN_LOG_GROUP_TTL_MS } from '../model/timing.js';
import type { LogGroup, LogGroupMemory } from '../ports.js';

export class KnownLogGroups implements LogGroupMemory {
  private readonly groups = new Map<string, { group: LogGroup; seenAt: number }>();

  constructor(private readonly ttlMs = KNOWN_LOG_GROUP_TTL_MS) {}

  get(name: string, now: number): LogGroup | undefined {
    const entry = this.groups.get(name);
    if (!entry || now - entry.seenAt > this.ttlMs) return undefined;
    return entry.group;
  }

  remember(group: LogGroup, now: number): void {
    this.groups.set(group.name, { group, seenAt: now });
  }
}
