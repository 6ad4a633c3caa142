/**
 * What the deployed bundles hold, as serverless.yml builds them (bundle, ESM, Node, with
 * custom.esbuild.plugins): code every cold start would load for nothing is kept out.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '../..');
const plugins = createRequire(import.meta.url)('../../serverless/esbuild-plugins.cjs') as Plugin[];

const built = new Map<string, Promise<string[]>>();
/** The files esbuild takes into a function's bundle (built once per entry and file). */
function bundledFiles(entry: string): Promise<string[]> {
  if (!built.has(entry)) built.set(entry, bundle(entry));
  return built.get(entry)!;
}

async function bundle(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    plugins,
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

/** The generated agent schema module (about 216 KB of ajv code), whatever its extension. */
const isSchemaModule = (file: string) => /^lib\/agent\/schema-validator\.generated\./.test(file);

describe('the compiled agent schema in the function bundles', () => {
  // esbuild keeps a CommonJS import it cannot prove free of side effects: as a CommonJS module,
  // the schema was in every bundle and evaluated at every cold start.
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

describe("semver under the X-Ray SDK (Powertools' tracer)", () => {
  const xraySdk = path.join(ROOT, 'node_modules/aws-xray-sdk-core/dist/lib');

  it('is only its gte function in the bundle, semver\'s own', async () => {
    const semverFiles = (await bundledFiles('functions/instance-state.ts')).filter((file) => file.includes('node_modules/semver/'));
    expect(semverFiles).toContain('node_modules/semver/functions/gte.js');
    expect(semverFiles.filter((file) => /semver\/(index|ranges\/|classes\/range)/.test(file))).toEqual([]);
  });

  it('is used by the X-Ray SDK for gte alone: a release that uses more fails here', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? sources(path.join(dir, entry.name)) : entry.name.endsWith('.js') ? [path.join(dir, entry.name)] : [],
      );
    const used = new Set<string>();
    for (const file of sources(xraySdk)) {
      const text = readFileSync(file, 'utf8');
      const binding = /(?:var|const|let)\s+(\w+)\s*=\s*require\(['"]semver['"]\)/.exec(text)?.[1];
      if (!binding) continue;
      for (const [, member] of text.matchAll(new RegExp(`\\b${binding}\\.(\\w+)`, 'g'))) used.add(member!);
      // Any other use of the binding (passed along, destructured) would escape the check above.
      expect(text.match(new RegExp(`(?<!['"])\\b${binding}\\b(?![.'"])`, 'g')), file).toHaveLength(1);
    }
    expect([...used]).toEqual(['gte']);
  });
});
