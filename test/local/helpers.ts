import { REQUIRED_POLICY_ARNS } from '../../lib/config.js';
import { SimulatedAccount, type SimulatedAccountOptions } from '../../local/account.js';

export const SELECTOR = 'fleetwatch:dev:config';
export const PROFILE = 'fleetwatch-dev-agent';
export const DOCUMENT = 'fleetwatch-dev-agent';
export const PARAMETER = 'AmazonCloudWatch-fleetwatch-dev-web';
export const [CW_AGENT_POLICY, SSM_CORE_POLICY] = REQUIRED_POLICY_ARNS;
export const MINUTE = 60_000;

/** An account with the service's managed profile and one configuration parameter. */
export function account(options: SimulatedAccountOptions = {}): SimulatedAccount {
  const sim = new SimulatedAccount({ registrationDelayMs: 5 * MINUTE, ...options });
  sim.createManagedProfile(PROFILE);
  sim.putParameter(PARAMETER, JSON.stringify({ logs: { logs_collected: {} } }));
  return sim;
}

export function configure(version?: number, installAgent = true): Record<string, string[]> {
  return {
    agentAction: ['configure'],
    configurationLocation: [version === undefined ? PARAMETER : `${PARAMETER}:${version}`],
    installAgent: [installAgent ? 'yes' : 'no'],
  };
}
