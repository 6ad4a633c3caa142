/** Shared set-up for simulated-account scenarios: a deployed stack and checks of an instance's desired state. */
import { expect } from 'vitest';
import { REQUIRED_POLICY_ARNS, parameterName } from '../../lib/config.js';
import { SimulatedAccount, type SimulatedAccountOptions } from '../../local/index.js';
import { SimulatedStack, type StackOptions } from '../../local/stack.js';

export const MINUTE = 60_000;

export function deployedStack(
  accountOptions: SimulatedAccountOptions = {},
  stackOptions: StackOptions = {},
): { account: SimulatedAccount; stack: SimulatedStack } {
  const account = new SimulatedAccount({ latencyMs: 20, ...accountOptions });
  const stack = new SimulatedStack(account, {
    ...stackOptions,
    settings: { configNames: SimulatedStack.bundledConfigNames(), ...stackOptions.settings },
  });
  stack.deploy();
  return { account, stack };
}

export function selectorTags(stack: SimulatedStack, value: string): Record<string, string> {
  return { Name: `app-${value}`, [stack.settings.selectorTagKey]: value };
}

/** Successful invocations of the service's document on an instance. */
export function successfulCommands(account: SimulatedAccount, stack: SimulatedStack, instanceId: string): number {
  return account
    .invocationsOn(instanceId)
    .filter((invocation) => invocation.command.documentName === stack.settings.documentName && invocation.status === 'Success').length;
}

/** Asserts every part of the desired state of a selected, running instance. */
export function expectConverged(account: SimulatedAccount, stack: SimulatedStack, instanceId: string, configName: string): void {
  const { settings } = stack;
  const version = account.parameters.latest(parameterName(settings, configName))?.version;
  const agent = account.agent(instanceId);
  expect({ instanceId, installed: agent.installed, running: agent.running, parameter: agent.configParameter, version: agent.configVersion }).toEqual({
    instanceId,
    installed: true,
    running: true,
    parameter: parameterName(settings, configName),
    version,
  });
  const record = account.record(instanceId);
  expect(record).toMatchObject({ status: 'configured', appliedConfig: configName, appliedVersion: version });
  expect(record?.inFlight).toBeUndefined();
  const association = account.ec2.activeAssociationOf(instanceId);
  expect(association, `${instanceId} has a profile`).toBeDefined();
  for (const arn of REQUIRED_POLICY_ARNS) {
    expect(account.iam.profileHasPolicy(association!.profileName, arn), `${instanceId}'s role has ${arn}`).toBe(true);
  }
}

/** The largest number of [start, end) intervals that overlap at one instant. */
export function peakOverlap(intervals: [number, number][]): number {
  const points = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  points.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let current = 0;
  let peak = 0;
  for (const [, delta] of points) peak = Math.max(peak, (current += delta!));
  return peak;
}

/**
 * A scenario run once, on first call, and shared by the tests that read it: the simulation runs
 * inside a test (not a describe body), so a mutation tester attributes what it covers to tests.
 */
export function once<T>(run: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= run());
}
