/**
 * The simulated organization: a hub account (fleetwatch's own table, queue and event bus) and N
 * member accounts x M regions, each member account-region a SimulatedAccount of its own (its own
 * EC2, SSM, Logs..., its own rate limits, its own faults) and all of them on one virtual clock, as
 * one organization lives in one time. Around them, what the hub reaches them with:
 *
 * - STS: AssumeRole of the member template's execution role, counted per cell, failing as the
 *   real one does when the member stack is not deployed there (the role does not exist) or when
 *   the role's trust or an SCP refuses (AccessDenied);
 * - a MembersPort per invocation, caching each cell's credentials (and failures) for the
 *   invocation: one AssumeRole per cell per invocation, whatever asks for it;
 * - an OrganizationsPort over the organizational units the scenario lays out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentConfig } from '../lib/agent/index.js';
import { parameterName, testSettings, type Settings } from '../lib/config.js';
import { MemberUnreachableError } from '../lib/errors.js';
import { cellKey, cellsOf } from '../lib/model/cell.js';
import type { Cell, MemberPorts, MembersPort, OrganizationAccess, OrganizationsPort } from '../lib/ports.js';
import { SimulatedAccount, type SimulatedAccountOptions } from './account.js';
import type { FaultConfig } from './calls.js';
import { VirtualClock } from './clock.js';
import type { PortsOptions } from './ports/index.js';
import { SimulatedStack } from './stack.js';

/**
 * What can be wrong with a member account-region:
 * - 'stack-missing': the member stack is not (yet) deployed there, so its execution role does not
 *   exist (AssumeRole: AccessDenied, which is all STS says; the hub reports it as role-missing);
 * - 'access-denied': the role exists but refuses the hub (trust policy, SCP);
 * - 'throttled': the member's EC2 API throttles every call past the SDK's retries.
 */
export type MemberFault = 'stack-missing' | 'access-denied' | 'throttled';

/** The EC2 operations a throttled member refuses: every EC2 call fleetwatch makes. */
const EC2_THROTTLED: FaultConfig = {
  DescribeInstances: { throttle: 1 },
  DescribeIamInstanceProfileAssociations: { throttle: 1 },
  AssociateIamInstanceProfile: { throttle: 1 },
  ReplaceIamInstanceProfileAssociation: { throttle: 1 },
};

export const DEFAULT_HUB_ACCOUNT = '111111111111';
export const DEFAULT_ORGANIZATION_ID = 'o-exampleorg01';
/** The OU every member account is in unless the scenario says otherwise. */
export const DEFAULT_UNIT = 'ou-ab12-members01';

export interface SimulatedOrganizationOptions {
  /** Member account ids, or how many to make (100000000001, 100000000002, ...). */
  accounts: readonly string[] | number;
  /** Regions every member account has the member stack in. */
  regions: readonly string[];
  /** The hub's account and region. Default DEFAULT_HUB_ACCOUNT and the first member region. */
  hubAccount?: string;
  hubRegion?: string;
  organizationId?: string;
  /** Organizational units and their accounts; default every account in DEFAULT_UNIT. */
  units?: Record<string, readonly string[]>;
  /** The clock every account shares; default a new auto-advancing one. */
  clock?: VirtualClock;
  seed?: number;
  /** Options of every simulated account (members and hub): latency, rates, registration delay... */
  account?: Omit<SimulatedAccountOptions, 'clock' | 'accountId' | 'region' | 'seed'>;
  /** Per member cell, on top of `account` (e.g. slower limits in one cell). */
  member?: (cell: Cell) => Omit<SimulatedAccountOptions, 'clock' | 'accountId' | 'region'>;
  /** Virtual round trip of one AssumeRole. Default 20 ms, as any call. */
  assumeRoleLatencyMs?: number;
}

export class SimulatedOrganization {
  readonly clock: VirtualClock;
  readonly organizationId: string;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  /** The hub: fleetwatch's state table, work queue and event bus (and its own account's EC2, unused). */
  readonly hub: SimulatedAccount;
  private readonly memberAccounts = new Map<string, SimulatedAccount>();
  private readonly faults = new Map<string, MemberFault>();
  private readonly units = new Map<string, Set<string>>();
  private readonly assumed = new Map<string, number>();
  private readonly assumeRoleLatencyMs: number;

  constructor(options: SimulatedOrganizationOptions) {
    this.clock = options.clock ?? new VirtualClock();
    this.organizationId = options.organizationId ?? DEFAULT_ORGANIZATION_ID;
    this.accounts =
      typeof options.accounts === 'number'
        ? Array.from({ length: options.accounts }, (_, i) => String(100_000_000_001 + i))
        : [...options.accounts];
    this.regions = [...options.regions];
    if (this.accounts.length === 0 || this.regions.length === 0) throw new Error('an organization needs at least one account and one region');
    this.assumeRoleLatencyMs = options.assumeRoleLatencyMs ?? 20;
    const seed = options.seed ?? 1;
    this.hub = new SimulatedAccount({
      ...options.account,
      clock: this.clock,
      seed,
      accountId: options.hubAccount ?? DEFAULT_HUB_ACCOUNT,
      region: options.hubRegion ?? this.regions[0]!,
    });
    this.cells().forEach((cell, index) => {
      this.memberAccounts.set(
        cellKey(cell),
        new SimulatedAccount({ ...options.account, seed: seed + index + 1, ...options.member?.(cell), clock: this.clock, accountId: cell.account, region: cell.region }),
      );
    });
    for (const [unit, accounts] of Object.entries(options.units ?? { [DEFAULT_UNIT]: this.accounts })) this.units.set(unit, new Set(accounts));
  }

  /** Every member cell, account by account. */
  cells(): Cell[] {
    return cellsOf(this.accounts, this.regions);
  }

  /** The simulated account of a member cell; throws for a cell outside the organization. */
  member(cell: Cell): SimulatedAccount {
    const account = this.memberAccounts.get(cellKey(cell));
    if (!account) throw new Error(`${cellKey(cell)} is not a cell of the simulated organization`);
    return account;
  }

  /** Breaks (or with undefined, heals) a member cell. */
  setFault(cell: Cell, fault: MemberFault | undefined): void {
    const key = cellKey(cell);
    const account = this.member(cell);
    if (this.faults.get(key) === 'throttled') account.setFaults({});
    if (fault === undefined) this.faults.delete(key);
    else this.faults.set(key, fault);
    if (fault === 'throttled') account.setFaults(EC2_THROTTLED);
  }

  fault(cell: Cell): MemberFault | undefined {
    return this.faults.get(cellKey(cell));
  }

  /** Moves an account into an organizational unit (out of any other), as MoveAccount does. */
  moveAccount(account: string, unit: string): void {
    for (const members of this.units.values()) members.delete(account);
    let members = this.units.get(unit);
    if (!members) this.units.set(unit, (members = new Set()));
    members.add(account);
  }

  /** AssumeRole calls made so far into a cell (or into all cells). */
  assumeRoles(cell?: Cell): number {
    if (cell) return this.assumed.get(cellKey(cell)) ?? 0;
    let total = 0;
    for (const count of this.assumed.values()) total += count;
    return total;
  }

  /** AssumeRole calls per cell key, for assertions on where the hub went. */
  assumeRolesByCell(): ReadonlyMap<string, number> {
    return this.assumed;
  }

  /**
   * A MembersPort for one invocation. Each cell is opened once (one AssumeRole), its ports a
   * fresh set of clients (their own retry state, as new SDK clients with the cell's credentials);
   * a cell that failed stays failed for the invocation: no second AssumeRole.
   */
  membersPort(options: PortsOptions = {}): MembersPort {
    const opened = new Map<string, Promise<MemberPorts>>();
    return {
      open: (cell) => {
        const key = cellKey(cell);
        let ports = opened.get(key);
        if (!ports) opened.set(key, (ports = this.assumeRole(cell, options)));
        return ports;
      },
    };
  }

  organizationsPort(): OrganizationsPort {
    return {
      accountsIn: async (units) => {
        await this.clock.sleep(this.assumeRoleLatencyMs);
        const accounts = new Set<string>();
        for (const unit of units) for (const account of this.units.get(unit) ?? []) accounts.add(account);
        return [...accounts].sort();
      },
    };
  }

  /** What a hub runtime in the organization mode gets (functions/handler.ts Runtime.organization). */
  access(options: PortsOptions = {}): OrganizationAccess {
    return { members: () => this.membersPort(options), organizations: this.organizationsPort() };
  }

  /** The hub stage's settings over this organization: its accounts as the list, its regions, the bundled configurations. */
  stageSettings(overrides: Partial<Settings> = {}): Settings {
    return testSettings({
      accountId: this.hub.accountId,
      region: this.hub.region,
      configNames: SimulatedStack.bundledConfigNames(),
      organizationId: this.organizationId,
      memberAccounts: [...this.accounts],
      memberRegions: [...this.regions],
      ...overrides,
    });
  }

  /**
   * What the member template and the hub's first rollout leave in every cell whose stack is
   * deployed: the managed instance profile, and each bundled configuration's parameter.
   */
  deployMembers(settings: Settings, configDir = join(import.meta.dirname, '..', 'agent', 'configs')): void {
    const texts = settings.configNames.map((configName) => ({
      name: parameterName(settings, configName),
      value: parseAgentConfig(configName, readFileSync(join(configDir, `${configName}.json`), 'utf8')).minified,
    }));
    for (const cell of this.cells()) {
      if (this.fault(cell) === 'stack-missing') continue;
      const account = this.member(cell);
      if (!account.iam.profiles.has(settings.managedProfileName)) account.createManagedProfile(settings.managedProfileName);
      for (const { name, value } of texts) account.putParameter(name, value);
    }
  }

  private async assumeRole(cell: Cell, options: PortsOptions): Promise<MemberPorts> {
    const key = cellKey(cell);
    this.assumed.set(key, (this.assumed.get(key) ?? 0) + 1);
    await this.clock.sleep(this.assumeRoleLatencyMs);
    const account = this.memberAccounts.get(key);
    // An account outside the organization has no role that trusts the hub.
    if (!account) throw new MemberUnreachableError(cell.account, cell.region, 'access-denied', `${key} is not in organization ${this.organizationId}`);
    const fault = this.faults.get(key);
    if (fault === 'stack-missing') throw new MemberUnreachableError(cell.account, cell.region, 'role-missing', 'the execution role does not exist (member stack not deployed)');
    if (fault === 'access-denied') throw new MemberUnreachableError(cell.account, cell.region, 'access-denied', 'AssumeRole refused: not authorized to perform sts:AssumeRole');
    const { ec2, iam, ssm, logs, telemetry } = account.ports(options);
    return { ec2, iam, ssm, logs, telemetry };
  }
}
