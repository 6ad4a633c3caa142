/** What observation hands the planner about one instance, and how a look is scoped: plain data. */
import type { Instance, InstanceRecord, ManagedInstance, ProfileAssociation, ProfileRole } from '../ports.js';

export interface ObservedInstance {
  instance: Instance;
  association?: ProfileAssociation;
  /** The profile behind the association; undefined when there is none or it no longer exists. */
  profile?: ProfileRole;
  /** SSM registration; undefined when SSM does not know the instance. */
  managed?: ManagedInstance;
  record?: InstanceRecord;
}

export interface InstanceScope {
  /** Only these instances (tagged or not). */
  instanceIds?: string[];
  /** Only instances whose selector tag names this configuration. */
  configName?: string;
}
