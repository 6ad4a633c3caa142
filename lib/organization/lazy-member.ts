/**
 * A cell's member ports that assume its role on their first call, not before. Most of what the
 * hub does for a cell touches only the hub's own table and queue (an EC2 event is enqueued; a
 * command outcome the record does not wait on is dropped; an org rollout reads its cells'
 * records): those pay no AssumeRole, and one that does call the member pays exactly one, through
 * the invocation's MembersPort cache.
 */
import type { Cell, MemberPorts, MembersPort } from '../ports.js';

export function lazyMemberPorts(members: MembersPort, cell: Cell): MemberPorts {
  let opened: Promise<MemberPorts> | undefined;
  // One open per cell here as well: a refusal (MemberUnreachableError) is the answer to every call.
  const open = () => (opened ??= members.open(cell));
  const lazy = <K extends keyof MemberPorts>(port: K): MemberPorts[K] =>
    new Proxy({} as MemberPorts[K], {
      get: (_target, method) =>
        // A port is never a promise: answering `then` would make `await port` call into the member.
        method === 'then'
          ? undefined
          : (...args: unknown[]) => open().then((ports) => (ports[port] as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>)[method]!(...args)),
    });
  return { ec2: lazy('ec2'), iam: lazy('iam'), ssm: lazy('ssm'), logs: lazy('logs'), telemetry: lazy('telemetry') };
}
