/** SsmPort on the Systems Manager API. */
import {
  DescribeDocumentCommand,
  GetParameterCommand,
  GetParametersCommand,
  paginateDescribeInstanceInformation,
  paginateListCommandInvocations,
  PutParameterCommand,
  SendCommandCommand,
  type CommandInvocation as SdkInvocation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type {
  CommandInvocation,
  InvocationStatus,
  Log,
  ManagedInstance,
  Parameter,
  PingStatus,
  SentCommand,
  SsmPort,
} from '../ports.js';
import { chunk, collectPages } from './batch.js';
import { AGENT_PACKAGE_NAME, agentVersionOfStatus } from '../model/agent-version.js';
import { callAws, undefinedIfNotFound } from './errors.js';

/** SendCommand takes at most 50 InstanceIds; beyond that SSM wants Targets, which we do not use. */
const SEND_COMMAND_MAX_IDS = 50;
/** DescribeInstanceInformation pages hold 5..50 items, and its InstanceIds filter takes at most 50 values. */
const INSTANCE_INFORMATION_PAGE = 50;
/** GetParameters takes at most 10 names per call. */
const GET_PARAMETERS_MAX_NAMES = 10;
/** ListCommandInvocations with Details allows at most 50 per page. */
const INVOCATIONS_PAGE = 50;
/** SendCommand's Comment is at most 100 characters; longer fails validation. */
const COMMENT_MAX = 100;
/** SSM already cuts plugin Output at 2500 characters; we keep the start, enough to see why, small enough for a state record. */
const OUTPUT_MAX = 2000;

const NOT_FAILED_PLUGIN = new Set(['Pending', 'InProgress', 'Success']);
/** The step of agent/document.yml that prints `amazon-cloudwatch-agent-ctl -a status`; a plugin is named after its step. */
export const AGENT_STATUS_STEP = 'reportAgentStatus';

export function createSsmPort(client: SSMClient, log: Log): SsmPort {
  const describe = (ids?: string[]) =>
    collectPages(
      paginateDescribeInstanceInformation(
        { client, pageSize: INSTANCE_INFORMATION_PAGE },
        // The InstanceIds *filter* leaves unregistered ids out of the answer, which is how "not
        // managed yet" shows; the caller compares against what it asked for.
        ids ? { Filters: [{ Key: 'InstanceIds', Values: ids }] } : {},
      ),
      (page) => page.InstanceInformationList,
    );

  return {
    async describeManagedInstances(instanceIds) {
      const batches = instanceIds === undefined ? [undefined] : chunk([...new Set(instanceIds)], INSTANCE_INFORMATION_PAGE);
      const found: ManagedInstance[] = [];
      for (const ids of batches) {
        const page = await callAws({ operation: 'DescribeInstanceInformation', ...(ids && { instanceIds: ids }) }, () => describe(ids));
        for (const info of page) {
          if (!info.InstanceId) continue;
          found.push({
            instanceId: info.InstanceId,
            pingStatus: (info.PingStatus ?? 'Inactive') as PingStatus,
            ...(info.PlatformType && { platformType: info.PlatformType }),
          });
        }
      }
      return found;
    },

    async getParameters(names) {
      const found: Parameter[] = [];
      for (const batch of chunk([...new Set(names)], GET_PARAMETERS_MAX_NAMES)) {
        // Names that do not exist come back in InvalidParameters, not as an error: they are left out.
        const result = await callAws({ operation: 'GetParameters', resource: batch.join(',') }, () =>
          client.send(new GetParametersCommand({ Names: batch })),
        );
        for (const parameter of result.Parameters ?? []) {
          if (parameter.Name === undefined || parameter.Value === undefined || parameter.Version === undefined) continue;
          found.push({ name: parameter.Name, value: parameter.Value, version: parameter.Version });
        }
      }
      return found;
    },

    getParameterVersion: (name, version) =>
      undefinedIfNotFound(
        callAws({ operation: 'GetParameter', resource: `${name}:${version}` }, async () => {
          // "name:version" selects one version; a missing one is ParameterVersionNotFound.
          const { Parameter: parameter } = await client.send(new GetParameterCommand({ Name: `${name}:${version}` }));
          return { name, value: parameter?.Value ?? '', version: parameter?.Version ?? version };
        }),
      ),

    putParameter: (name, value, tier) =>
      callAws({ operation: 'PutParameter', resource: name }, async () => {
        const result = await client.send(
          new PutParameterCommand({ Name: name, Value: value, Type: 'String', Tier: tier, Overwrite: true }),
        );
        if (result.Version === undefined) throw new Error(`PutParameter ${name} returned no version`);
        return result.Version;
      }),

    async sendCommand(input) {
      const sent: SentCommand[] = [];
      // Sequential: each batch is one command with its own MaxConcurrency/MaxErrors, and a
      // failing batch (e.g. InvalidInstanceId) stops the rest rather than half the fleet racing on.
      for (const ids of chunk([...new Set(input.instanceIds)], SEND_COMMAND_MAX_IDS)) {
        try {
          const result = await callAws({ operation: 'SendCommand', instanceIds: ids, resource: input.documentName }, () =>
            client.send(
              new SendCommandCommand({
                DocumentName: input.documentName,
                InstanceIds: ids,
                Parameters: input.parameters,
                ...(input.maxConcurrency !== undefined && { MaxConcurrency: input.maxConcurrency }),
                ...(input.maxErrors !== undefined && { MaxErrors: input.maxErrors }),
                ...(input.comment !== undefined && { Comment: input.comment.slice(0, COMMENT_MAX) }),
              }),
            ),
          );
          const commandId = result.Command?.CommandId;
          if (!commandId) throw new Error(`SendCommand ${input.documentName} returned no command id`);
          sent.push({ commandId, instanceIds: ids });
        } catch (error) {
          // The commands already out are running; the caller only sees the error, so say which they are.
          if (sent.length) log.warn('SendCommand failed after some batches were sent', { documentName: input.documentName, sent });
          throw error;
        }
      }
      return sent;
    },

    listCommandInvocations: (commandId) =>
      callAws({ operation: 'ListCommandInvocations', commandId }, async () => {
        const invocations = await collectPages(
          paginateListCommandInvocations({ client, pageSize: INVOCATIONS_PAGE }, { CommandId: commandId, Details: true }),
          (page) => page.CommandInvocations,
        );
        return invocations.map((invocation) => toInvocation(commandId, invocation));
      }),

    listInvocationsOnInstance: (instanceId, documentName, after) =>
      callAws({ operation: 'ListCommandInvocations', instanceId }, async () => {
        const filters = [
          { key: 'DocumentName' as const, value: documentName },
          // ISO 8601 in UTC, to the second: SSM compares RequestedDateTime against it.
          { key: 'InvokedAfter' as const, value: new Date(Math.floor(after / 1000) * 1000).toISOString().replace('.000Z', 'Z') },
        ];
        const invocations = await collectPages(
          paginateListCommandInvocations({ client, pageSize: INVOCATIONS_PAGE }, { InstanceId: instanceId, Filters: filters, Details: true }),
          (page) => page.CommandInvocations,
        );
        return invocations
          .map((invocation) => toInvocation(invocation.CommandId ?? '', invocation))
          .filter((invocation) => invocation.commandId !== '' && (invocation.requestedAt ?? after) >= after)
          .sort((a, b) => (a.requestedAt ?? 0) - (b.requestedAt ?? 0));
      }),

    // An Install that names no version describes the package document by its name alone, which
    // is its default version, and installs that (aws/amazon-ssm-agent,
    // agent/plugins/configurepackage/birdwatcher/documentarchive/documentarchive.go,
    // DownloadArchiveInfo): the same call here tells which version that is. One call, no pages.
    defaultAgentPackageVersion: () =>
      callAws({ operation: 'DescribeDocument', resource: AGENT_PACKAGE_NAME }, async () => {
        const { Document: document } = await client.send(new DescribeDocumentCommand({ Name: AGENT_PACKAGE_NAME }));
        return document?.VersionName;
      }),
  };
}

function toInvocation(commandId: string, invocation: SdkInvocation): CommandInvocation {
  // The first step that ended other than in success is the one whose output says why.
  const failing = invocation.CommandPlugins?.find((plugin) => plugin.Status !== undefined && !NOT_FAILED_PLUGIN.has(plugin.Status));
  const output = failing?.Output?.trim().slice(0, OUTPUT_MAX);
  const agentVersion = agentVersionOfStatus(invocation.CommandPlugins?.find((plugin) => plugin.Name === AGENT_STATUS_STEP && plugin.Status === 'Success')?.Output);
  return {
    commandId: invocation.CommandId ?? commandId,
    instanceId: invocation.InstanceId ?? '',
    status: (invocation.Status ?? 'Pending') as InvocationStatus,
    ...(invocation.StatusDetails && { statusDetails: invocation.StatusDetails }),
    ...(output && { output }),
    ...(invocation.RequestedDateTime && { requestedAt: invocation.RequestedDateTime.getTime() }),
    ...(agentVersion && { agentVersion }),
  };
}
