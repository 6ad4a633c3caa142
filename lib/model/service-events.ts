/**
 * The events fleetwatch publishes on the default bus, so that other automation can react to what
 * it did. Detail types are part of the public contract: rename none.
 */

/**
 * The source of a stage's events: "fleetwatch.<stage>". Each stage's role may put only its own
 * source (serverless/iam.cjs serviceEvents), so one stage cannot forge another's events.
 */
export function serviceEventSource(stage: string): string {
  return `fleetwatch.${stage}`;
}

export const SERVICE_EVENTS = {
  onboarded: 'Instance Onboarded',
  configured: 'Instance Configured',
  failed: 'Instance Onboarding Failed',
  unreachable: 'Instance Unreachable',
  silent: 'Agent Silent',
  rolloutCompleted: 'Rollout Completed',
  rolloutRolledBack: 'Rollout Rolled Back',
  rolloutRejected: 'Configuration Rejected',
  configurationDeleted: 'Configuration Deleted',
} as const;
