import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { repoRoot } from '#infra/paths.ts';
import { announceRunningOms } from '#infra/local/discovery.ts';
import { freePort } from '#infra/local/net.ts';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { locationBody } from '../support/fixtures.ts';

/**
 * `npm run import:stock` against the running local OMS: the CLI is run as
 * the merchant runs it (its own Node process, over HTTP), on a generated
 * file with good and bad rows.
 */
let oms: RunningOms;
let dir: string;
const ROWS = 500;

function importStock(file: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli([file, '--url', oms.url, '--token', oms.apiToken, ...args]);
}

/** The CLI with only the environment a user would have (none of the variables a test runner sets). */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'scripts/import-stock.ts'), ...args],
      { cwd: repoRoot, timeout: 120_000, env: { PATH: process.env['PATH'] ?? '', OMS_DATA_DIR: join(dir, 'no-oms-here'), ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function onHand(sku: string, locationId: string): Promise<number | undefined> {
  const response = await fetch(`${oms.url}/v1/inventory/${encodeURIComponent(sku)}`, { headers: { authorization: `Bearer ${oms.apiToken}` } });
  if (response.status === 404) return undefined;
  const body = (await response.json()) as { locations: { locationId: string; onHand: number }[] };
  return body.locations.find((l) => l.locationId === locationId)?.onHand;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oms-import-'));
  oms = await startOms({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName: `oms-import-${randomUUID()}`, apiToken: 'import-token-0123456789abcdef', logLevel: 'ERROR', schedules: false });
  for (const id of ['wh-east', 'wh-west']) {
    await fetch(`${oms.url}/v1/locations/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(locationBody({ name: id })),
    });
  }
}, 120_000);

afterAll(async () => {
  await oms?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run import:stock', () => {
  const file = () => join(dir, 'stock.csv');

  it('loads every good row through the API, with progress, and lists each rejected row with its reason', async () => {
    const lines = ['sku,location,onHand'];
    for (let i = 0; i < ROWS; i++) lines.push(`SKU-${String(i).padStart(5, '0')},${i % 2 === 0 ? 'wh-east' : 'wh-west'},${i % 50}`);
    lines.push('BAD-1,wh-nowhere,3', 'BAD-2,wh-east,-4', 'BAD#3,wh-east,1', 'SKU-00000,wh-east,9');
    writeFileSync(file(), lines.join('\n'));

    const run = await importStock(file(), '--concurrency', '3');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toMatch(new RegExp(`applied\\s+${ROWS}\\b`));
    expect(run.stdout).toMatch(/duplicate\s+0\b/);
    expect(run.stdout).toMatch(/rejected\s+4\b/);
    expect(run.stdout).toContain(`${oms.url}: ${ROWS + 4} rows in`);
    // Progress is for the wait, not for the record: no line of it outlives the summary.
    expect(run.stderr).not.toMatch(/100%/);

    const rejects = readFileSync(`${file()}.rejected.csv`, 'utf8').trim().split('\n');
    expect(rejects[0]).toBe('row,sku,location,reason');
    expect(rejects.slice(1).map((line) => line.split(',')[0])).toEqual([String(ROWS + 2), String(ROWS + 3), String(ROWS + 4), String(ROWS + 5)]);
    expect(rejects.join('\n')).toMatch(/Unknown location wh-nowhere/);
    expect(rejects.join('\n')).toMatch(/whole number/);
    expect(rejects.join('\n')).toMatch(/Same SKU and location as row 2/);

    expect(await onHand('SKU-00000', 'wh-east')).toBe(0);
    expect(await onHand('SKU-00049', 'wh-west')).toBe(49);
    expect(await onHand('SKU-00499', 'wh-west')).toBe(49);
    expect(await onHand('BAD-1', 'wh-nowhere')).toBeUndefined();
  });

  it('changes nothing when the same file is imported again, and applies it again under a new import id', async () => {
    const again = await importStock(file());
    expect(again.stdout).toMatch(/applied\s+0\b/);
    expect(again.stdout).toMatch(new RegExp(`duplicate\\s+${ROWS}\\b`));
    const movements = await fetch(`${oms.url}/v1/inventory/SKU-00007/movements`, { headers: { authorization: `Bearer ${oms.apiToken}` } });
    expect(((await movements.json()) as { items: unknown[] }).items).toHaveLength(1);

    // A recount with a new id: counts that match change nothing, so stock stays the same.
    const recount = await importStock(file(), '--import-id', 'recount-1');
    expect(recount.stdout).toMatch(new RegExp(`applied\\s+${ROWS}\\b`));
    expect(await onHand('SKU-00049', 'wh-west')).toBe(49);
  });

  it('refuses the rows of another file imported under an import id already used, saying why, and applies none of them', async () => {
    // recount-1 holds the first file (row 2: SKU-00000 at wh-east, 0). Row 3 is the same count again; rows 2 and 4 are other counts.
    writeFileSync(join(dir, 'other.csv'), 'sku,location,onHand\nSKU-00000,wh-east,7\nSKU-00001,wh-west,1\nOTHER-1,wh-east,5\n');
    const run = await importStock(join(dir, 'other.csv'), '--import-id', 'recount-1');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toMatch(/applied\s+0\b/);
    expect(run.stdout).toMatch(/duplicate\s+1\b/);
    expect(run.stdout).toMatch(/rejected\s+2\b/);
    expect(run.stdout).toMatch(/import id recount-1 was already used for another file: its row here counted SKU-00000 at wh-east .*new --import-id/);
    const rejects = readFileSync(join(dir, 'other.csv.rejected.csv'), 'utf8');
    expect(rejects).toMatch(/^2,SKU-00000,wh-east,.*already used for another file/m);
    expect(rejects).toMatch(/^4,OTHER-1,wh-east,.*counted SKU-00002 at wh-east/m);
    expect(await onHand('SKU-00000', 'wh-east')).toBe(0);
    expect(await onHand('OTHER-1', 'wh-east')).toBeUndefined();
  });

  it('exits 0 on a clean file, and 1 with a clear message when it cannot run', async () => {
    writeFileSync(join(dir, 'clean.csv'), 'SKU,Location,Quantity\nCLEAN-1,wh-east,5\n');
    const clean = await importStock(join(dir, 'clean.csv'));
    expect(clean.code).toBe(0);
    expect(await onHand('CLEAN-1', 'wh-east')).toBe(5);

    writeFileSync(join(dir, 'headless.csv'), 'CLEAN-1,wh-east,5\n');
    const headless = await importStock(join(dir, 'headless.csv'));
    expect(headless).toMatchObject({ code: 1, stderr: expect.stringContaining('missing: sku, location, onHand') });

    const badToken = await importStock(join(dir, 'clean.csv'), '--token', 'wrong-token-0123456789abcdef');
    expect(badToken).toMatchObject({ code: 1, stderr: expect.stringContaining('refused the token') });
  });

  it('finds the OMS from the README variables OMS and OMS_TOKEN, or from what npm start announced, on any port', async () => {
    writeFileSync(join(dir, 'readme.csv'), 'sku,location,onHand\nREADME-1,wh-east,3\n');
    const viaReadme = await runCli([join(dir, 'readme.csv')], { OMS: oms.url, OMS_TOKEN: oms.apiToken });
    expect(viaReadme.code, viaReadme.stderr).toBe(0);
    expect(await onHand('README-1', 'wh-east')).toBe(3);

    const dataDir = join(dir, 'announced');
    const remove = announceRunningOms({ url: oms.url, pid: process.pid, apiToken: oms.apiToken, startedAt: new Date().toISOString() }, dataDir);
    writeFileSync(join(dir, 'announced.csv'), 'sku,location,onHand\nREADME-2,wh-west,4\n');
    const viaNotice = await runCli([join(dir, 'announced.csv')], { OMS_DATA_DIR: dataDir });
    remove();
    expect(viaNotice.code, viaNotice.stderr).toBe(0);
    expect(viaNotice.stdout).toContain(oms.url);
    expect(await onHand('README-2', 'wh-west')).toBe(4);
  });

  it('says at once where the address came from when nothing answers there', async () => {
    const closed = await freePort();
    const run = await runCli([join(dir, 'readme.csv')], { OMS: `http://127.0.0.1:${closed}`, OMS_TOKEN: 'x'.repeat(32) });
    expect(run.code).toBe(1);
    // The probe's message, not the one after the batch retries: nothing was sent.
    expect(run.stderr).toContain(`cannot reach http://127.0.0.1:${closed} (ECONNREFUSED), the address from OMS`);
  });
});
