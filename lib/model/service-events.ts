/**
 * The events fleetwatch publishes on the default bus (source "fleetwatch"), so that other
 * automation can react to what it did. Detail types are part of the public contract: rename none.
 */
export const SERVICE_EVENT_SOURCE = 'fleetwatch';

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
