/**
 * serverless.yml as the bench reads it: the esbuild options and handlers (cold start), each
 * function's memory and the sweep schedule per stage (cost).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

interface YamlType {
  new (tag: string, options: { kind: 'scalar' | 'sequence' | 'mapping'; construct(data: unknown): unknown }): unknown;
}
// js-yaml comes with osls and has no bundled types; this is all we use of it.
const yaml = createRequire(import.meta.url)('js-yaml') as {
  load(text: string, options: { schema: unknown }): unknown;
  Type: YamlType;
  DEFAULT_SCHEMA: { extend(types: unknown[]): unknown };
};

export interface ServerlessYml {
  params: Record<string, Record<string, unknown>>;
  provider: { memorySize?: number };
  custom: { esbuild: Record<string, unknown> };
  functions: Record<string, { handler: string; memorySize?: number }>;
}

/** serverless.yml holds CloudFormation short forms (!Ref, !GetAtt, !Sub): read them as plain values. */
export function readServerlessYml(): ServerlessYml {
  const tags = ['Ref', 'GetAtt', 'Sub', 'Join', 'If', 'Select', 'Split', 'ImportValue', 'FindInMap', 'Equals', 'Not', 'Base64'];
  const types = tags.flatMap((name) =>
    (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${name}`, { kind, construct: (data) => ({ [name]: data }) })),
  );
  const text = readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8');
  return yaml.load(text, { schema: yaml.DEFAULT_SCHEMA.extend(types) }) as ServerlessYml;
}

/** Lambda's default when neither the function nor the provider sets memorySize. */
const LAMBDA_DEFAULT_MEMORY_MB = 128;

/** Memory (MB) of each function as deployed. */
export function functionMemoryMb(sls: ServerlessYml = readServerlessYml()): Record<string, number> {
  return Object.fromEntries(
    Object.entries(sls.functions).map(([name, fn]) => [name, fn.memorySize ?? sls.provider.memorySize ?? LAMBDA_DEFAULT_MEMORY_MB]),
  );
}

/** Scheduled sweeps in a 30-day month for a stage's sweepSchedule, rate(N minutes|hours|days) only. */
export function sweepsPerMonth(stage: string, sls: ServerlessYml = readServerlessYml()): number {
  const schedule = String(sls.params[stage]?.sweepSchedule ?? sls.params.default?.sweepSchedule);
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (!match) throw new Error(`serverless.yml params.${stage}.sweepSchedule: ${schedule} is not a rate(...) the bench can count`);
  const minutes = Number(match[1]) * { minute: 1, hour: 60, day: 1440 }[match[2] as 'minute' | 'hour' | 'day'];
  return (30 * 24 * 60) / minutes;
}
