import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { MODULE_FILE, SCHEMA_FILE, generateValidatorSource } from '../../vendor/amazon-cloudwatch-agent/generate-validator.mjs';
import { agentSchemaProblems } from '../../lib/agent/index.js';

describe('the compiled schema module (lib/agent/schema-validator.generated.mjs)', () => {
  it('is exactly what the generator makes from the vendored schema: regenerating it changes nothing', () => {
    expect(readFileSync(MODULE_FILE, 'utf8') === generateValidatorSource()).toBe(true);
  });

  it('follows the schema it was generated from: a schema edit shows in the output', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { definitions: { endpointOverrideDefinition: { minLength: number } } };
    schema.definitions.endpointOverrideDefinition.minLength = 5;
    expect(generateValidatorSource(JSON.stringify(schema))).not.toBe(readFileSync(MODULE_FILE, 'utf8'));
  });

  it('is the draft-04 schema of the agent, with its license beside it', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { $schema: string; properties: Record<string, unknown> };
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(Object.keys(schema.properties)).toEqual(['agent', 'metrics', 'logs', 'traces', 'opentelemetry']);
    expect(readFileSync(new URL('../../vendor/amazon-cloudwatch-agent/LICENSE', import.meta.url), 'utf8')).toContain('MIT License');
  });

  it('is what the running code validates with', () => {
    expect(agentSchemaProblems({ agent: [] })).toEqual(['agent: must be an object (got an array)']);
    expect(agentSchemaProblems({ agent: { region: 'eu-west-1' } })).toEqual([]);
  });
});
