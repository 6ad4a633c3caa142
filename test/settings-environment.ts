/** The fewest FLEETWATCH_* variables loadSettings accepts (what serverless.yml always sets), for a prod stage. */
export const MINIMAL_ENVIRONMENT = {
  FLEETWATCH_STAGE: 'prod',
  AWS_REGION: 'eu-west-1',
  FLEETWATCH_ACCOUNT_ID: '123456789012',
  FLEETWATCH_MANAGED_PROFILE_NAME: 'fleetwatch-prod-agent',
  FLEETWATCH_PARAMETER_PREFIX: 'AmazonCloudWatch-fleetwatch-prod-',
  FLEETWATCH_CONFIG_NAMES: 'default, web,windows',
  FLEETWATCH_DOCUMENT_NAME: 'fleetwatch-prod-agent',
};
