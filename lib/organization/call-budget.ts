/**
 * One budget of member calls in flight for a whole invocation, shared by every cell it works on.
 *
 * Why: cells do not share AWS rate limits (each account-region has its own), so the organization
 * finishes soonest with every cell running at once; what does not scale with the cells is the hub
 * Lambda itself. Each member call in flight holds a connection, and a Lambda has 1,024 file
 * descriptors (Lambda quotas). Bounding the cells instead (maxParallelCells) would have to assume
 * the worst per cell (an apply's 10 calls at once, lib/apply/execute.ts) and leave a dry run, which
 * keeps about 2 in flight per cell, waiting for nothing. So the cells run as wide as
 * maxParallelCells allows and the connections are bounded here, whatever each cell is doing.
 *
 * A port call holds at most one connection at a time (pagination inside a port is sequential), so
 * limiting port calls limits connections. AssumeRole counts too: opening 200 cells at once is 200
 * STS connections.
 */
import pLimit from 'p-limit';
import type { MemberPorts, MembersPort } from '../ports.js';

/** Member calls in flight at once per invocation: well under the 1,024 descriptors, leaving the hub's own calls and the runtime room. */
export const MEMBER_CALLS_IN_FLIGHT = 400;

type Limit = ReturnType<typeof pLimit>;

/** The port with each of its methods run under the limit. */
function limited<T extends object>(port: T, limit: Limit): T {
  return new Proxy(port, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => limit(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

/** The members of one invocation, every call into them (AssumeRole included) under one shared limit. */
export function withCallBudget(members: MembersPort, inFlight: number = MEMBER_CALLS_IN_FLIGHT): MembersPort {
  const limit = pLimit(inFlight);
  return {
    async open(cell) {
      const ports = await limit(() => members.open(cell));
      const budgeted: MemberPorts = {
        ec2: limited(ports.ec2, limit),
        iam: limited(ports.iam, limit),
        ssm: limited(ports.ssm, limit),
        logs: limited(ports.logs, limit),
        telemetry: limited(ports.telemetry, limit),
      };
      return budgeted;
    },
  };
}
