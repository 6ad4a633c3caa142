/**
 * The EventBridge rules of the packaged template against the sample events of events/: each
 * sample must reach exactly the rule events/manifest.json names, and each near miss none.
 *
 * A template rule belongs to a manifest key (the function names instanceState, tagChange,
 * parameterChange, commandOutcome) when its logical id or its Name contains the key, case apart:
 * osls names an eventBridge event's rule "<service>-<stage>-<function>-rule-<n>" and its logical
 * id after that. Rules with an EventPattern that belong to no key still count: a near miss must reach
 * no rule at all. Matching is moto's (see routing.ts), the template is the one `sls package`
 * writes (packaged once per run in global-setup.ts).
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { eventRules, readTemplate, templatePath, type TemplateRule } from './template.js';
import { loadSamples, manifestKeys, mismatches, route, type RoutedRule, type Sample } from './routing.js';

let samples: Sample[];
let keys: string[];

beforeAll(async () => {
  samples = await loadSamples();
  keys = manifestKeys(samples);
});

/** Each template rule labelled with its manifest key, and what is wrong with the set. */
function labelRules(rules: TemplateRule[], keys: string[]): { routed: RoutedRule[]; problems: string[] } {
  const problems: string[] = [];
  const keysOf = (rule: TemplateRule) =>
    keys.filter((key) => [rule.logicalId, rule.name ?? ''].some((name) => name.toLowerCase().includes(key.toLowerCase())));

  const routed = rules.map((rule): RoutedRule => {
    const owned = keysOf(rule);
    if (owned.length > 1) problems.push(`${rule.logicalId} matches more than one manifest key: ${owned.join(', ')}`);
    // moto would route a DISABLED rule anyway; AWS would not.
    if (rule.state !== 'ENABLED') problems.push(`${rule.logicalId} is ${rule.state}, not ENABLED`);
    // AWS service events arrive on the default bus only.
    if (rule.eventBusName !== undefined && rule.eventBusName !== 'default') {
      problems.push(`${rule.logicalId} is on bus ${rule.eventBusName}; AWS events arrive on the default bus`);
    }
    return { label: owned.length === 1 ? owned[0]! : rule.logicalId, pattern: rule.pattern };
  });

  const missing = keys.filter((key) => !routed.some((rule) => rule.label === key));
  if (missing.length) {
    problems.push(
      `the template has no EventBridge rule for: ${missing.join(', ')} ` +
        `(an AWS::Events::Rule with an EventPattern whose logical id or Name contains the key, any case). ` +
        `Rules with a pattern now: ${rules.map((rule) => rule.logicalId).join(', ') || 'none'}`,
    );
  }
  for (const key of keys) {
    const owners = rules.filter((rule) => keysOf(rule).includes(key));
    if (owners.length > 1) problems.push(`more than one rule for ${key}: ${owners.map((rule) => rule.logicalId).join(', ')}`);
  }
  return { routed, problems };
}

describe('the packaged template’s rules', () => {
  let rules: TemplateRule[];
  let routed: RoutedRule[];
  let problems: string[];

  beforeAll(async () => {
    rules = eventRules(await readTemplate(templatePath(inject('template'))));
    ({ routed, problems } = labelRules(rules, keys));
  });

  it('has exactly one enabled rule on the default bus for each manifest key', () => {
    expect(problems).toEqual([]);
  });

  it('routes every sample to the rule the manifest names, and no near miss anywhere', async () => {
    // A DISABLED rule routes nothing on AWS (moto would route it anyway): left out here, reported above.
    const enabled = routed.filter((_, index) => rules[index]?.state === 'ENABLED');
    expect(mismatches(samples, await route(enabled, samples))).toEqual([]);
  });

  it('would fail if the template’s instance-state rule lost its detail filter', async () => {
    const instanceState = routed.find((rule) => rule.label === 'instanceState');
    expect(instanceState, 'no instanceState rule (see the first test)').toBeDefined();
    const { detail: _dropped, ...withoutDetail } = instanceState!.pattern;
    const broken = routed.map((rule) => (rule === instanceState ? { ...rule, pattern: withoutDetail } : rule));

    expect(mismatches(samples, await route(broken, samples))).toEqual(
      expect.arrayContaining(['near-miss-ec2-stopped.json: must reach no rule, reached instanceState']),
    );
  });
});

/**
 * The check itself: a known-good set of patterns passes it, and breaking one pattern makes it
 * fail. These patterns exist only to prove the check can fail; serverless.yml is the truth.
 */
describe('the routing check', () => {
  const goodPatterns = (): RoutedRule[] => [
    {
      label: 'instanceState',
      pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['running', 'terminated'] } },
    },
    {
      label: 'tagChange',
      pattern: {
        source: ['aws.tag'],
        'detail-type': ['Tag Change on Resource'],
        detail: { service: ['ec2'], 'resource-type': ['instance'], 'changed-tag-keys': ['fleetwatch:dev:config'] },
      },
    },
    {
      label: 'parameterChange',
      pattern: {
        source: ['aws.ssm'],
        'detail-type': ['Parameter Store Change'],
        detail: { operation: ['Create', 'Update', 'Delete'], name: [{ prefix: 'AmazonCloudWatch-fleetwatch-dev-' }] },
      },
    },
    {
      label: 'commandOutcome',
      pattern: { source: ['aws.ssm'], 'detail-type': ['EC2 Command Invocation Status-change Notification'], detail: { 'document-name': ['fleetwatch-dev-agent'] } },
    },
  ];

  it('passes a rule set that routes as the manifest says', async () => {
    expect(goodPatterns().map((rule) => rule.label).sort()).toEqual([...keys].sort());
    expect(mismatches(samples, await route(goodPatterns(), samples))).toEqual([]);
  });

  it('fails when the instance-state rule loses its state filter: the stopped and pending near misses get through', async () => {
    const broken = goodPatterns().map((rule) => {
      if (rule.label !== 'instanceState') return rule;
      const { detail: _dropped, ...withoutState } = rule.pattern;
      return { ...rule, pattern: withoutState };
    });

    expect(mismatches(samples, await route(broken, samples))).toEqual([
      'near-miss-ec2-stopped.json: must reach no rule, reached instanceState',
      'near-miss-ec2-pending.json: must reach no rule, reached instanceState',
    ]);
  });

  it('fails when a rule for a manifest key is missing, naming it', () => {
    const { problems } = labelRules(
      [{ logicalId: 'InstanceStateRule', state: 'ENABLED', pattern: goodPatterns()[0]!.pattern }],
      keys,
    );
    expect(problems).toEqual([expect.stringContaining(`the template has no EventBridge rule for: ${keys.slice(1).join(', ')} (`)]);
  });
});
