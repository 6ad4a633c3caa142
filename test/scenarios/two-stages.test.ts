/**
 * Two stages deployed in one simulated account (issue 13): dev and prod share EC2, IAM, Parameter
 * Store, CloudWatch Logs and the default event bus, each with its own state table and work queue,
 * and every event reaches both stacks' rules as it would in AWS. With default settings both
 * onboard and sweep their own fleets, and neither changes anything of the other: each stage's
 * whole world (its instances, their agents and profiles, its records and rollouts, its queue,
 * parameters and published events, and every log group in the account) is compared before and
 * after the other stage's runs, which the first stage's functions see the events of.
 */
import { describe, expect, it } from 'vitest';
import { parameterName } from '../../lib/config.js';
import { SimulatedAccount } from '../../local/index.js';
import { SimulatedStack } from '../../local/stack.js';
import { MINUTE, expectConverged, once, selectorTags } from './helpers.js';

const CONFIGS = SimulatedStack.bundledConfigNames();

function twoStages(settings: { dev?: Record<string, unknown>; prod?: Record<string, unknown> } = {}) {
  const account = new SimulatedAccount({ latencyMs: 20, seed: 61 });
  const stack = (stage: string, extra: Record<string, unknown> = {}) =>
    new SimulatedStack(account, { ownTableAndQueue: true, settings: { stage, configNames: CONFIGS, ...extra } });
  const dev = stack('dev', settings.dev);
  const prod = stack('prod', settings.prod);
  dev.deploy();
  prod.deploy();
  return { account, dev, prod };
}

/** Lets both stacks run until nothing is left: each stack's functions see every event of the account. */
async function settleBoth(a: SimulatedStack, b: SimulatedStack): Promise<void> {
  for (let round = 0; round < 2; round++) {
    await a.settle();
    await b.settle();
  }
}

/** Everything that is the stage's, and every log group of the account. */
function world(stack: SimulatedStack) {
  const { account, settings } = stack;
  const ids = [...account.ec2.instances.values()].filter((i) => i.tags[settings.selectorTagKey] !== undefined).map((i) => i.instanceId);
  const profile = account.iam.profiles.get(settings.managedProfileName);
  return structuredClone({
    instances: ids.map((id) => ({
      ec2: account.ec2.instances.get(id),
      profile: account.ec2.activeAssociationOf(id)?.profileName,
      agent: account.agent(id),
      invocations: account.invocationsOn(id).map((invocation) => [invocation.command.documentName, invocation.status]),
    })),
    records: account.table.all(''),
    queued: account.queue.messages.size,
    deadLetters: account.queue.deadLetters.length,
    parameters: settings.configNames.map((name) => account.parameters.latest(parameterName(settings, name))),
    profile: profile && { ...profile },
    events: account.published.filter((event) => event.detail.stage === settings.stage),
    logGroups: [...account.logs.groups.values()].sort((a, b) => a.name.localeCompare(b.name)),
  });
}

/**
 * A stage's runs: instances launched (onboarding), one reselected, one terminated, a new version
 * of a configuration rolled out, drift behind its back fixed by a sweep. The new version changes
 * no log group: log groups both stages name are the next describe's subject.
 */
async function runs(stack: SimulatedStack, other: SimulatedStack): Promise<string[]> {
  const { account, settings } = stack;
  const launched = ['default', 'web', 'default'].map(
    (config) => account.launchInstance({ tags: selectorTags(stack, config), profileName: settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId,
  );
  await settleBoth(stack, other);
  account.setTags(launched[0]!, { [settings.selectorTagKey]: 'web' });
  account.terminate(launched[2]!);
  const name = parameterName(settings, 'default');
  account.putParameter(name, account.parameters.latest(name)!.value.replace('"metrics_collection_interval":60', '"metrics_collection_interval":30'));
  await settleBoth(stack, other);
  account.stopAgent(launched[1]!);
  await account.clock.sleep(20 * MINUTE);
  await stack.reconcile({ dryRun: false });
  await settleBoth(stack, other);
  return launched;
}

/** The scenario of the first describe, run once and inside a test (so mutants are attributed to the tests that read it). */
const defaultSettingsScenario = once(async () => {
  const { account, dev, prod } = twoStages();
  await settleBoth(dev, prod);
  const fleets = { dev: [] as string[], prod: [] as string[] };
  for (const [name, stack] of [['dev', dev], ['prod', prod]] as const) {
    for (const config of ['default', 'web', 'default', 'windows']) {
      fleets[name].push(
        account.launchInstance({
          tags: selectorTags(stack, config),
          platform: config === 'windows' ? 'windows' : 'linux',
          registrationDelayMs: MINUTE,
          // One of each fleet starts without a profile: its stage associates its own.
          ...(config !== 'web' && { profileName: stack.settings.managedProfileName }),
        }).instanceId,
      );
    }
  }
  await settleBoth(dev, prod);
  const onboarded = { dev: fleets.dev.map((id) => dev.account.record(id)?.status), prod: fleets.prod.map((id) => prod.account.record(id)?.status) };

  const prodBefore = world(prod);
  const devRuns = await runs(dev, prod);
  const prodAfterDev = world(prod);

  const devBefore = world(dev);
  const prodRuns = await runs(prod, dev);
  const devAfterProd = world(dev);
  return { account, dev, prod, fleets, onboarded, prodBefore, devRuns, prodAfterDev, devBefore, prodRuns, devAfterProd };
});

describe('two stages in one account with default settings', () => {
  it('select with per-stage tag keys', async () => {
    const { dev, prod } = await defaultSettingsScenario();
    expect([dev.settings.selectorTagKey, prod.settings.selectorTagKey]).toEqual(['fleetwatch:dev:config', 'fleetwatch:prod:config']);
  });

  it('both onboard their own fleets, each with its own profile, parameters and document', async () => {
    const { account, dev, prod, fleets, onboarded } = await defaultSettingsScenario();
    expect(onboarded).toEqual({ dev: fleets.dev.map(() => 'configured'), prod: fleets.prod.map(() => 'configured') });
    for (const id of fleets.dev) expectConverged(dev.account, dev, id, dev.account.record(id)!.appliedConfig!);
    for (const id of fleets.prod) expectConverged(prod.account, prod, id, prod.account.record(id)!.appliedConfig!);
    expect(account.ec2.activeAssociationOf(fleets.dev[1]!)?.profileName).toBe('fleetwatch-dev-agent');
    expect(account.ec2.activeAssociationOf(fleets.prod[1]!)?.profileName).toBe('fleetwatch-prod-agent');
  });

  it('each keeps records only of its own instances', async () => {
    const { dev, prod, fleets, devRuns, prodRuns } = await defaultSettingsScenario();
    const ids = (stack: SimulatedStack) => stack.account.records().map((record) => record.instanceId).sort();
    expect(ids(dev)).toEqual([...fleets.dev, ...devRuns].sort());
    expect(ids(prod)).toEqual([...fleets.prod, ...prodRuns].sort());
  });

  it("dev's runs changed nothing of prod's", async () => {
    const { prodBefore, prodAfterDev } = await defaultSettingsScenario();
    expect(prodAfterDev).toEqual(prodBefore);
  });

  it("prod's runs changed nothing of dev's", async () => {
    const { devBefore, devAfterProd } = await defaultSettingsScenario();
    expect(devAfterProd).toEqual(devBefore);
  });

  it('each stage did its runs: the new version on its fleet, the stopped agent restarted', async () => {
    const { account, dev, prod, devRuns, prodRuns } = await defaultSettingsScenario();
    for (const [stack, launched] of [[dev, devRuns], [prod, prodRuns]] as const) {
      const version = account.parameters.latest(parameterName(stack.settings, 'default'))!.version;
      expect(version).toBe(2);
      expect(stack.account.record(launched[2]!)?.status).toBe('closed');
      expectConverged(stack.account, stack, launched[0]!, 'web');
      expectConverged(stack.account, stack, launched[1]!, 'web');
    }
  });
});

describe('two stages whose configurations name the same log group with different retention', () => {
  // Each stage tags the groups it creates as its own (fleetwatch:owner) and changes retention
  // only on those: the stage that did not create the group reports it instead of changing it.
  it('a sweep of one stage leaves a group another stage created as it is', async () => {
    const { account, dev, prod } = twoStages({ prod: { defaultRetentionDays: 90 } });
    await settleBoth(dev, prod);
    for (const stack of [dev, prod]) account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: stack.settings.managedProfileName });
    await settleBoth(dev, prod);
    const before = structuredClone(account.logGroup('/var/log/messages'));
    await dev.reconcile({ dryRun: false });
    await settleBoth(dev, prod);
    const afterDev = structuredClone(account.logGroup('/var/log/messages'));

    expect(afterDev).toEqual(before);
  });
});
