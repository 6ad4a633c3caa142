/**
 * The demo fleet `npm start` and `fleetwatch --local` run against: an account as it is before
 * fleetwatch is deployed (some instances have a profile, most do not; Linux and Windows; an
 * untagged one, an invalid selection, a foreign profile without the policies, a stopped one).
 */
import { SimulatedAccount } from './account.js';
import { SimulatedStack } from './stack.js';

const MINUTE = 60_000;

export interface Demo {
  account: SimulatedAccount;
  stack: SimulatedStack;
  /** Launches an instance with a selector tag (or other tags) and a short registration delay. */
  launch(tags: Record<string, string>, options?: Parameters<SimulatedAccount['launchInstance']>[0]): string;
  selector(configName: string): Record<string, string>;
}

/** A deployed stack over the demo fleet. `extra` more selected instances make a bigger fleet. */
export function demoFleet(options: { seed?: number; extra?: number } = {}): Demo {
  const account = new SimulatedAccount({ seed: options.seed ?? 7, latencyMs: 20 });
  const stack = new SimulatedStack(account, { settings: { configNames: SimulatedStack.bundledConfigNames() } });
  const { settings } = stack;
  const selector = (value: string) => ({ Name: `app-${value}`, [settings.selectorTagKey]: value });
  const launch = (tags: Record<string, string>, launchOptions: Parameters<SimulatedAccount['launchInstance']>[0] = {}) =>
    account.launchInstance({ tags, registrationDelayMs: 3 * MINUTE, ...launchOptions }).instanceId;

  account.createRole('app-role', []);
  account.createInstanceProfile('app-profile', { roleName: 'app-role', propagated: true });
  account.createManagedProfile('legacy-ssm', 'legacy-ssm-role');
  launch(selector('default'));
  launch(selector('default'), { profileName: 'legacy-ssm' });
  launch(selector('web'));
  launch(selector('web'), { profileName: 'legacy-ssm', registrationDelayMs: 12 * MINUTE });
  launch(selector('windows'), { platform: 'windows' });
  launch(selector('windows'), { platform: 'windows', profileName: 'legacy-ssm' });
  launch({ Name: 'untagged' });
  launch({ Name: 'bastion', [settings.selectorTagKey]: '../x' });
  launch(selector('web'), { profileName: 'app-profile' });
  launch(selector('default'), { state: 'stopped' });
  for (let index = 0; index < (options.extra ?? 0); index++) {
    launch(selector(index % 2 ? 'web' : 'default'), index % 3 ? { profileName: 'legacy-ssm' } : {});
  }
  stack.deploy();
  return { account, stack, launch, selector };
}
