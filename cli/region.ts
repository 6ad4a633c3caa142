/**
 * The region a command talks to, by the rule serverless.yml's provider.region follows too
 * (`${opt:region, env:AWS_REGION, 'eu-west-1'}`): --region, else AWS_REGION, else eu-west-1. So
 * `sls deploy --stage prod` and `fleetwatch plan --stage prod` in one shell reach the same stack.
 * A profile's own region is not used: osls ignores it, so the CLI does too. test/cli checks that
 * the two rules agree.
 */
export const DEFAULT_REGION = 'eu-west-1';

export function regionOf(option: string | undefined, env: Record<string, string | undefined>): string {
  return option ?? (env.AWS_REGION || DEFAULT_REGION);
}
