/**
 * MembersPort over STS AssumeRole: the hub reaches a member account-region through the execution
 * role the member template creates there (README "Organization"). One AssumeRole per cell, its
 * credentials and the member's SDK clients kept for as long as no invocation could outlive them;
 * a cell that cannot be reached is remembered as such, so that a burst of work for a broken
 * member asks STS once, not once per work item.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { Clock } from '../clock.js';
import { MemberUnreachableError, ThrottledError, type MemberUnreachableReason } from '../errors.js';
import { cellKey } from '../model/cell.js';
import type { Cell, MemberPorts, MembersPort } from '../ports.js';
import { mapAwsError } from './errors.js';

/** Temporary credentials of one member's execution role, as the SDK clients take them. */
export interface MemberCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When STS says they stop working. */
  expiration: Date;
}

export interface MembersPortOptions {
  /** The execution role's name in every member account (settings.memberRoleName). */
  roleName: string;
  /** Shown in each member's CloudTrail as the caller ("fleetwatch-<stage>"). */
  sessionName: string;
  /** The hub's partition: members are in the same one (an organization never spans partitions). */
  partition: string;
  clock: Clock;
  /** The member's ports through these credentials in the cell's region: built by lib/aws/clients.ts. */
  portsFor(cell: Cell, credentials: MemberCredentials): MemberPorts;
}

/**
 * AssumeRole's default session length, which the role's MaxSessionDuration (1 hour unless raised)
 * always allows.
 */
export const SESSION_SECONDS = 3600;
/**
 * Cached credentials are handed out only while they outlast the longest invocation (reconcile's
 * 900 s timeout) with room: ports opened at the start of an invocation never expire inside it.
 */
export const CREDENTIALS_MARGIN_MS = 20 * 60_000;
/**
 * How long an unreachable cell stays unreachable before STS is asked again: the longest
 * invocation. A stack being deployed now is picked up by the next sweep, and a broken member is
 * asked about once per 15 minutes per execution environment, whatever the work queued for it.
 */
export const UNREACHABLE_MEMORY_MS = 15 * 60_000;

/**
 * STS's answers and what they mean for the member. AssumeRole of a role that does not exist answers
 * AccessDenied, exactly as a trust policy that refuses the caller does (STS does not tell another
 * account which roles exist), so the message names both causes.
 */
const REASONS: Record<string, { reason: MemberUnreachableReason; why: string }> = {
  AccessDenied: { reason: 'access-denied', why: 'the execution role is missing (member stack not deployed to this account) or its trust refuses this function' },
  AccessDeniedException: { reason: 'access-denied', why: 'the execution role is missing (member stack not deployed to this account) or its trust refuses this function' },
  NoSuchEntity: { reason: 'role-missing', why: 'the execution role does not exist: the member stack is not deployed to this account' },
  NoSuchEntityException: { reason: 'role-missing', why: 'the execution role does not exist: the member stack is not deployed to this account' },
  // STS is not activated in the hub's region for this account (IAM account settings).
  RegionDisabledException: { reason: 'access-denied', why: "STS is not activated in the hub's region" },
};

/**
 * The names under which a member's services refuse a call (EC2's own, IAM's and CloudWatch's,
 * the JSON services'): an SCP or a permissions boundary of the member, or a member stack older
 * than the hub's grants.
 */
const REFUSED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

/**
 * The member's ports with a refusal of any call turned into MemberUnreachableError (access-denied)
 * naming the cell: the account is reported with its reason, like one whose role cannot be assumed.
 * Every port method returns a promise (lib/ports.ts), so each is wrapped as an async function.
 */
export function refusalsAsUnreachable(cell: Cell, ports: MemberPorts): MemberPorts {
  const wrap = <Port extends object>(port: Port): Port =>
    new Proxy(port, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          try {
            return await (value as (...args: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (error) {
            if (!(error instanceof Error) || !REFUSED.has(error.name)) throw error;
            throw new MemberUnreachableError(cell.account, cell.region, 'access-denied', `${String(key)} refused in the member (an SCP, or a member stack older than the hub): ${error.name}: ${error.message}`, error);
          }
        };
      },
    });
  return { ec2: wrap(ports.ec2), iam: wrap(ports.iam), ssm: wrap(ports.ssm), logs: wrap(ports.logs), telemetry: wrap(ports.telemetry) };
}

interface Entry {
  opened: Promise<MemberPorts>;
  /** clock.now() past which the entry is not used again. */
  until: number;
}

export function roleArn(partition: string, account: string, roleName: string): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`;
}

/** The partition of a region: what ARNs of the hub and its members start with. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The MemberUnreachableError an AssumeRole failure means, or the mapped error when it is not about the member. */
export function unreachableError(cell: Cell, role: string, error: unknown): unknown {
  const name = error instanceof Error ? error.name : '';
  const known = REASONS[name];
  const detail = `AssumeRole ${role}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  if (known) return new MemberUnreachableError(cell.account, cell.region, known.reason, `${known.why} (${detail})`, error);
  const mapped = mapAwsError(error, { operation: 'AssumeRole', resource: role });
  if (mapped instanceof ThrottledError) return new MemberUnreachableError(cell.account, cell.region, 'throttled', `STS kept throttling after the SDK's retries (${detail})`, error);
  return mapped;
}

export function createMembersPort(sts: STSClient, options: MembersPortOptions): MembersPort {
  const cache = new Map<string, Entry>();

  async function assume(cell: Cell): Promise<{ ports: MemberPorts; expiration: Date }> {
    const role = roleArn(options.partition, cell.account, options.roleName);
    let credentials;
    try {
      ({ Credentials: credentials } = await sts.send(
        new AssumeRoleCommand({ RoleArn: role, RoleSessionName: options.sessionName, DurationSeconds: SESSION_SECONDS }),
      ));
    } catch (error) {
      throw unreachableError(cell, role, error);
    }
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken || !credentials.Expiration) {
      throw new Error(`AssumeRole ${role} returned no credentials`);
    }
    const member: MemberCredentials = {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
    return { ports: refusalsAsUnreachable(cell, options.portsFor(cell, member)), expiration: member.expiration };
  }

  return {
    open(cell) {
      const key = cellKey(cell);
      const now = options.clock.now();
      const cached = cache.get(key);
      if (cached && now < cached.until) return cached.opened;
      // Until it settles, every caller of this cell waits on the one AssumeRole in flight.
      const entry: Entry = {
        until: Number.POSITIVE_INFINITY,
        opened: assume(cell).then(
          ({ ports, expiration }) => {
            entry.until = expiration.getTime() - CREDENTIALS_MARGIN_MS;
            return ports;
          },
          (error: unknown) => {
            entry.until = options.clock.now() + UNREACHABLE_MEMORY_MS;
            throw error;
          },
        ),
      };
      cache.set(key, entry);
      return entry.opened;
    },
  };
}
