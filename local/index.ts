/** The simulated account's public surface, for local/main.ts, tests and benchmarks. */
export { SimulatedAccount, DEFAULT_LATEST_AGENT_VERSION } from './account.js';
export type {
  AccountStats,
  InstanceStateEvent,
  LaunchOptions,
  ParameterChangeEvent,
  SimulatedAccountOptions,
  TagChangeEvent,
} from './account.js';
export { VirtualClock, DEFAULT_EPOCH } from './clock.js';
export type { TimerHandle, VirtualClockOptions } from './clock.js';
export { FLEETWATCH_RETRY, SDK_DEFAULT_RETRY } from './calls.js';
export type { CallStats, FaultConfig, LatencyConfig, RetryPolicy, Service } from './calls.js';
export { OPERATIONS, LIMITS } from './operations.js';
export type { Operation } from './operations.js';
export { DEFAULT_RATES, TokenBucket } from './rate.js';
export type { RateLimit } from './rate.js';
export { alwaysFail, failFirst, failFraction, takes } from './outcomes.js';
export type { CommandContext, CommandOutcome, CommandOutcomePolicy } from './outcomes.js';
export type { PortsOptions } from './ports/index.js';
export type { AgentState } from './world/agent.js';
export type { CommandEvent, CommandStatusEvent, CommandTiming, SimCommand, SimInvocation } from './world/commands.js';
export type { PublishedEvent } from './world/events.js';
export type { SimLogGroup } from './world/logs.js';
export type { BatchHandler, DrainOptions, QueueMessage } from './world/queue.js';
