import { describe, expect, it } from 'vitest';
import { configNameOfParameter, loadSettings, parameterName, testSettings } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';
import { MINIMAL_ENVIRONMENT } from './settings-environment.js';

const minimal = MINIMAL_ENVIRONMENT;

describe('loadSettings', () => {
  it('applies safe production defaults', () => {
    const settings = loadSettings(minimal);
    expect(settings).toMatchObject({
      selectorTagKey: 'fleetwatch:prod:config',
      profileMode: 'report',
      onDeselect: 'leave',
      defaultRetentionDays: 30,
      registrationWindowMinutes: 45,
      maxConcurrency: '10%',
      maxErrors: '5%',
      configNames: ['default', 'web', 'windows'],
    });
  });

  it('names every bad or missing variable at once', () => {
    let error: unknown;
    try {
      loadSettings({
        ...minimal,
        FLEETWATCH_ACCOUNT_ID: undefined,
        FLEETWATCH_PROFILE_MODE: 'overwrite',
        FLEETWATCH_DEFAULT_RETENTION_DAYS: '10',
        FLEETWATCH_PARAMETER_PREFIX: 'fleetwatch-prod-',
        FLEETWATCH_MAX_ERRORS: 'lots',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect((error as ConfigError).problems).toHaveLength(5);
    expect(problems).toContain('FLEETWATCH_ACCOUNT_ID is required');
    expect(problems).toContain('FLEETWATCH_PROFILE_MODE');
    expect(problems).toContain('FLEETWATCH_DEFAULT_RETENTION_DAYS must be one of -1, 1, 3');
    expect(problems).toContain('FLEETWATCH_PARAMETER_PREFIX must start with AmazonCloudWatch-');
    expect(problems).toContain('FLEETWATCH_MAX_ERRORS');
  });

  it('takes latest (the default) or an exact agent version, and refuses one with shell metacharacters before SSM does', () => {
    expect(loadSettings(minimal).agentVersion).toBe('latest');
    expect(loadSettings({ ...minimal, FLEETWATCH_AGENT_VERSION: '1.300032.2b361' }).agentVersion).toBe('1.300032.2b361');
    for (const bad of ['1.300032.2b361; reboot', '1.3$(curl x)', '`id`', '1.2 && true', 'newest']) {
      expect(() => loadSettings({ ...minimal, FLEETWATCH_AGENT_VERSION: bad }), bad).toThrow(/FLEETWATCH_AGENT_VERSION must be latest or an exact agent version/);
    }
  });

  it('takes onDeselect uninstall beside leave and stop', () => {
    expect(loadSettings({ ...minimal, FLEETWATCH_ON_DESELECT: 'uninstall' }).onDeselect).toBe('uninstall');
    expect(() => loadSettings({ ...minimal, FLEETWATCH_ON_DESELECT: 'remove' })).toThrow(/FLEETWATCH_ON_DESELECT/);
  });

  it('rejects a configuration name that a tag could never select', () => {
    expect(() => loadSettings({ ...minimal, FLEETWATCH_CONFIG_NAMES: 'web,../x' })).toThrow(/FLEETWATCH_CONFIG_NAMES/);
  });
});

describe('parameter names', () => {
  const settings = testSettings();
  it('round-trips a configuration name', () => {
    expect(parameterName(settings, 'web')).toBe('AmazonCloudWatch-fleetwatch-dev-web');
    expect(configNameOfParameter(settings, 'AmazonCloudWatch-fleetwatch-dev-web')).toBe('web');
  });
  it('does not claim another stage or an unknown configuration', () => {
    expect(configNameOfParameter(settings, 'AmazonCloudWatch-fleetwatch-prod-web')).toBeUndefined();
    expect(configNameOfParameter(settings, 'AmazonCloudWatch-fleetwatch-dev-nosuch')).toBeUndefined();
  });
});
