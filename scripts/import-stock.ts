import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { rejectedCsv, stockMovements, type RejectedRow, type StockRow } from '#shared/import/stock-csv.ts';
import { defaultDataDir, findRunningOms, resolveOmsTarget } from '#infra/local/discovery.ts';
import { Progress } from './progress.ts';

/**
 * `npm run import:stock -- stock.csv`: a first load (or a full recount) of
 * stock from a CSV file whose first row names the columns sku, location,
 * onHand (docs/examples/stock.csv). Every row
 * becomes a cycle-count movement sent to the running OMS through
 * `POST /v1/inventory/movements` in batches of 100 — the same code path as
 * the API — with a progress bar and a summary of the rejected rows and why.
 * Running the same file again is safe: rows already applied are reported as
 * duplicates and change nothing.
 */
const usage = `Usage: npm run import:stock -- <file.csv> [options]

The file's first row names the columns: sku, location (or locationId), onHand
(or quantity); every other row sets one SKU's count at one location.
Example: docs/examples/stock.csv

  --url URL           the OMS API (default $OMS_URL, else $OMS, else the OMS npm start runs here,
                      else http://127.0.0.1:3000)
  --token TOKEN       API token (default $OMS_API_TOKEN, else $OMS_TOKEN, else the running OMS's,
                      else the one npm start keeps in .oms/api-token)
  --reason TEXT       reason recorded on every movement (default "stock import")
  --rejects FILE      where to write the rejected rows (default <file>.rejected.csv)
  --import-id ID      apply the file again as a new import (default: derived from the file's content)
  --concurrency N     batches in flight at once (default 4)

Exit status: 0 every row applied (or already applied), 2 some rows rejected, 1 the import could not run.`;

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    reason: { type: 'string', default: 'stock import' },
    rejects: { type: 'string' },
    'import-id': { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const BATCH = 100;

function fail(message: string): never {
  console.error(`import:stock: ${message}`);
  process.exit(1);
}

if (flags.help || positionals.length !== 1) {
  console.log(usage);
  process.exit(flags.help ? 0 : 1);
}

const file = resolve(positionals[0] ?? '');
if (!existsSync(file)) fail(`no such file: ${file}`);
const text = readFileSync(file, 'utf8');
const importId = flags['import-id'] ?? createHash('sha256').update(text).digest('hex').slice(0, 12);
const target = resolveOmsTarget({
  flags,
  env: process.env,
  running: findRunningOms(),
  tokenFile: () => {
    const tokenFile = resolve(defaultDataDir(), 'api-token');
    return existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
  },
});
const baseUrl = target.url;
const token = target.token ?? fail('no API token: pass --token, or set OMS_TOKEN to the token npm start printed');
const concurrency = Math.max(1, Math.min(16, Number(flags.concurrency) || 4));

let parsed: ReturnType<typeof stockMovements>;
try {
  parsed = stockMovements(text, { importId, reason: flags.reason });
} catch (error) {
  fail((error as Error).message);
}
const rejected: RejectedRow[] = [...parsed.rejected];
const total = parsed.movements.length + parsed.rejected.length;
const counts = { applied: 0, duplicate: 0 };
let done = parsed.rejected.length;
const started = Date.now();

const progress = new Progress(process.stderr, total);

interface MovementResult {
  movementId: string;
  status: 'applied' | 'duplicate' | 'rejected';
  code?: string;
  reason?: string;
  heldBy?: { sku: string; locationId?: string; recordedAt: string };
}

/** Why a row was refused, in the import's words: a movement id already used by another file is the import id's fault, not the row's. */
function rejection(result: MovementResult): string {
  if (result.code === 'movement_id_reused' && result.heldBy) {
    return `import id ${importId} was already used for another file: its row here counted ${result.heldBy.sku} at ${result.heldBy.locationId ?? '?'} (recorded ${result.heldBy.recordedAt}); nothing applied, import this file with a new --import-id`;
  }
  return result.reason ?? 'rejected';
}

/** One batch through the API; network failures and 5xx are retried (the movement ids make that safe). */
async function send(batch: StockRow[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let response: Response | undefined;
    try {
      response = await fetch(`${baseUrl}/v1/inventory/movements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ movements: batch.map((r) => r.movement) }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      if (attempt >= 5) fail(`cannot reach ${baseUrl}: ${(error as Error).message} (is the OMS running? npm start)`);
    }
    if (response?.ok) {
      const { results } = (await response.json()) as { results: MovementResult[] };
      results.forEach((result, i) => {
        const row = batch[i] as StockRow;
        if (result.status === 'rejected') {
          rejected.push({ row: row.row, sku: row.movement.sku, locationId: 'locationId' in row.movement ? row.movement.locationId : undefined, reason: rejection(result) });
        } else counts[result.status]++;
      });
      done += batch.length;
      progress.update(done);
      return;
    }
    if (response?.status === 401) fail('the OMS refused the token (401): pass the token npm start printed with --token');
    if (response && response.status < 500 && response.status !== 429) {
      const body = await response.text();
      fail(`the OMS refused a batch (HTTP ${response.status}): ${body.slice(0, 500)}`);
    }
    if (attempt >= 5) fail(`the OMS kept failing (HTTP ${response?.status ?? 'no answer'})`);
    await sleep(250 * 2 ** attempt);
  }
}

/** Fails at once, saying where the address came from, when nothing answers there (rather than after the retries). */
async function reachable(): Promise<void> {
  try {
    await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    fail(`cannot reach ${baseUrl} (${cause}), the address from ${target.source}. Is the OMS running (npm start)? Or pass --url, or set OMS to its address.`);
  }
}

const batches: StockRow[][] = [];
for (let i = 0; i < parsed.movements.length; i += BATCH) batches.push(parsed.movements.slice(i, i + BATCH));
let next = 0;
await reachable();
progress.update(done);
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < batches.length) await send(batches[next++] as StockRow[]);
  }),
);
progress.finish();

const seconds = ((Date.now() - started) / 1000).toFixed(1);
const rejectsFile = resolve(flags.rejects ?? `${file}.rejected.csv`);
rejected.sort((a, b) => a.row - b.row);
if (rejected.length > 0) writeFileSync(rejectsFile, rejectedCsv(rejected));
console.log(`
Imported ${file} (import id ${importId}) into ${baseUrl}: ${total.toLocaleString('en-US')} rows in ${seconds} s
  applied    ${String(counts.applied).padStart(8)}
  duplicate  ${String(counts.duplicate).padStart(8)}   already applied by an earlier run of this file (use --import-id to apply it again)
  rejected   ${String(rejected.length).padStart(8)}${rejected.length > 0 ? `   written to ${rejectsFile}` : ''}`);
if (rejected.length > 0) {
  console.log('\nRejected rows:');
  for (const r of rejected.slice(0, 20)) console.log(`  row ${String(r.row).padStart(6)}  ${(r.sku ?? '').padEnd(20)} ${(r.locationId ?? '').padEnd(16)} ${r.reason}`);
  if (rejected.length > 20) console.log(`  … and ${rejected.length - 20} more in ${rejectsFile}`);
}
process.exit(rejected.length > 0 ? 2 : 0);
