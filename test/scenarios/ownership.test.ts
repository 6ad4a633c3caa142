/**
 * Log group ownership: a configuration naming an existing group that fleetwatch did not create
 * (an audit trail's, with 3653 days) and asking for 1 day leaves it at 3653 and reports it, by a
 * reconcile, by the sweep and by the event path; groups fleetwatch creates carry its stage's
 * ownership tag and are changed as configured; adoptLogGroups lets a stage change the others.
 */
import { describe, expect, it } from 'vitest';
import { LOG_GROUP_OWNER_TAG, parameterName } from '../../lib/config.js';
import type { SimulatedAccount } from '../../local/index.js';
import type { SimulatedStack } from '../../local/stack.js';
import { deployedStack, MINUTE, selectorTags } from './helpers.js';

const AUDIT = '/fleetwatch/web/httpd/access';

/** The web configuration, asking 1 day for the audit group. */
function shortenAuditRetention(account: SimulatedAccount, stack: SimulatedStack): void {
  const name = parameterName(stack.settings, 'web');
  const config = JSON.parse(account.parameters.latest(name)!.value) as { logs: { logs_collected: { files: { collect_list: { log_group_name: string; retention_in_days?: number }[] } } } };
  for (const entry of config.logs.logs_collected.files.collect_list) if (entry.log_group_name === AUDIT) entry.retention_in_days = 1;
  account.putParameter(name, JSON.stringify(config));
}

async function withForeignGroup(adoptLogGroups = false) {
  const { account, stack } = deployedStack({}, { settings: { adoptLogGroups } });
  account.createLogGroup(AUDIT, { retentionInDays: 3653, tags: { team: 'audit' } });
  stack.disconnectRules();
  shortenAuditRetention(account, stack);
  const id = account.launchInstance({ tags: selectorTags(stack, 'web'), profileName: stack.settings.managedProfileName, registrationDelayMs: MINUTE }).instanceId;
  return { account, stack, id };
}

describe('a log group fleetwatch did not create', () => {
  it('is left at 3653 days and reported by a reconcile, by the sweep and by the event path', async () => {
    const { account, stack } = await withForeignGroup();
    const reconcile = await stack.reconcile({ dryRun: false, lineLimit: 1000 });
    expect(account.logGroup(AUDIT)?.retentionInDays).toBe(3653);
    expect(reconcile.lines.filter((line) => line.target === AUDIT).map((line) => line.action)).toEqual(['report-foreign-log-group']);

    stack.connectRules();
    await stack.settle();
    await account.clock.sleep(20 * MINUTE);
    const sweep = await stack.reconcile({ dryRun: false, lineLimit: 1000 });
    await stack.settle();
    expect(account.logGroup(AUDIT)?.retentionInDays).toBe(3653);
    expect(sweep.lines.filter((line) => line.target === AUDIT).map((line) => `${line.action}: ${line.reason}`)).toEqual(['report-foreign-log-group: log group not owned']);
    expect(stack.metric('ForeignLogGroups')).toBeGreaterThanOrEqual(2);
  });

  it('keeps the groups fleetwatch creates tagged as owned by the stage, and changes those', async () => {
    const { account, stack } = await withForeignGroup();
    stack.connectRules();
    await stack.settle();
    const created = [...account.logs.groups.values()].filter((group) => group.name !== AUDIT);
    expect(created.length).toBeGreaterThan(0);
    for (const group of created) expect(group.tags[LOG_GROUP_OWNER_TAG], group.name).toBe('dev');
    const owned = created[0]!.name;
    account.logs.putRetention(owned, 1);
    await stack.reconcile({ dryRun: false });
    expect(account.logGroup(owned)?.retentionInDays).not.toBe(1);
  });

  it('is changed when the stage adopts log groups (adoptLogGroups)', async () => {
    const { account, stack } = await withForeignGroup(true);
    await stack.reconcile({ dryRun: false });
    expect(account.logGroup(AUDIT)?.retentionInDays).toBe(1);
  });
});
