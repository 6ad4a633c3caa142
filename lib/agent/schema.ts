/**
 * Layer one: the CloudWatch agent's own JSON schema (draft-04), vendored in
 * vendor/amazon-cloudwatch-agent/schema.json and compiled ahead of time by ajv into
 * schema-validator.generated.mjs (no schema is compiled at run time; ajv's code in it runs on the
 * first validation, so a function that never validates does not bundle or load it). A configuration this layer
 * rejects is one the agent would reject on every instance. ajv's errors are worded here as
 * fleetwatch's field-path messages.
 */
import validateAgainstAgentSchema from './schema-validator.generated.mjs';
import { describe, jsonPath, pointerSegments, valueAt } from './paths.js';

type SchemaError = NonNullable<typeof validateAgainstAgentSchema.errors>[number];

const COMBINATORS = ['anyOf', 'oneOf'];

/** Every way the document breaks the agent's schema, one message per problem (empty: it conforms). */
export function agentSchemaProblems(document: unknown): string[] {
  if (validateAgainstAgentSchema(document)) return [];
  const errors = validateAgainstAgentSchema.errors ?? [];
  const problems: string[] = [];
  // ajv reports the failures of each branch of an anyOf/oneOf before the anyOf/oneOf itself; they
  // are folded into one message at the combinator's path ("is none of the forms ...: a; or b").
  let pending: SchemaError[] = [];
  for (const error of errors) {
    if (COMBINATORS.includes(error.keyword) && error.params.passingSchemas == null) {
      const inside = pending.filter((branch) => isWithin(branch.instancePath, error.instancePath));
      pending = pending.filter((branch) => !inside.includes(branch));
      problems.push(...pending.map((other) => problemOf(document, other)));
      pending = [];
      const forms = [...new Set(inside.map((branch) => problemOf(document, branch, error.instancePath)))];
      problems.push(
        `${at(document, error.instancePath)}: is none of the forms the agent accepts${forms.length ? `: ${forms.slice(0, 6).join('; or ')}` : ''}`,
      );
    } else {
      pending.push(error);
    }
  }
  problems.push(...pending.map((error) => problemOf(document, error)));
  return [...new Set(problems)];
}

function isWithin(path: string, base: string): boolean {
  return path === base || path.startsWith(`${base}/`);
}

function at(document: unknown, pointer: string, ...more: PropertyKey[]): string {
  return jsonPath([...pointerSegments(document, pointer), ...more]);
}

/** One error as "path: message"; inside a combinator, the path is relative to it (or left out). */
function problemOf(document: unknown, error: SchemaError, relativeTo?: string): string {
  const { path, message } = worded(document, error);
  if (relativeTo === undefined) return `${path}: ${message}`;
  const base = at(document, relativeTo);
  const relative = path === base ? '' : path.startsWith(`${base}.`) ? path.slice(base.length + 1) : path.startsWith(base) ? path.slice(base.length) : path;
  return relative ? `${relative} ${message}` : message;
}

function worded(document: unknown, error: SchemaError): { path: string; message: string } {
  const p = error.params;
  const value = valueAt(document, error.instancePath);
  const path = at(document, error.instancePath);
  switch (error.keyword) {
    case 'type':
      return { path, message: `must be ${article(String(p.type).split(',').join(' or '))} (got ${describe(value)})` };
    case 'required':
      return { path: at(document, error.instancePath, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return { path: at(document, error.instancePath, String(p.additionalProperty)), message: "unknown key (the agent's schema does not allow it here)" };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(value)})` };
    case 'minLength':
    case 'maxLength':
      return { path, message: `must be ${error.keyword === 'minLength' ? 'at least' : 'at most'} ${String(p.limit)} character(s) long` };
    case 'minItems':
    case 'maxItems':
      return { path, message: `must hold ${error.keyword === 'minItems' ? 'at least' : 'at most'} ${String(p.limit)} item(s)` };
    case 'minProperties':
    case 'maxProperties':
      return { path, message: `must have ${error.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(p.limit)} key(s)` };
    case 'minimum':
    case 'maximum':
      return { path, message: `must be ${String(p.comparison)} ${String(p.limit)} (got ${JSON.stringify(value)})` };
    case 'uniqueItems':
      return { path, message: `items [${String(p.j)}] and [${String(p.i)}] are identical (the agent rejects duplicates)` };
    case 'pattern':
      return { path, message: `must match ${String(p.pattern)} (got ${JSON.stringify(value)})` };
    case 'not':
      return { path, message: `${JSON.stringify(value)} is not allowed here` };
    case 'oneOf':
      return { path, message: 'matches more than one of the forms the agent accepts' };
    default:
      return { path, message: `breaks the agent's schema rule "${error.keyword}" (${JSON.stringify(p)})` };
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
