/**
 * Where the compiled agent schema (about 216 KB of ajv code) ends up in the deployed bundles: only
 * in the functions that validate a configuration. The others used to carry and evaluate it at
 * every cold start, because esbuild keeps a CommonJS import it cannot prove free of side effects.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The generated module, whatever its extension. */
const isSchemaModule = (file: string) => /^lib\/agent\/schema-validator\.generated\./.test(file);

/** The files esbuild takes into a function's bundle (bundle, ESM, Node: as serverless.yml packages it). */
async function bundledFiles(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    outdir: 'out',
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  return Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([file]) => file);
}

describe('the compiled agent schema in the function bundles', () => {
  it.each(['functions/instance-state.ts', 'functions/tag-change.ts', 'functions/command-outcome.ts'])(
    '%s never validates a configuration and does not bundle it',
    async (entry) => {
      expect((await bundledFiles(entry)).filter(isSchemaModule)).toEqual([]);
    },
  );

  it('functions/parameter-change.ts validates the version it rolls out, and bundles it', async () => {
    expect((await bundledFiles('functions/parameter-change.ts')).filter(isSchemaModule)).toEqual(['lib/agent/schema-validator.generated.mjs']);
  });
});
