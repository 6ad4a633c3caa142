import {
  DescribeDocumentCommand,
  DescribeInstanceInformationCommand,
  GetParameterCommand,
  GetParametersCommand,
  ListCommandInvocationsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { NotYetManagedError } from '../../lib/errors.js';
import { silentLog } from '../../lib/ports.js';
import { awsError, awsPorts, instanceIds } from './helpers.js';

const ssm = mockClient(SSMClient);
beforeEach(() => ssm.reset());

describe('describeManagedInstances', () => {
  it('lists every registered instance over several pages of 50', async () => {
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolvesOnce({ InstanceInformationList: [{ InstanceId: 'i-1', PingStatus: 'Online', PlatformType: 'Linux' }], NextToken: 'n' })
      .resolvesOnce({ InstanceInformationList: [{ InstanceId: 'i-2', PingStatus: 'ConnectionLost' }] });

    const managed = await awsPorts().ssm.describeManagedInstances();

    expect(managed).toEqual([
      { instanceId: 'i-1', pingStatus: 'Online', platformType: 'Linux' },
      { instanceId: 'i-2', pingStatus: 'ConnectionLost' },
    ]);
    expect(ssm).toHaveReceivedCommandTimes(DescribeInstanceInformationCommand, 2);
    expect(ssm).toHaveReceivedCommandWith(DescribeInstanceInformationCommand, { MaxResults: 50 });
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)[0]?.args[0].input.Filters).toBeUndefined();
  });

  it('filters by InstanceIds, at most 50 values a call', async () => {
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });
    const ids = instanceIds(120);

    await awsPorts().ssm.describeManagedInstances(ids);

    const asked = ssm.commandCalls(DescribeInstanceInformationCommand).map((call) => call.args[0].input.Filters);
    expect(asked.map((filters) => filters?.[0]?.Values?.length)).toEqual([50, 50, 20]);
    expect(asked.every((filters) => filters?.[0]?.Key === 'InstanceIds')).toBe(true);
    expect(asked.flatMap((filters) => filters?.[0]?.Values ?? [])).toEqual(ids);
  });

  it('asks nothing for an empty list of ids', async () => {
    expect(await awsPorts().ssm.describeManagedInstances([])).toEqual([]);
    expect(ssm).not.toHaveReceivedCommand(DescribeInstanceInformationCommand);
  });
});

describe('getParameters', () => {
  it('asks 10 names a call and leaves out the missing ones', async () => {
    ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
      Parameters: input.Names.filter((name) => name !== 'p-7').map((name) => ({ Name: name, Value: `{"v":"${name}"}`, Version: 3 })),
      InvalidParameters: input.Names.filter((name) => name === 'p-7'),
    }));
    const names = Array.from({ length: 23 }, (_, i) => `p-${i}`);

    const found = await awsPorts().ssm.getParameters(names);

    const asked = ssm.commandCalls(GetParametersCommand).map((call) => call.args[0].input.Names ?? []);
    expect(asked.map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(asked.flat()).toEqual(names);
    expect(found.map((parameter) => parameter.name)).toEqual(names.filter((name) => name !== 'p-7'));
    expect(found[0]).toEqual({ name: 'p-0', value: '{"v":"p-0"}', version: 3 });
  });
});

describe('getParameterVersion', () => {
  it('asks for "name:version"', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: 'AmazonCloudWatch-x', Value: '{}', Version: 4, Selector: ':4' } });
    expect(await awsPorts().ssm.getParameterVersion('AmazonCloudWatch-x', 4)).toEqual({ name: 'AmazonCloudWatch-x', value: '{}', version: 4 });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: 'AmazonCloudWatch-x:4' });
  });

  it.each(['ParameterNotFound', 'ParameterVersionNotFound'])('gives undefined on %s', async (name) => {
    ssm.on(GetParameterCommand).rejects(awsError(name));
    expect(await awsPorts().ssm.getParameterVersion('AmazonCloudWatch-x', 9)).toBeUndefined();
  });
});

describe('defaultAgentPackageVersion', () => {
  it("describes AmazonCloudWatchAgent by name alone (its default version, what an unnamed install gets) and gives that version's VersionName", async () => {
    ssm.on(DescribeDocumentCommand).resolves({ Document: { Name: 'AmazonCloudWatchAgent', DocumentVersion: '57', VersionName: '1.300032.2b361', Status: 'Active' } });
    expect(await awsPorts().ssm.defaultAgentPackageVersion()).toBe('1.300032.2b361');
    expect(ssm).toHaveReceivedCommandExactlyOnceWith(DescribeDocumentCommand, { Name: 'AmazonCloudWatchAgent' });
    expect(ssm.commandCalls(DescribeDocumentCommand)[0]!.args[0].input).toEqual({ Name: 'AmazonCloudWatchAgent' });
  });

  it('gives undefined when the document names no version', async () => {
    ssm.on(DescribeDocumentCommand).resolves({ Document: { Name: 'AmazonCloudWatchAgent' } });
    expect(await awsPorts().ssm.defaultAgentPackageVersion()).toBeUndefined();
  });
});

describe('putParameter', () => {
  it('overwrites a String parameter in the tier asked and returns the new version', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 7, Tier: 'Advanced' });
    expect(await awsPorts().ssm.putParameter('AmazonCloudWatch-x', '{"a":1}', 'Advanced')).toBe(7);
    expect(ssm).toHaveReceivedCommandExactlyOnceWith(PutParameterCommand, {
      Name: 'AmazonCloudWatch-x',
      Value: '{"a":1}',
      Type: 'String',
      Tier: 'Advanced',
      Overwrite: true,
    });
  });
});

describe('sendCommand', () => {
  const input = {
    documentName: 'fleetwatch-dev-agent',
    parameters: { action: ['configure'], configName: ['AmazonCloudWatch-fleetwatch-dev-web'] },
    maxConcurrency: '10%',
    maxErrors: '5%',
    comment: 'fleetwatch configure web v3',
  };

  it('sends 120 ids as 3 sequential commands of 50, 50 and 20, each id exactly once', async () => {
    let n = 0;
    ssm.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${++n}` } }));
    const ids = instanceIds(120);

    const sent = await awsPorts().ssm.sendCommand({ ...input, instanceIds: ids });

    const calls = ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input);
    expect(calls.map((call) => call.InstanceIds?.length)).toEqual([50, 50, 20]);
    expect(calls.flatMap((call) => call.InstanceIds ?? [])).toEqual(ids);
    for (const call of calls) {
      expect(call).toMatchObject({
        DocumentName: 'fleetwatch-dev-agent',
        Parameters: input.parameters,
        MaxConcurrency: '10%',
        MaxErrors: '5%',
        Comment: 'fleetwatch configure web v3',
      });
    }
    expect(sent).toEqual([
      { commandId: 'cmd-1', instanceIds: ids.slice(0, 50) },
      { commandId: 'cmd-2', instanceIds: ids.slice(50, 100) },
      { commandId: 'cmd-3', instanceIds: ids.slice(100) },
    ]);
  });

  it('cuts the comment to SendCommand’s 100 characters', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
    await awsPorts().ssm.sendCommand({ ...input, instanceIds: ['i-1'], comment: 'x'.repeat(150) });
    expect(ssm.commandCalls(SendCommandCommand)[0]?.args[0].input.Comment).toHaveLength(100);
  });

  it('maps InvalidInstanceId to NotYetManagedError naming the instance, and logs the batches already sent', async () => {
    const ids = instanceIds(60);
    const unmanaged = ids[55]!;
    ssm
      .on(SendCommandCommand)
      .resolvesOnce({ Command: { CommandId: 'cmd-1' } })
      .rejectsOnce(awsError('InvalidInstanceId', `Instances [[${unmanaged}]] not in a valid state for account 123456789012`));
    const log = { ...silentLog, warn: vi.fn() };

    const sending = awsPorts(log).ssm.sendCommand({ ...input, instanceIds: ids });

    await expect(sending).rejects.toSatisfy((error) => error instanceof NotYetManagedError && error.instanceId === unmanaged);
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('SendCommand failed'), expect.objectContaining({ sent: [{ commandId: 'cmd-1', instanceIds: ids.slice(0, 50) }] }));
  });
});

describe('listCommandInvocations', () => {
  it('reads the agent version from the status step’s `-a status` JSON, and ignores one that is not a version', async () => {
    const status = (version: string) =>
      `****** processing amazon-cloudwatch-agent ******\n{\n  "status": "running",\n  "starttime": "2026-11-30T18:00:00+00:00",\n  "configstatus": "configured",\n  "version": "${version}"\n}`;
    ssm.on(ListCommandInvocationsCommand).resolvesOnce({
      CommandInvocations: [
        { CommandId: 'cmd-1', InstanceId: 'i-1', Status: 'Success', CommandPlugins: [{ Name: 'reportAgentStatus', Status: 'Success', Output: status('1.300032.2b361') }] },
        { CommandId: 'cmd-1', InstanceId: 'i-2', Status: 'Success', CommandPlugins: [{ Name: 'reportAgentStatus', Status: 'Success', Output: status('1.3; reboot') }] },
        { CommandId: 'cmd-1', InstanceId: 'i-3', Status: 'Success', CommandPlugins: [{ Name: 'reportAgentStatus', Status: 'Success', Output: 'not json' }] },
      ],
    });

    const invocations = await awsPorts().ssm.listCommandInvocations('cmd-1');

    expect(invocations.map((invocation) => invocation.agentVersion)).toEqual(['1.300032.2b361', undefined, undefined]);
  });

  it('lists every page with details and keeps the start of the failing step’s output', async () => {
    ssm
      .on(ListCommandInvocationsCommand)
      .resolvesOnce({
        CommandInvocations: [
          {
            CommandId: 'cmd-1',
            InstanceId: 'i-1',
            Status: 'Failed',
            StatusDetails: 'Failed',
            CommandPlugins: [
              { Name: 'install', Status: 'Success', Output: 'installed' },
              { Name: 'configure', Status: 'Failed', Output: `  ${'E'.repeat(2400)}  ` },
            ],
          },
        ],
        NextToken: 'n',
      })
      .resolvesOnce({ CommandInvocations: [{ CommandId: 'cmd-1', InstanceId: 'i-2', Status: 'Success', CommandPlugins: [{ Name: 'install', Status: 'Success', Output: 'ok' }] }] });

    const invocations = await awsPorts().ssm.listCommandInvocations('cmd-1');

    expect(ssm).toHaveReceivedCommandTimes(ListCommandInvocationsCommand, 2);
    expect(ssm).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-1', Details: true });
    expect(invocations).toEqual([
      { commandId: 'cmd-1', instanceId: 'i-1', status: 'Failed', statusDetails: 'Failed', output: 'E'.repeat(2000) },
      { commandId: 'cmd-1', instanceId: 'i-2', status: 'Success' },
    ]);
  });

  it('maps throttling to ThrottledError naming the command', async () => {
    ssm.on(ListCommandInvocationsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(awsPorts().ssm.listCommandInvocations('cmd-1')).rejects.toMatchObject({ name: 'ThrottledError', commandId: 'cmd-1' });
  });
});

describe('listInvocationsOnInstance', () => {
  const after = Date.UTC(2026, 10, 25, 9, 30, 15, 400);

  it('asks for one instance, our document and invocations since a time, and returns them oldest first', async () => {
    ssm.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { CommandId: 'cmd-new', InstanceId: 'i-1', Status: 'InProgress', RequestedDateTime: new Date(after + 60_000) },
        { CommandId: 'cmd-old', InstanceId: 'i-1', Status: 'Success', RequestedDateTime: new Date(after + 1_000) },
        // SSM filters to the second; one from earlier in that second is not the claim's command.
        { CommandId: 'cmd-before', InstanceId: 'i-1', Status: 'Success', RequestedDateTime: new Date(after - 300) },
      ],
    });
    const invocations = await awsPorts().ssm.listInvocationsOnInstance('i-1', 'fleetwatch-dev-agent', after);
    expect(invocations.map((invocation) => invocation.commandId)).toEqual(['cmd-old', 'cmd-new']);
    expect(invocations[0]).toEqual({ commandId: 'cmd-old', instanceId: 'i-1', status: 'Success', requestedAt: after + 1_000 });
    expect(ssm).toHaveReceivedCommandWith(ListCommandInvocationsCommand, {
      InstanceId: 'i-1',
      Details: true,
      Filters: [
        { key: 'DocumentName', value: 'fleetwatch-dev-agent' },
        { key: 'InvokedAfter', value: '2026-11-25T09:30:15Z' },
      ],
    });
  });

  it('maps throttling to ThrottledError naming the instance', async () => {
    ssm.on(ListCommandInvocationsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(awsPorts().ssm.listInvocationsOnInstance('i-1', 'doc', after)).rejects.toMatchObject({ name: 'ThrottledError', instanceId: 'i-1' });
  });
});
