import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '#infra/paths.ts';
import { functionNames } from '#infra/topology/functions.ts';

describe('npx cdk synth', () => {
  it('synthesizes offline with no AWS credentials and bundles every function as minified ESM', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'oms-cli-synth-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')));
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
      cwd: repoRoot,
      env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: '1' },
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);

    const manifests = ['Oms-dev-Stateless', 'Oms-dev-Api'].map(
      (stack) => JSON.parse(readFileSync(join(outdir, `${stack}.assets.json`), 'utf8')) as { files: Record<string, { source: { path: string; packaging?: string } }> },
    );
    const bundles = manifests
      .flatMap((manifest) => Object.values(manifest.files))
      .map((file) => file.source)
      .filter((source) => source.packaging === 'zip')
      .map((source) => join(outdir, source.path, 'index.mjs'));
    expect(bundles).toHaveLength(functionNames.length);
    for (const bundle of bundles) {
      const code = readFileSync(bundle, 'utf8');
      expect(code).toMatch(/export\s*\{[^}]*as handler\s*\}/);
      expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: long lines, no indentation
      expect(readdirSync(join(bundle, '..'))).toContain('index.mjs.map');
      expect(statSync(bundle).size).toBeGreaterThan(0);
    }
  });
});
