/**
 * The planner is pure: every case here is plain data in, a list of actions out. No mocks.
 */
import { describe, expect, it } from 'vitest';
import { testSettings, type Settings } from '../lib/config.js';
import { selectionOf, type ConfigSet } from '../lib/planning/desired.js';
import type { ObservedInstance } from '../lib/model/observed.js';
import { plan, type Action, type PlanInput, type RequestedAction } from '../lib/planning/plan.js';
import type { InstanceRecord, LogGroup } from '../lib/ports.js';

const NOW = 1_800_000_000_000;
const MANAGED_ARN = 'arn:aws:iam::123456789012:instance-profile/fleetwatch-dev-agent';
const FOREIGN_ARN = 'arn:aws:iam::123456789012:instance-profile/team/app-profile';
const BOTH_POLICIES = [
  'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
  'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
];

const configs: ConfigSet = {
  usable: new Map([
    [
      'web',
      {
        configName: 'web',
        parameterName: 'AmazonCloudWatch-fleetwatch-dev-web',
        version: 4,
        config: {
          document: {},
          minified: '{}',
          logGroups: [
            { name: '/var/log/messages', path: 'logs.logs_collected.files.collect_list[0]' },
            { name: '/fleetwatch/web/{instance_id}/access', retentionInDays: 7, path: 'logs.logs_collected.files.collect_list[1]' },
            { name: '/fleetwatch/web/{date}', path: 'logs.logs_collected.files.collect_list[2]' },
          ],
        },
      },
    ],
  ]),
  unusable: new Map([['windows', { configName: 'windows', parameterName: 'AmazonCloudWatch-fleetwatch-dev-windows', version: 2, problems: ['x: bad'] }]]),
  agent: {},
};

function instance(overrides: Partial<ObservedInstance> & { tag?: string | null; state?: string } = {}): ObservedInstance {
  const { tag = 'web', state = 'running', ...rest } = overrides;
  const instanceId = 'i-0123456789abcdef0';
  return {
    instance: {
      instanceId,
      state: state as ObservedInstance['instance']['state'],
      tags: tag === null ? { Name: 'x' } : { 'fleetwatch:dev:config': tag },
      platform: 'linux',
    },
    association: { associationId: 'iip-assoc-1', instanceId, profileArn: MANAGED_ARN, state: 'associated' },
    profile: { profileName: 'fleetwatch-dev-agent', roleName: 'fleetwatch-dev-agent', attachedPolicyArns: BOTH_POLICIES },
    managed: { instanceId, pingStatus: 'Online' },
    record: record(),
    ...rest,
  };
}

function record(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instanceId: 'i-0123456789abcdef0',
    status: 'configured',
    configName: 'web',
    targetVersion: 4,
    appliedConfig: 'web',
    appliedVersion: 4,
    attempts: 0,
    updatedAt: NOW - 1000,
    revision: 3,
    ...overrides,
  };
}

const allGroups = new Map<string, LogGroup>([
  ['/var/log/messages', { name: '/var/log/messages', retentionInDays: 30 }],
  ['/fleetwatch/web/i-0123456789abcdef0/access', { name: '/fleetwatch/web/i-0123456789abcdef0/access', retentionInDays: 7 }],
]);

function planFor(
  observed: ObservedInstance,
  options: {
    settings?: Partial<Settings>;
    requested?: RequestedAction;
    origin?: PlanInput['origin'];
    logGroups?: Map<string, LogGroup>;
    silence?: Map<string, string>;
    agent?: PlanInput['agent'];
  } = {},
): Action[] {
  const settings = testSettings(options.settings);
  return plan({
    settings,
    now: NOW,
    requested: options.requested ?? 'ensure',
    origin: options.origin ?? 'sweep',
    instances: [{ ...observed, selection: selectionOf(observed.instance, configs, settings) }],
    logGroups: options.logGroups ?? allGroups,
    ...(options.silence && { silence: options.silence }),
    ...(options.agent && { agent: options.agent }),
  });
}

const kinds = (actions: Action[]) => actions.map((action) => action.kind);

describe('plan: one instance, one situation each', () => {
  const cases: { name: string; observed: ObservedInstance; options?: Parameters<typeof planFor>[1]; expected: Action['kind'][] }[] = [
    { name: 'in the desired state: nothing', observed: instance(), expected: [] },
    { name: 'untagged and never selected: nothing', observed: instance({ tag: null, record: undefined }), expected: [] },
    { name: 'stopped: nothing until it runs', observed: instance({ state: 'stopped', record: undefined }), expected: [] },
    {
      name: 'new instance, no profile: associate, create groups, wait for SSM',
      observed: instance({ association: undefined, profile: undefined, managed: undefined, record: undefined }),
      options: { logGroups: new Map() },
      expected: ['associate-profile', 'create-log-group', 'create-log-group', 'wait-for-registration'],
    },
    {
      name: 'managed, never configured: install and configure',
      observed: instance({ record: undefined }),
      expected: ['install-and-configure'],
    },
    {
      name: 'configured with an old version: configure',
      observed: instance({ record: record({ appliedVersion: 3 }) }),
      expected: ['configure'],
    },
    {
      name: 'configured with another configuration: configure',
      observed: instance({ record: record({ appliedConfig: 'default', appliedVersion: 9 }) }),
      expected: ['configure'],
    },
    {
      name: 'command in flight with a live lease: nothing',
      observed: instance({
        record: record({ appliedVersion: 3, inFlight: { claimId: 'claim-1', commandId: 'c-1', action: 'configure', sentAt: NOW - 10, leaseExpiresAt: NOW + 60_000 } }),
      }),
      expected: [],
    },
    {
      name: 'command in flight with an expired lease: send again',
      observed: instance({
        record: record({ appliedVersion: 3, inFlight: { claimId: 'claim-1', commandId: 'c-1', action: 'configure', sentAt: NOW - 10, leaseExpiresAt: NOW - 1 } }),
      }),
      expected: ['configure'],
    },
    {
      name: 'failed at this target after its retries: ensure leaves it',
      observed: instance({ record: record({ status: 'failed', appliedVersion: 3, attempts: 3 }) }),
      expected: [],
    },
    {
      name: 'failed at this target: an operator install tries again',
      observed: instance({ record: record({ status: 'failed', appliedVersion: 3, attempts: 3 }) }),
      options: { requested: 'install' },
      expected: ['install-and-configure'],
    },
    { name: 'restart requested on a configured instance', observed: instance(), options: { requested: 'restart' }, expected: ['restart'] },
    {
      name: 'log group deleted: create it',
      observed: instance(),
      options: { logGroups: new Map([...allGroups].filter(([name]) => name !== '/var/log/messages')) },
      expected: ['create-log-group'],
    },
    {
      name: 'retention changed by hand: set it back',
      observed: instance(),
      options: { logGroups: new Map([...allGroups, ['/var/log/messages', { name: '/var/log/messages', retentionInDays: 1, tags: { 'fleetwatch:owner': 'dev' } }]]) },
      expected: ['set-retention'],
    },
    {
      name: 'retention differs on a group another stage or someone else created: report, never change',
      observed: instance(),
      options: { logGroups: new Map([...allGroups, ['/var/log/messages', { name: '/var/log/messages', retentionInDays: 3653, tags: { 'fleetwatch:owner': 'prod' } }]]) },
      expected: ['report-foreign-log-group'],
    },
    {
      name: 'foreign profile lacking policies, report mode: report drift only',
      observed: instance({
        association: { associationId: 'a', instanceId: 'i-0123456789abcdef0', profileArn: FOREIGN_ARN, state: 'associated' },
        profile: { profileName: 'app-profile', roleName: 'app-role', attachedPolicyArns: [] },
        record: undefined,
      }),
      expected: ['report-drift'],
    },
    {
      name: 'foreign profile lacking policies, attach mode: attach, then configure once registered',
      observed: instance({
        association: { associationId: 'a', instanceId: 'i-0123456789abcdef0', profileArn: FOREIGN_ARN, state: 'associated' },
        profile: { profileName: 'app-profile', roleName: 'app-role', attachedPolicyArns: [BOTH_POLICIES[1]!] },
      }),
      options: { settings: { profileMode: 'attach' } },
      expected: ['attach-policies', 'wait-for-registration'],
    },
    {
      name: 'foreign profile lacking policies, replace mode: replace the association',
      observed: instance({
        association: { associationId: 'a', instanceId: 'i-0123456789abcdef0', profileArn: FOREIGN_ARN, state: 'associated' },
        profile: { profileName: 'app-profile', roleName: 'app-role', attachedPolicyArns: [] },
      }),
      options: { settings: { profileMode: 'replace' } },
      expected: ['replace-profile', 'wait-for-registration'],
    },
    {
      name: 'foreign profile with both policies: accepted as it is',
      observed: instance({
        association: { associationId: 'a', instanceId: 'i-0123456789abcdef0', profileArn: FOREIGN_ARN, state: 'associated' },
        profile: { profileName: 'app-profile', roleName: 'app-role', attachedPolicyArns: BOTH_POLICIES },
      }),
      expected: [],
    },
    { name: 'tag value with a path: invalid selection', observed: instance({ tag: '../x', record: undefined }), expected: ['report-invalid'] },
    { name: 'tag value with a shell metacharacter: invalid selection', observed: instance({ tag: 'a;b', record: undefined }), expected: ['report-invalid'] },
    { name: 'tag names an unknown configuration: invalid selection', observed: instance({ tag: 'nosuch', record: undefined }), expected: ['report-invalid'] },
    { name: 'tag names a configuration whose parameter is invalid', observed: instance({ tag: 'windows', record: undefined }), expected: ['report-invalid'] },
    {
      name: 'invalid selection already reported with the same reason: nothing',
      observed: instance({
        tag: 'nosuch',
        record: record({ status: 'invalid', lastError: 'tag fleetwatch:dev:config="nosuch" names no configuration of stage dev (known: default, web, windows)' }),
      }),
      expected: [],
    },
    {
      name: 'not registered, sweep, already waiting within the window: left to its work item',
      observed: instance({ managed: undefined, record: record({ status: 'pending', appliedVersion: undefined, waitingSince: NOW - 60_000 }) }),
      expected: [],
    },
    {
      name: 'not registered, worker, within the window: wait again',
      observed: instance({ managed: undefined, record: record({ status: 'pending', appliedVersion: undefined, waitingSince: NOW - 60_000 }) }),
      options: { origin: 'worker' },
      expected: ['wait-for-registration'],
    },
    {
      name: 'not registered after the 45-minute window: unreachable',
      observed: instance({ managed: undefined, record: record({ status: 'pending', appliedVersion: undefined, waitingSince: NOW - 46 * 60_000 }) }),
      options: { origin: 'worker' },
      expected: ['report-unreachable'],
    },
    {
      name: 'already reported unreachable and still silent: nothing',
      observed: instance({ managed: undefined, record: record({ status: 'unreachable', appliedVersion: undefined, waitingSince: NOW - 90 * 60_000 }) }),
      expected: [],
    },
    {
      name: 'unreachable instance that registered since: install and configure',
      observed: instance({ record: record({ status: 'unreachable', appliedVersion: undefined, waitingSince: NOW - 90 * 60_000 }) }),
      expected: ['install-and-configure'],
    },
    {
      name: 'agent at the standing version but the record still waits: mark it configured',
      observed: instance({ record: record({ status: 'pending', waitingSince: NOW - 60_000, lastError: 'not registered with SSM' }) }),
      expected: ['mark-configured'],
    },
    {
      name: 'failed for silence after its restart: stays failed',
      observed: instance({ record: record({ status: 'failed', silenceRestartAt: NOW - 30 * 60_000 }) }),
      expected: [],
    },
    { name: 'terminated with a record: close it', observed: instance({ state: 'terminated' }), expected: ['close-record'] },
    { name: 'terminated, record closed: nothing', observed: instance({ state: 'terminated', record: record({ status: 'closed' }) }), expected: [] },
    { name: 'deselected, onDeselect leave: record it', observed: instance({ tag: null }), expected: ['deselect'] },
    { name: 'deselected, onDeselect stop: stop the agent', observed: instance({ tag: null }), options: { settings: { onDeselect: 'stop' } }, expected: ['stop'] },
    { name: 'deselected, onDeselect uninstall: stop and uninstall the agent', observed: instance({ tag: null }), options: { settings: { onDeselect: 'uninstall' } }, expected: ['uninstall'] },
  ];

  it.each(cases)('$name', ({ observed, options, expected }) => {
    expect(kinds(planFor(observed, options))).toEqual(expected);
  });

  // Every field of every action, as a dry run prints it: reasons and details are what an operator
  // reads, and counts group by reason. Reviewed when it changes (vitest -u), never regenerated blind.
  it.each(cases)('the whole plan: $name', ({ observed, options }) => {
    expect(planFor(observed, options)).toMatchSnapshot();
  });
});

describe('plan: an agent CloudWatch does not hear from', () => {
  const silence = new Map([['i-0123456789abcdef0', 'no metrics in CWAgent']]);
  const cases: { name: string; record: Partial<InstanceRecord>; expected: Action['kind'][] }[] = [
    { name: 'configured long ago, silent: restart it once', record: { appliedAt: NOW - 60 * 60_000 }, expected: ['restart'] },
    { name: 'within the grace period after a (re)start: nothing yet', record: { appliedAt: NOW - 5 * 60_000 }, expected: [] },
    {
      name: 'still silent past the grace period after its restart: report it failed',
      record: { appliedAt: NOW - 20 * 60_000, silenceRestartAt: NOW - 21 * 60_000 },
      expected: ['report-silent'],
    },
    { name: 'already reported failed: nothing', record: { status: 'failed', appliedAt: NOW - 60 * 60_000, silenceRestartAt: NOW - 61 * 60_000 }, expected: [] },
  ];
  it.each(cases)('$name', ({ record: fields, expected }) => {
    const actions = planFor(instance({ record: record(fields) }), { silence });
    expect(kinds(actions)).toEqual(expected);
    if (expected[0] === 'restart') expect(actions[0]).toMatchObject({ forSilence: true, reason: 'agent silent' });
  });
});

describe('plan: details that matter', () => {
  it('creates each log group once with its retention, class and the per-instance name resolved', () => {
    const settings = testSettings({ defaultRetentionDays: 90 });
    const a = instance();
    const b = instance();
    b.instance = { ...b.instance, instanceId: 'i-0aaaaaaaaaaaaaaaa' };
    const actions = plan({
      settings,
      now: NOW,
      requested: 'ensure',
      origin: 'sweep',
      instances: [a, b].map((o) => ({ ...o, record: undefined, selection: selectionOf(o.instance, configs, settings) })),
      logGroups: new Map(),
    });
    const creates = actions.filter((action) => action.kind === 'create-log-group');
    expect(creates).toEqual([
      expect.objectContaining({ logGroupName: '/fleetwatch/web/i-0123456789abcdef0/access', retentionInDays: 7, instanceIds: ['i-0123456789abcdef0'] }),
      expect.objectContaining({ logGroupName: '/fleetwatch/web/i-0aaaaaaaaaaaaaaaa/access', retentionInDays: 7 }),
      expect.objectContaining({ logGroupName: '/var/log/messages', retentionInDays: 90, logGroupClass: 'STANDARD', instanceIds: ['i-0123456789abcdef0', 'i-0aaaaaaaaaaaaaaaa'] }),
    ]);
    // {date} groups are made by the agent each day; the plan never tries to create them.
    expect(creates.some((action) => action.kind === 'create-log-group' && action.logGroupName.includes('{'))).toBe(false);
  });

  it('names the instance, the tag and the known configurations in an invalid selection', () => {
    const [action] = planFor(instance({ tag: 'nosuch', record: undefined }));
    expect(action).toMatchObject({ kind: 'report-invalid', instanceId: 'i-0123456789abcdef0' });
    expect(action!.detail).toContain('"nosuch"');
    expect(action!.detail).toContain('known: default, web, windows');
  });

  it('says which policies a foreign role lacks', () => {
    const [action] = planFor(
      instance({
        association: { associationId: 'a', instanceId: 'i-0123456789abcdef0', profileArn: FOREIGN_ARN, state: 'associated' },
        profile: { profileName: 'app-profile', roleName: 'app-role', attachedPolicyArns: [BOTH_POLICIES[1]!] },
      }),
    );
    expect(action!.detail).toBe('profile app-profile (role app-role) lacks CloudWatchAgentServerPolicy');
  });

  it('carries the exact version into the command', () => {
    const [action] = planFor(instance({ record: record({ appliedVersion: 3 }) }));
    expect(action).toMatchObject({ kind: 'configure', configName: 'web', parameterName: 'AmazonCloudWatch-fleetwatch-dev-web', version: 4, reason: 'version behind' });
  });

  it('is deterministic: the same input gives the same plan', () => {
    const observed = instance({ association: undefined, profile: undefined, managed: undefined, record: undefined });
    expect(planFor(observed, { logGroups: new Map() })).toEqual(planFor(observed, { logGroups: new Map() }));
  });
});

describe('plan: the agent version', () => {
  const OLD = '1.300031.1b100';
  const NEW = '1.300032.2b361';
  const cases: { name: string; record: Partial<InstanceRecord>; agent: PlanInput['agent']; origin?: PlanInput['origin']; expected: Action['kind'][] }[] = [
    { name: 'runs the standing version: nothing', record: { agentVersion: NEW }, agent: { version: NEW }, expected: [] },
    { name: '"latest": versions are not managed, nothing', record: { agentVersion: OLD }, agent: {}, expected: [] },
    { name: 'on another version (drift): install the standing one', record: { agentVersion: OLD }, agent: { version: NEW }, expected: ['install-and-configure'] },
    { name: 'no version reported yet (an old record): install the standing one', record: {}, agent: { version: NEW }, expected: ['install-and-configure'] },
    { name: 'on another version while its rollout runs: the rollout paces it, a sweep leaves it', record: { agentVersion: OLD }, agent: { version: NEW, rolloutInProgress: true }, expected: [] },
    { name: 'the rollout itself plans it', record: { agentVersion: OLD }, agent: { version: NEW, rolloutInProgress: true }, origin: 'rollout', expected: ['install-and-configure'] },
    { name: 'its upgrade failed during the rollout: neither retried nor marked configured', record: { status: 'pending', agentVersion: OLD, targetAgentVersion: NEW, attempts: 1 }, agent: { version: NEW, rolloutInProgress: true }, expected: [] },
    { name: 'failed at the standing version after its retries: left failed', record: { status: 'failed', agentVersion: OLD, targetAgentVersion: NEW, attempts: 3 }, agent: { version: NEW }, expected: [] },
    { name: 'after a rollback: the instance that took the bad version goes back', record: { agentVersion: NEW }, agent: { version: OLD, heldBack: { version: NEW, why: 'rolled back' } }, expected: ['install-and-configure'] },
  ];
  it.each(cases)('$name', ({ record: fields, agent, origin, expected }) => {
    const actions = planFor(instance({ record: record(fields) }), { agent, ...(origin && { origin }) });
    expect(kinds(actions)).toEqual(expected);
    if (expected[0] === 'install-and-configure') expect(actions[0]).toMatchObject({ agentVersion: agent?.version, reason: 'agent version drift' });
  });

  it('a new instance gets the standing version at its install', () => {
    expect(planFor(instance({ record: undefined }), { agent: { version: NEW, rolloutInProgress: true } })[0]).toMatchObject({ kind: 'install-and-configure', agentVersion: NEW });
  });
});

/** Decisions a wrong planner would get wrong without any other test noticing (mutation testing found each). */
describe('plan: decisions that must not drift', () => {
  const withRollout = (inProgress: boolean): ConfigSet => ({
    ...configs,
    usable: new Map([...configs.usable].map(([name, c]) => [name, { ...c, ...(inProgress && { rolloutInProgress: true }) }])),
  });
  const planWith = (observed: ObservedInstance, set: ConfigSet, requested: RequestedAction = 'ensure', origin: PlanInput['origin'] = 'sweep') => {
    const settings = testSettings();
    return plan({ settings, now: NOW, requested, origin, instances: [{ ...observed, selection: selectionOf(observed.instance, set, settings) }], logGroups: allGroups });
  };

  it('retries an instance that failed an older version when a new version comes', () => {
    const failedOld = instance({ record: record({ status: 'failed', appliedVersion: 3, targetVersion: 3, attempts: 3 }) });
    expect(kinds(planFor(failedOld))).toEqual(['configure']);
    const failedThis = instance({ record: record({ status: 'failed', appliedVersion: 3, targetVersion: 4, attempts: 3 }) });
    expect(kinds(planFor(failedThis))).toEqual([]);
    const failedOtherConfig = instance({ record: record({ status: 'failed', configName: 'default', appliedVersion: 3, targetVersion: 4, attempts: 3 }) });
    expect(kinds(planFor(failedOtherConfig))).toEqual(['configure']);
  });

  it('does not deselect a deselected or closed record again', () => {
    for (const status of ['deselected', 'closed'] as const) expect(kinds(planFor(instance({ tag: null, record: record({ status }) })))).toEqual([]);
    expect(kinds(planFor(instance({ tag: null, record: record({ status: 'configured' }) })))).toEqual(['deselect']);
  });

  it("keeps an operator's explicit configure during a rollout, and holds a sweep's back", () => {
    const behind = instance({ record: record({ appliedVersion: 3 }) });
    expect(kinds(planWith(behind, withRollout(true), 'configure'))).toEqual(['configure']);
    expect(kinds(planWith(behind, withRollout(true), 'ensure'))).toEqual([]);
    expect(kinds(planWith(behind, withRollout(true), 'ensure', 'rollout'))).toEqual(['configure']);
    expect(kinds(planWith(behind, withRollout(false), 'ensure'))).toEqual(['configure']);
  });

  it('puts the stage KMS key on the log groups it creates, and none without one', () => {
    const created = (settings: Partial<Settings>) =>
      planFor(instance({ record: undefined }), { settings, logGroups: new Map() }).filter((action) => action.kind === 'create-log-group');
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(created({ logGroupKmsKeyArn: key }).every((action) => 'kmsKeyId' in action && action.kmsKeyId === key)).toBe(true);
    expect(created({}).some((action) => 'kmsKeyId' in action)).toBe(false);
  });
});

describe('selectionOf', () => {
  const settings = testSettings();
  const at = (tag: string) => instance({ tag }).instance;

  it('selects a usable configuration with its log groups resolved', () => {
    const selection = selectionOf(at('web'), configs, settings);
    expect(selection.kind).toBe('selected');
    expect(selection.kind === 'selected' && selection.logGroups.map((group) => group.name)).toEqual(['/var/log/messages', '/fleetwatch/web/i-0123456789abcdef0/access']);
    expect(selection.kind === 'selected' && selection.skippedLogGroups.map((skipped) => skipped.template)).toEqual(['/fleetwatch/web/{date}']);
  });

  it('names every problem of an unusable configuration', () => {
    const set: ConfigSet = { ...configs, unusable: new Map([['windows', { configName: 'windows', parameterName: 'P', problems: ['a: bad', 'b: worse'] }]]) };
    expect(selectionOf(at('windows'), set, settings)).toEqual({ kind: 'invalid', reason: 'configuration windows (parameter P) is not usable: a: bad; b: worse' });
  });

  it('tells a malformed tag value from an unknown name', () => {
    expect(selectionOf(at('a;b'), configs, settings)).toEqual({ kind: 'invalid', reason: expect.stringContaining('is not a configuration name') });
    expect(selectionOf(at('nosuch'), configs, settings)).toEqual({ kind: 'invalid', reason: expect.stringContaining('names no configuration of stage dev') });
  });
});
