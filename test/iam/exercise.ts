/**
 * Every path of fleetwatch on one simulated account, with the IAM action, resource and condition
 * keys of every AWS call and the function that made it (local/calls.ts): what the permission
 * tests evaluate against the packaged roles.
 */
import { parameterName, type Settings } from '../../lib/config.js';
import type { AuthorizedCall } from '../../local/calls.js';
import { alwaysFail } from '../../local/outcomes.js';
import { arnsOf } from '../../local/ports/arns.js';
import { deployedStack, MINUTE, selectorTags } from '../scenarios/helpers.js';
import type { Deployment } from './simulate.js';

export interface Exercised {
  settings: Settings;
  calls: AuthorizedCall[];
  deployment: Deployment;
}

/**
 * Every path of fleetwatch on one simulated account: onboarding an instance without a profile and
 * one with a foreign profile, a failed command, a rollout (pinned reads), a reselection, a sweep
 * that restarts a silent agent and puts retention back, a deleted configuration parameter that
 * instances still select, and a termination.
 */
export async function exercise(profileMode: Settings['profileMode']): Promise<Exercised> {
  const { account, stack } = deployedStack({}, { settings: { profileMode } });
  const { settings } = stack;
  account.recordAuthorizations();
  account.createRole('app-role');
  account.createInstanceProfile('app', { roleName: 'app-role', propagated: true });
  const bare = account.launchInstance({ tags: selectorTags(stack, 'web'), registrationDelayMs: MINUTE }).instanceId;
  account.launchInstance({ tags: selectorTags(stack, 'default'), profileName: 'app', registrationDelayMs: MINUTE });
  const managed = { profileName: settings.managedProfileName, registrationDelayMs: MINUTE };
  const failing = account.launchInstance({ tags: selectorTags(stack, 'default'), ...managed, commandOutcome: alwaysFail('disk full') }).instanceId;
  const steady = account.launchInstance({ tags: selectorTags(stack, 'default'), ...managed }).instanceId;
  await stack.settle();

  // The reconcile function applies a small plan itself: with the rules off, no event reaches the
  // worker first.
  stack.disconnectRules();
  account.createRole('app2-role');
  account.createInstanceProfile('app2', { roleName: 'app2-role', propagated: true });
  account.launchInstance({ tags: selectorTags(stack, 'web'), registrationDelayMs: MINUTE });
  account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: 'app2', registrationDelayMs: MINUTE });
  await stack.reconcile({ dryRun: false });
  stack.connectRules();
  await stack.settle();

  const defaults = parameterName(settings, 'default');
  account.putParameter(defaults, account.parameters.latest(defaults)!.value.replace('"metrics_collection_interval":60', '"metrics_collection_interval":30'));
  await stack.settle();
  account.tag(bare, settings.selectorTagKey, 'default');
  await stack.settle();

  account.silenceAgent(steady, 'until-restart');
  const group = [...account.logs.groups.keys()][0]!;
  account.logs.putRetention(group, 1);
  await account.clock.sleep(20 * MINUTE);
  await stack.reconcile({ dryRun: false });
  await stack.settle();

  account.deleteParameter(parameterName(settings, 'default'));
  await stack.settle();
  account.terminate(failing);
  await stack.settle();

  const arns = arnsOf(account);
  const deployment: Deployment = {
    partition: 'aws',
    region: account.region,
    accountId: account.accountId,
    arns: {
      StateTable: arns.table,
      WorkQueue: arns.queue,
      EventFailureQueue: arns.queue.replace(/work$/, 'event-failures'),
      AgentRole: arns.role(account.iam.profiles.get(settings.managedProfileName)!.roleName!),
    },
  };
  return { settings, calls: account.authorizations, deployment };
}

