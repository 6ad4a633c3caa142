/**
 * What the simulated ports need of the account: its worlds and the few operations that touch
 * more than one of them. The account implements it; the ports see only this, so that the account
 * can build its ports without the two importing each other.
 */
import type { ParameterTier, ProfileAssociation, SendCommandInput } from '../../lib/ports.js';
import type { VirtualClock } from '../clock.js';
import type { AgentState } from '../world/agent.js';
import type { CommandWorld, SimCommand } from '../world/commands.js';
import type { DistributorWorld } from '../world/distributor.js';
import type { Ec2World } from '../world/ec2.js';
import type { IamWorld } from '../world/iam.js';
import type { LogsWorld } from '../world/logs.js';
import type { ParameterWorld } from '../world/parameters.js';
import type { QueueWorld } from '../world/queue.js';
import type { RegistrationWorld } from '../world/registration.js';
import type { TableWorld } from '../world/table.js';

export interface AccountBackend {
  readonly clock: VirtualClock;
  readonly accountId: string;
  readonly region: string;
  readonly ec2: Ec2World;
  readonly iam: IamWorld;
  readonly registration: RegistrationWorld;
  readonly parameters: ParameterWorld;
  readonly commands: CommandWorld;
  readonly distributor: DistributorWorld;
  readonly logs: LogsWorld;
  readonly table: TableWorld;
  readonly queue: QueueWorld;
  agent(instanceId: string): AgentState;
  pingStatus(instanceId: string): 'Online' | 'ConnectionLost';
  publish(event: { detailType: string; detail: Record<string, unknown> }, source: string): void;
  putParameter(name: string, value: string, tier?: ParameterTier): number;
  attachRolePolicy(roleName: string, policyArn: string): void;
  serveAssociate(instanceId: string, profileName: string): ProfileAssociation;
  serveReplace(associationId: string, profileName: string, instanceId: string): ProfileAssociation;
  serveSendCommand(input: SendCommandInput): SimCommand;
}
