/**
 * CloudWatch Logs log groups. DescribeLogGroups lists by name prefix in lexicographic order;
 * names are kept sorted lazily (sorted once after a burst of creates, then binary-searched),
 * so a prefix query over 100,000 groups costs a search and the page, not a scan.
 */
import { AlreadyExistsError, FleetwatchError, NotFoundError } from '../../lib/errors.js';
import type { CreateLogGroupInput, LogGroup, LogGroupClass } from '../../lib/ports.js';

export interface SimLogGroup {
  name: string;
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass: LogGroupClass;
  tags: Record<string, string>;
  createdAt: number;
}

/** The values PutRetentionPolicy accepts (the agent's -1 "never expire" is not one: no policy is set instead). */
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

export class LogsWorld {
  readonly groups = new Map<string, SimLogGroup>();

  /** `arn:aws:logs:<region>:<account>:log-group:`, what a group's name follows in its ARN. */
  constructor(readonly arnPrefix: string) {}
  private sorted: string[] = [];
  private dirty = false;

  create(input: CreateLogGroupInput, now: number): SimLogGroup {
    if (this.groups.has(input.name)) {
      throw new AlreadyExistsError(`ResourceAlreadyExistsException: log group ${input.name} exists`, { resource: input.name });
    }
    const group: SimLogGroup = {
      name: input.name,
      logGroupClass: input.logGroupClass ?? 'STANDARD',
      tags: { ...input.tags },
      createdAt: now,
      ...(input.kmsKeyId !== undefined && { kmsKeyId: input.kmsKeyId }),
    };
    this.groups.set(input.name, group);
    this.dirty = true;
    return group;
  }

  putRetention(name: string, retentionInDays: number): void {
    const group = this.groups.get(name);
    if (!group) throw new NotFoundError(`ResourceNotFoundException: log group ${name} does not exist`, { resource: name });
    if (!RETENTION_DAYS.has(retentionInDays)) {
      throw new FleetwatchError(`InvalidParameterException: ${retentionInDays} is not a valid retentionInDays`, { resource: name });
    }
    group.retentionInDays = retentionInDays;
  }

  /** Names starting with the prefix, in lexicographic order. */
  namesWithPrefix(prefix: string): string[] {
    if (this.dirty) {
      this.sorted = [...this.groups.keys()].sort();
      this.dirty = false;
    }
    const names = this.sorted;
    let lo = 0;
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (names[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const found: string[] = [];
    for (let i = lo; i < names.length && names[i]!.startsWith(prefix); i++) found.push(names[i]!);
    return found;
  }

  toLogGroup(name: string): LogGroup | undefined {
    const group = this.groups.get(name);
    if (!group) return undefined;
    return {
      name: group.name,
      logGroupClass: group.logGroupClass,
      arn: `${this.arnPrefix}${group.name}`,
      ...(group.retentionInDays !== undefined && { retentionInDays: group.retentionInDays }),
      ...(group.kmsKeyId !== undefined && { kmsKeyId: group.kmsKeyId }),
    };
  }
}
