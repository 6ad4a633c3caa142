/**
 * Section 1: a dry-run reconcile of the whole fleet (what the scheduled sweep observes and
 * plans), API calls per operation against the fewest calls the pages and batches allow.
 * Each minimum is derived from local/operations.ts LIMITS and the fleet's contents, never from
 * what fleetwatch happened to do.
 */
import { coveringPrefixes, literalPrefix } from '../lib/observation/observe.js';
import type { InstanceRecord } from '../lib/ports.js';
import { LIMITS, type Operation, type SimulatedAccount } from '../local/index.js';
import type { Settings } from '../lib/config.js';
import { againstFloor, against, fmt, type Row, type Section } from './report.js';
import { benchStack, LATENCY_MS, logGroupTemplates, MINUTE, sum } from './fleet.js';

const pages = (items: number, perPage: number) => Math.max(1, Math.ceil(items / perPage));
/** Chunks of a list that may be empty: none when it is. */
const chunks = (items: number, perChunk: number) => Math.ceil(items / perChunk);


export interface DryRunResult {
  instances: number;
  calls: Partial<Record<Operation, number>>;
  minimum: Partial<Record<Operation, number>>;
  cpuMs: number;
  realMs: number;
  simulatedMs: number;
  throttled: number;
  throttlingErrors: number;
  actions: number;
  associationsRunning: number;
  /** Items in the state table when the sweep ran (what its Scan read). */
  tableItems: number;
}

/**
 * A fleet as the sweep finds it: every instance tagged (the three bundled configurations in
 * turn); 90% with the managed profile, 5% with another profile that carries both policies, 5%
 * with none (not registered, so planned an association); the registered ones configured at the
 * current version, with their state records.
 */
export function buildFleet(
  account: SimulatedAccount,
  settings: Settings,
  n: number,
  putRecord: (record: Omit<InstanceRecord, 'revision'>) => void = (record) => account.table.put(record.instanceId, record, undefined, record.instanceId),
): void {
  account.createManagedProfile('legacy-ssm');
  const configs = settings.configNames;
  const ids = account.launchFleet(n, (i) => ({
    tags: { Name: `app-${i}`, [settings.selectorTagKey]: configs[i % configs.length]! },
    platform: configs[i % configs.length] === 'windows' ? 'windows' : 'linux',
    registrationDelayMs: MINUTE,
    ...(i % 20 === 0 ? {} : { profileName: i % 20 === 1 ? 'legacy-ssm' : settings.managedProfileName }),
  }));
  const now = account.clock.now();
  ids.forEach((instanceId, i) => {
    if (i % 20 === 0) return;
    const configName = configs[i % configs.length]!;
    const version = account.parameters.latest(`${settings.parameterPrefix}${configName}`)!.version;
    const record: Omit<InstanceRecord, 'revision'> = {
      instanceId,
      status: 'configured',
      configName,
      targetVersion: version,
      appliedConfig: configName,
      appliedVersion: version,
      attempts: 0,
      updatedAt: now,
    };
    putRecord(record);
  });
}

/**
 * The fewest calls that can observe this fleet, operation by operation. `tableItems`: the items of
 * the state table the Scan reads (default the account's own table).
 */
export function minimumCalls(account: SimulatedAccount, settings: Settings, tableItems = account.table.size): Partial<Record<Operation, number>> {
  const tagged = [...account.ec2.instances.values()].filter((i) => i.state !== 'terminated' && settings.selectorTagKey in i.tags);
  const running = tagged.filter((i) => i.state === 'running');
  const profiles = new Set(running.flatMap((i) => account.ec2.activeAssociationOf(i.instanceId)?.profileName ?? []));
  const wanted = new Set(running.flatMap((i) => logGroupTemplates(i.tags[settings.selectorTagKey]!)));
  const prefixes = coveringPrefixes([...wanted].map(literalPrefix));
  return {
    DescribeInstances: pages(tagged.length, LIMITS.describeInstancesPage),
    // One instance-id filter per call, at most LIMITS.ec2FilterValues values.
    DescribeIamInstanceProfileAssociations: chunks(running.length, LIMITS.ec2FilterValues),
    // The fleet's registrations are listed whole (no filter): every registered instance of the account.
    DescribeInstanceInformation: pages(account.registration.registered.size, LIMITS.instanceInformationPage),
    // The state table is read whole: instance records and the configurations' rollout items.
    Scan: pages(tableItems, LIMITS.scanPage),
    GetParameters: chunks(settings.configNames.length, LIMITS.getParametersNames),
    // The configurations' rollout items in one BatchGetItem (100 keys a call).
    BatchGetItem: Math.ceil(settings.configNames.length / 100),
    GetInstanceProfile: profiles.size,
    ListAttachedRolePolicies: [...profiles].reduce((total, name) => {
      const role = account.iam.profileRole(name);
      return total + (role?.roleName ? pages(role.attachedPolicyArns.length, LIMITS.attachedPoliciesPage) : 0);
    }, 0),
    DescribeLogGroups: prefixes.reduce((total, prefix) => total + pages(account.logs.namesWithPrefix(prefix).length, LIMITS.logGroupsPage), 0),
    // Ownership (README "Security"): DescribeLogGroups gives no tags, so each existing group the
    // fleet's configurations name is asked for its tags once.
    ListTagsForResource: [...wanted].filter((name) => account.logs.namesWithPrefix(name).includes(name)).length,
  };
}

export async function dryRun(n: number): Promise<DryRunResult> {
  const { account, stack } = benchStack({ seed: 5 });
  // The fleet is there before the rules: no events, only the sweep.
  stack.disconnectRules();
  buildFleet(account, stack.settings, n);
  // Let the instances with a profile register, and the deploy's rollouts settle.
  await stack.settle(2 * MINUTE);
  const minimum = minimumCalls(account, stack.settings);
  account.resetCalls();

  const virtualStart = account.clock.now();
  const realStart = performance.now();
  const cpuStart = process.cpuUsage();
  const report = await stack.reconcile({ dryRun: true, lineLimit: 0 });
  const cpu = process.cpuUsage(cpuStart);
  const realMs = performance.now() - realStart;
  const stats = account.stats();
  const running = [...account.ec2.instances.values()].filter((i) => i.state === 'running').length;
  return {
    instances: report.instancesInScope,
    calls: stats.calls,
    minimum,
    cpuMs: (cpu.user + cpu.system) / 1000,
    realMs,
    simulatedMs: account.clock.now() - virtualStart,
    throttled: sum(stats.throttled),
    throttlingErrors: sum(stats.throttlingErrors),
    actions: report.actions,
    associationsRunning: running,
    tableItems: account.table.size,
  };
}

export function dryRunSection(results: DryRunResult[]): Section {
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const result of results) {
    const n = result.instances;
    const label = `${fmt(n)}:`;
    const operations = new Set([...Object.keys(result.minimum), ...Object.keys(result.calls)] as Operation[]);
    for (const operation of operations) {
      rows.push(againstFloor(`${label} ${operation}`, result.calls[operation] ?? 0, result.minimum[operation] ?? 0, 1.1));
    }
    rows.push(againstFloor(`${label} API calls, total`, sum(result.calls), sum(result.minimum), 1.1));
    rows.push({ ...against(`${label} requests throttled and retried / errors surfaced`, 0), measured: `${fmt(result.throttled)} / ${fmt(result.throttlingErrors)}` });
    rows.push(against(`${label} CPU time (ms)`, result.cpuMs));
    rows.push(against(`${label} simulated time (s)`, result.simulatedMs / 1000, {}, 1));
    rows.push(against(`${label} real time (ms)`, result.realMs));
  }
  if (results.length >= 2) {
    const [small, large] = [results[0]!, results[results.length - 1]!];
    const growth = large.cpuMs / large.instances / (small.cpuMs / small.instances);
    rows.push({
      metric: `CPU per instance, ${fmt(large.instances)} vs ${fmt(small.instances)}`,
      measured: `${growth.toFixed(2)}x`,
      floor: '1.00x',
      ratio: `${growth.toFixed(2)}x`,
      target: '<= 2x (linear)',
      ok: growth <= 2 ? 'yes' : 'NO',
    });
  }
  notes.unshift(
    `Fleet: every instance tagged (default, web, windows in turn); 90% with the managed profile, 5% another profile with both policies, ` +
      `5% none; registered ones configured at the current version, with records. Latency ${LATENCY_MS} ms per call; AWS rate limits of local/rate.ts.`,
    'Minimum per operation: DescribeInstances 1000 a page; associations one instance-id filter of 200 ids a call; DescribeInstanceInformation ' +
      '50 a page over the account\'s registrations; Scan 1000 items (1 MB) a page over the table; GetParameters 10 names; the configurations\' ' +
      'rollout items in one BatchGetItem (100 keys); GetInstanceProfile + ListAttachedRolePolicies (100 a page) once per distinct profile; DescribeLogGroups ' +
      '50 a page once per covering prefix; ListTagsForResource once per existing log group the configurations name (ownership).',
  );
  return { title: 'Dry-run reconcile of the whole fleet', rows, notes };
}
