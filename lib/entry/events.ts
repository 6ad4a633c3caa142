/**
 * What each event means for the fleet. Events only enqueue work, record an outcome or start a
 * rollout; the worker (worker.ts) reconciles the instances with the same observe/plan/execute as
 * `reconcile`. Every function here is safe to run twice for the same event.
 */
import { configNameOfParameter, type Settings } from '../config.js';
import { InvalidInputError } from '../errors.js';
import { outcomeReportsNewAgentVersion } from '../model/lifecycle.js';
import { SERVICE_EVENTS } from '../model/service-events.js';
import { instancesSelecting } from '../observation/observe.js';
import { settleCommandOutcome, type OutcomeEffect } from '../outcomes/settle.js';
import { TERMINAL_INVOCATION_STATUSES, type Ports, type RolloutRecord, type RolloutVersion } from '../ports.js';
import { startRollout } from '../rollout/rollout.js';
import {
  commandInvocationSchema,
  ec2StateChangeSchema,
  instanceIdFromArn,
  parameterChangeSchema,
  parseEvent,
  tagChangeSchema,
} from './event-schemas.js';

export type EventEffect =
  | { effect: 'enqueued'; instanceId: string; reason: string }
  | { effect: 'enqueued'; rollout: string; version: RolloutVersion; reason: string }
  | { effect: 'ignored'; instanceId?: string; reason: string }
  | { effect: 'outcome'; instanceId: string; commandId: string; outcome: OutcomeEffect };

/** EC2 state change: a running instance is onboarded; a terminated one is closed by the worker. */
export async function onInstanceStateChange(ports: Ports, settings: Settings, event: unknown): Promise<EventEffect> {
  const { detail } = parseEvent(ec2StateChangeSchema, event, 'EC2 state-change', settings);
  const instanceId = detail['instance-id'];
  if (detail.state !== 'running' && detail.state !== 'terminated') {
    return { effect: 'ignored', instanceId, reason: `state ${detail.state} needs nothing` };
  }
  // No tags in this event: the worker reads them, so an untagged instance costs one describe.
  await ports.queue.enqueue([{ instanceId, reason: `state ${detail.state}`, attempt: 0 }]);
  return { effect: 'enqueued', instanceId, reason: `state ${detail.state}` };
}

/** Tag change: selected, reselected or deselected: the worker re-evaluates the instance. */
export async function onTagChange(ports: Ports, settings: Settings, event: unknown): Promise<EventEffect> {
  const parsed = parseEvent(tagChangeSchema, event, 'tag-change', settings);
  const instanceId = parsed.resources.map(instanceIdFromArn).find((id) => id !== undefined);
  if (!instanceId) throw new InvalidInputError(`tag-change event names no EC2 instance: resources ${JSON.stringify(parsed.resources)}`);
  if (!parsed.detail['changed-tag-keys'].includes(settings.selectorTagKey)) {
    return { effect: 'ignored', instanceId, reason: `changed tags do not include ${settings.selectorTagKey}` };
  }
  const value = parsed.detail.tags?.[settings.selectorTagKey];
  const reason = value === undefined ? 'selector tag removed' : 'selector tag set';
  await ports.queue.enqueue([{ instanceId, reason, attempt: 0 }]);
  return { effect: 'enqueued', instanceId, reason };
}

/**
 * A command invocation finished. Only the service's own document counts; the failure text is
 * read from SSM because the event carries none.
 */
export async function onCommandInvocation(ports: Ports, settings: Settings, event: unknown): Promise<EventEffect> {
  const { detail } = parseEvent(commandInvocationSchema, event, 'command invocation status-change', settings);
  const instanceId = detail['instance-id'];
  const commandId = detail['command-id'];
  if (detail['document-name'] !== settings.documentName) {
    return { effect: 'ignored', instanceId, reason: `document ${detail['document-name']} is not ${settings.documentName}` };
  }
  if (!TERMINAL_INVOCATION_STATUSES.has(detail.status)) {
    return { effect: 'ignored', instanceId, reason: `status ${detail.status} is not final` };
  }
  // The record first: a late, duplicate or made-up command id is ignored here, before SSM is asked
  // about it (an id SSM does not know makes ListCommandInvocations fail, and the event be retried).
  const record = await ports.state.get(instanceId);
  if (record?.inFlight?.commandId !== commandId) return { effect: 'outcome', instanceId, commandId, outcome: 'ignored' };
  // The event carries neither the failure text nor the agent version the command's status step
  // reported: the invocation is read back for a failure's why, and for an install's new version.
  const readBack = detail.status !== 'Success' || outcomeReportsNewAgentVersion(record.inFlight.action);
  const invocation = readBack ? (await ports.ssm.listCommandInvocations(commandId)).find((i) => i.instanceId === instanceId) : undefined;
  const outcome = {
    commandId,
    instanceId,
    status: detail.status,
    ...(detail.status !== 'Success' && invocation?.statusDetails !== undefined && { statusDetails: invocation.statusDetails }),
    ...(detail.status !== 'Success' && invocation?.output !== undefined && { output: invocation.output }),
    ...(invocation?.agentVersion !== undefined && { agentVersion: invocation.agentVersion }),
  };
  // The record just read is the one to settle: no second read.
  const settled = await settleCommandOutcome(ports, settings, outcome, { record });
  return { effect: 'outcome', instanceId, commandId, outcome: settled?.effect ?? 'ignored' };
}

/** How a new configuration version starts rolling out: the single-account rollout, or the organization's (lib/organization/rollout.ts). */
export type StartRollout = (ports: Ports, settings: Settings, configName: string) => Promise<RolloutRecord | undefined>;

/** Parameter Store Change for one of this stage's configuration parameters. */
export async function onParameterChange(ports: Ports, settings: Settings, event: unknown, start: StartRollout = startRollout): Promise<EventEffect> {
  const { detail } = parseEvent(parameterChangeSchema, event, 'Parameter Store change', settings);
  const configName = configNameOfParameter(settings, detail.name);
  if (!configName) return { effect: 'ignored', reason: `parameter ${detail.name} is not a configuration of stage ${settings.stage}` };
  switch (detail.operation) {
    case 'Delete':
      // Parameter Store says whether it is gone: a forged or stale Delete must not tell
      // subscribers that a configuration in use was deleted.
      if ((await ports.ssm.getParameters([detail.name])).length > 0) {
        return { effect: 'ignored', reason: `Delete of ${detail.name}, which still exists` };
      }
      await reportDeletedParameter(ports, settings, configName, detail.name);
      return { effect: 'ignored', reason: `parameter ${detail.name} deleted: selecting instances reported, nothing stopped` };
    case 'LabelParameterVersion':
      return { effect: 'ignored', reason: 'a label changes no version' };
    default: {
      const rollout = await start(ports, settings, configName);
      if (rollout?.status === 'in-progress') {
        return { effect: 'enqueued', rollout: configName, version: rollout.version, reason: `rollout of v${rollout.version} in progress` };
      }
      return { effect: 'ignored', reason: `rollout of ${configName}: ${rollout ? `v${rollout.version} ${rollout.status}` : 'no parameter'}` };
    }
  }
}

async function reportDeletedParameter(ports: Ports, settings: Settings, configName: string, name: string): Promise<void> {
  const ids = (await instancesSelecting(ports, settings, configName)).map((instance) => instance.instanceId);
  ports.metrics.count('ConfigurationsDeleted');
  ports.log.error('configuration parameter deleted; its instances keep their agent as it is', {
    parameter: name,
    configName,
    instances: ids.length,
    instanceIds: ids.slice(0, 100),
  });
  await ports.events.publish([
    { detailType: SERVICE_EVENTS.configurationDeleted, detail: { configName, parameter: name, instanceIds: ids, stage: settings.stage } },
  ]);
}
