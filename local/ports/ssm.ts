/**
 * SsmPort: DescribeInstanceInformation (50 a page, ≤ 50 ids per InstanceIds filter),
 * GetParameters (10 names), GetParameter ("name:version"), PutParameter, SendCommand (50 ids),
 * ListCommandInvocations (50 a page), DescribeDocument (the agent's Distributor package).
 */
import type { CommandInvocation, ManagedInstance, SentCommand, SsmPort } from '../../lib/ports.js';
import { AGENT_PACKAGE_NAME, agentVersionOfStatus } from '../../lib/model/agent-version.js';
import type { SimInvocationView } from '../world/commands.js';
import type { AccountBackend } from './backend.js';
import type { CallLayer } from '../calls.js';
import { chunk } from '../../lib/support/chunk.js';
import { LIMITS } from '../operations.js';
import { anyResource, arnsOf, resourceTags } from './arns.js';
import { batched, paginate } from './paginate.js';

/** The status step's output read as the SDK adapter reads it (lib/aws/ssm.ts): its agent version, when it has one. */
function asReported({ agentStatus, ...invocation }: SimInvocationView): CommandInvocation {
  const agentVersion = agentVersionOfStatus(agentStatus);
  return agentVersion === undefined ? invocation : { ...invocation, agentVersion };
}

export function ssmPort(account: AccountBackend, layer: CallLayer): SsmPort {
  const { registration, parameters, ec2, commands, distributor } = account;
  const arns = arnsOf(account);
  const describeInformation = anyResource('ssm:DescribeInstanceInformation');
  const listInvocations = anyResource('ssm:ListCommandInvocations');
  const info = (instanceId: string): ManagedInstance => ({
    instanceId,
    pingStatus: account.pingStatus(instanceId),
    platformType: ec2.get(instanceId)?.platform === 'windows' ? 'Windows' : 'Linux',
  });
  return {
    describeManagedInstances: (instanceIds) =>
      instanceIds
        ? batched(layer, 'DescribeInstanceInformation', [...new Set(instanceIds)], LIMITS.instanceInformationPage, (batch) =>
            batch.filter((id) => registration.isRegistered(id)).map(info),
            () => describeInformation,
          )
        : paginate(layer, 'DescribeInstanceInformation', LIMITS.instanceInformationPage, () => [...registration.registered.keys()], (id) =>
            registration.isRegistered(id) ? info(id) : undefined,
            describeInformation,
          ),

    getParameters: (names) =>
      batched(layer, 'GetParameters', [...new Set(names)], LIMITS.getParametersNames, (batch) =>
        batch.flatMap((name) => {
          const parameter = parameters.latest(name);
          return parameter ? [parameter] : [];
        }),
        (batch) => batch.map((name) => ({ action: 'ssm:GetParameters', resource: arns.parameter(name) })),
      ),

    getParameterVersion: (name, version) =>
      // ParameterNotFound / ParameterVersionNotFound are "undefined" at the port.
      layer.call('GetParameter', () => parameters.version(name, version), name, [{ action: 'ssm:GetParameter', resource: arns.parameter(`${name}:${version}`) }]),

    putParameter: (name, value, tier) =>
      layer.call('PutParameter', () => account.putParameter(name, value, tier), name, [{ action: 'ssm:PutParameter', resource: arns.parameter(name) }]),

    async sendCommand(input) {
      const sent: SentCommand[] = [];
      // SSM refuses more than 50 InstanceIds in one call; one command per batch, in order.
      for (const batch of chunk([...new Set(input.instanceIds)], LIMITS.sendCommandInstanceIds)) {
        // Authorised on the document and on each instance, whose tags SSM reads as ssm:resourceTag/<key>.
        const command = await layer.call('SendCommand', () => account.serveSendCommand({ ...input, instanceIds: batch }), undefined, () => [
          { action: 'ssm:SendCommand', resource: arns.document(input.documentName) },
          ...batch.map((id) => ({
            action: 'ssm:SendCommand',
            resource: arns.instance(id),
            context: resourceTags(ec2.get(id)?.tags ?? {}, ['aws:ResourceTag', 'ssm:resourceTag']),
          })),
        ]);
        sent.push({ commandId: command.commandId, instanceIds: command.invocations.map((invocation) => invocation.instanceId) });
      }
      return sent;
    },

    listCommandInvocations: (commandId) =>
      paginate(layer, 'ListCommandInvocations', LIMITS.commandInvocationsPage, () => commands.invocations(commandId), asReported, listInvocations),

    listInvocationsOnInstance: (instanceId, documentName, after) =>
      paginate(layer, 'ListCommandInvocations', LIMITS.commandInvocationsPage, () => commands.invocationsSince(instanceId, documentName, after), asReported, listInvocations),

    defaultAgentPackageVersion: () =>
      layer.call('DescribeDocument', () => distributor.defaultVersion, AGENT_PACKAGE_NAME, [
        { action: 'ssm:DescribeDocument', resource: arns.awsDocument(AGENT_PACKAGE_NAME) },
      ]),
  };
}
