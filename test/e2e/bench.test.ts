import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '#infra/paths.ts';

/**
 * Keeps `npm run bench` from rotting: its quick mode runs and produces every
 * figure, and nothing was oversold. Timings are not asserted (they belong to
 * the benchmark, not to a test).
 */
const dir = mkdtempSync(join(tmpdir(), 'oms-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench -- --quick', () => {
  it('produces every figure, with nothing oversold', async () => {
    const out = join(dir, 'latest.json');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(repoRoot, 'bench/run.ts'), '--quick', '--out', out], { cwd: repoRoot, timeout: 240_000 }, (error, text) =>
        error ? reject(error) : resolve(text),
      ),
    );
    expect(stdout).toContain('Ratio (real / floor)');
    const report = JSON.parse(readFileSync(out, 'utf8')) as { mode: string; results: { reservations: Record<string, unknown> & { hotSku: { oversold: number; answered: Record<string, number> }[] } } };
    expect(report.mode).toBe('quick');
    const r = report.results.reservations;
    for (const figure of ['reservationsPerSecond', 'floorTransactionsPerSecond', 'ratio', 'writeUnitsPerReservation']) expect(r[figure], figure).toBeGreaterThan(0);
    expect(r.hotSku.map((h) => h.oversold)).toEqual([0, 0]);
    for (const h of r.hotSku) expect(h.answered['reserved']).toBeGreaterThan(0);
  }, 300_000);
});
