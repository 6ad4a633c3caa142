/**
 * SSM registration. The SSM agent on an instance registers once the instance runs with a profile
 * whose role carries AmazonSSMManagedInstanceCore, after a delay: an agent that booted without
 * credentials sleeps (up to ~30 minutes) before it tries again. Once registered, the instance
 * stays listed by DescribeInstanceInformation; it pings Online while it runs with usable
 * credentials and shows ConnectionLost otherwise (stopped, or its role lost the policy).
 */
import type { TimerHandle, VirtualClock } from '../clock.js';

export class RegistrationWorld {
  /** Registered instances, in registration order (DescribeInstanceInformation's order here). */
  readonly registered = new Map<string, { registeredAt: number }>();
  /** Instances that run with usable credentials right now. */
  private readonly eligible = new Set<string>();
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly onRegistered: (instanceId: string) => void,
  ) {}

  /** Called whenever something that decides eligibility changes for the instance. */
  update(instanceId: string, eligible: boolean, delayMs: number): void {
    if (!eligible) {
      this.eligible.delete(instanceId);
      this.timers.get(instanceId)?.cancel();
      this.timers.delete(instanceId);
      return;
    }
    if (this.eligible.has(instanceId)) return;
    this.eligible.add(instanceId);
    if (this.registered.has(instanceId)) return;
    this.timers.set(
      instanceId,
      this.clock.setTimer(delayMs, () => {
        this.timers.delete(instanceId);
        this.registered.set(instanceId, { registeredAt: this.clock.now() });
        this.onRegistered(instanceId);
      }),
    );
  }

  isRegistered(instanceId: string): boolean {
    return this.registered.has(instanceId);
  }

  /** Online: registered and pinging; SendCommand accepts only these. */
  isOnline(instanceId: string): boolean {
    return this.registered.has(instanceId) && this.eligible.has(instanceId);
  }

  /** A terminated instance is deregistered. */
  forget(instanceId: string): void {
    this.update(instanceId, false, 0);
    this.registered.delete(instanceId);
  }
}
