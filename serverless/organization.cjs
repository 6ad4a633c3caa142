'use strict';
/* global require, module -- CommonJS on Node: osls loads local plugins with require() */
/* eslint-disable @typescript-eslint/no-require-imports -- same reason */
/**
 * An osls plugin for the organization mode (README "Organization"), run once serverless.yml's
 * resources are merged into the compiled template:
 * - with the stage's organizationId set, it adds the hub's side: the members event bus, which
 *   accepts events only from the organization, and on it the same rules as on the default bus,
 *   to the same functions (the grants to reach into members are serverless/iam.cjs's);
 * - always, it writes the member template beside the hub's (serverless/member-template.cjs), so
 *   `npm run package` gives both, offline.
 * With organizationId unset the hub's template is exactly the single-account one.
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { stageSettings } = require('./check-settings.cjs');
const { MEMBER_TEMPLATE_FILE, eventRules, memberTemplate } = require('./member-template.cjs');

const MEMBERS_BUS = 'MembersEventBus';

/** The members bus and its policy: PutEvents from any principal of the organization, nothing else. */
function membersBus(stage, organizationId) {
  const name = `fleetwatch-${stage}-members`;
  return {
    Type: 'AWS::Events::EventBus',
    Properties: {
      Name: name,
      Description: `fleetwatch ${stage}: instance events forwarded by the member stacks of organization ${organizationId}`,
      Policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OrganizationMembersPutEvents',
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${name}` },
            Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
          },
        ],
      },
      Tags: [
        { Key: 'fleetwatch:managed-by', Value: 'fleetwatch' },
        { Key: 'fleetwatch:stage', Value: stage },
      ],
    },
  };
}

/**
 * The hub's resources of the organization mode: the bus, one rule per rule of the default bus
 * with the same pattern and function (o3's routing tells a member's event by its account), and
 * EventBridge's permission to invoke each function from its rule.
 */
function hubResources(settings, organization, hubTemplate) {
  const Resources = { [MEMBERS_BUS]: membersBus(settings.stage, organization.organizationId) };
  for (const rule of eventRules(hubTemplate)) {
    const ruleId = `Members${rule.name}Rule`;
    Resources[ruleId] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `fleetwatch-${settings.stage}-members-${rule.name[0].toLowerCase()}${rule.name.slice(1)}`,
        EventBusName: { Ref: MEMBERS_BUS },
        EventPattern: rule.pattern,
        State: 'ENABLED',
        Targets: [{ Id: 'function', Arn: { 'Fn::GetAtt': [rule.functionLogicalId, 'Arn'] } }],
      },
    };
    Resources[`Members${rule.name}Permission`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [rule.functionLogicalId, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      },
    };
  }
  const Outputs = {
    MembersEventBusArn: { Description: "The member template's HubEventBusArn", Value: { 'Fn::GetAtt': [MEMBERS_BUS, 'Arn'] } },
  };
  return { Resources, Outputs };
}

class Organization {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:aws:package:finalize:mergeCustomProviderResources': () => this.organize() };
  }

  async organize() {
    const { service, serviceDir } = this.serverless;
    const { settings, organization, regions } = await stageSettings(service);
    const template = service.provider.compiledCloudFormationTemplate;
    if (organization) {
      const added = hubResources(settings, organization, template);
      Object.assign(template.Resources, added.Resources);
      template.Outputs = { ...template.Outputs, ...added.Outputs };
    }
    const member = memberTemplate({ settings, regions, configs: settings.configNames.map((name) => ({ name })), hubTemplate: template });
    // Into .serverless beside the hub's template: osls moves the directory to --package when asked.
    const dir = path.join(serviceDir, '.serverless');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, MEMBER_TEMPLATE_FILE), JSON.stringify(member, null, 2));
  }
}

module.exports = Organization;
module.exports.hubResources = hubResources;
