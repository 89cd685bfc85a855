import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '#infra/paths.ts';
import { reservationBench } from './reservations.ts';
import { benchDb } from './support.ts';

/**
 * `npm run bench [-- --quick]`: measures the OMS against its floor on this
 * machine, prints a table and writes bench/results/latest.json. Every figure
 * comes from running the real code against its own in-memory DynamoDB Local
 * (loopback only, removed afterwards); absolute rates on a shared machine are
 * noisy, so each is printed next to the floor measured in the same run.
 */
const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
const log = (line: string) => console.error(line);
const started = Date.now();

const bench = await benchDb();
let results;
try {
  log(`Reservations (${flags.quick ? 'quick' : 'full'})...`);
  results = { reservations: await reservationBench(bench, { quick: flags.quick, log }) };
} finally {
  await bench.stop();
}

const report = {
  generatedAt: new Date().toISOString(),
  mode: flags.quick ? 'quick' : 'full',
  seconds: Math.round((Date.now() - started) / 1000),
  machine: { cpus: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  results,
};

const r = results.reservations;
const rows: [string, string, string][] = [
  ['Reservations/s (real code)', String(r.reservationsPerSecond), `${r.orders} one-line orders, ${r.concurrency} at a time`],
  ['Floor: TransactWriteItems/s', String(r.floorTransactionsPerSecond), `the same ${r.itemsPerTransaction}-item transaction, no reads, no logic`],
  ['Ratio (real / floor)', String(r.ratio), 'target ≥ 0.5'],
  ['Write units per reservation', String(r.writeUnitsPerReservation), `floor: ${r.floorWriteUnitsPerTransaction} (ReturnConsumedCapacity)`],
  ...r.hotSku.map((h): [string, string, string] => [
    `Hot SKU, ${h.shards} shard${h.shards > 1 ? 's' : ''}: reservations/s`,
    String(h.reservationsPerSecond),
    `${h.attemptsPerReservation} attempts each, answers ${JSON.stringify(h.answered)}, oversold ${h.oversold}; AWS ceiling ≈ ${h.awsCeilingPerSecond}/s`,
  ]),
];
const width = Math.max(...rows.map(([name]) => name.length));
console.log(`\nOMS benchmarks — ${report.mode}, ${report.machine.cpus} CPUs, Node ${report.machine.node}, ${report.seconds} s\n`);
for (const [name, value, note] of rows) console.log(`  ${name.padEnd(width)}  ${value.padStart(9)}   ${note}`);

const out = flags.out ?? join(repoRoot, 'bench', 'results', 'latest.json');
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nWrote ${out}`);
