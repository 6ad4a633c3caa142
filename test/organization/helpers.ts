/** A small simulated organization with the member side deployed, and the stage settings of its hub. */
import type { Settings } from '../../lib/config.js';
import { SimulatedOrganization, type SimulatedOrganizationOptions } from '../../local/organization.js';

export const MINUTE = 60_000;

export function organization(
  options: Partial<SimulatedOrganizationOptions> = {},
  settings: Partial<Settings> = {},
): { org: SimulatedOrganization; settings: Settings } {
  const org = new SimulatedOrganization({
    accounts: 2,
    regions: ['eu-west-1', 'us-east-1'],
    account: { latencyMs: 20, registrationDelayMs: MINUTE },
    ...options,
  });
  const resolved = org.stageSettings(settings);
  org.deployMembers(resolved);
  return { org, settings: resolved };
}
