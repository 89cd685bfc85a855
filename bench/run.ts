import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '#infra/paths.ts';
import { reservationBench } from './reservations.ts';
import { costBench, pipelineBench } from './pipeline.ts';
import { coldStartBench } from './cold-start.ts';
import { contentionBench } from './contention.ts';
import { readsBench } from './reads.ts';
import { benchDb, type BenchDb } from './support.ts';

/**
 * `npm run bench [-- --quick]`: measures the OMS against its floor on this
 * machine, prints a table and writes bench/results/latest.json. Every figure
 * comes from running the real code against its own in-memory DynamoDB Local
 * (loopback only, removed afterwards); absolute rates on a shared machine are
 * noisy, so each is printed next to the floor measured in the same run.
 */
const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' } } });
const log = (line: string) => console.error(line);
const started = Date.now();

/**
 * Each measurement gets its own in-memory DynamoDB Local: a second table in
 * one instance makes every transaction on it several times slower, which
 * would charge one benchmark for another's data.
 */
async function withDb<T>(run: (bench: BenchDb) => Promise<T>): Promise<T> {
  const bench = await benchDb();
  try {
    return await run(bench);
  } finally {
    await bench.stop();
  }
}

/**
 * `--only cost`: the cost model alone (whole order lives, then the return
 * workflow on a share of them), the shortest run that produces the returns
 * figure; with `--quick`, 3 orders and 1 return. Prints the cost rows and
 * writes them to --out (default bench/results/cost.json), never latest.json.
 */
if (flags.only !== undefined) {
  if (flags.only !== 'cost') throw new Error(`--only takes 'cost', not '${flags.only}'`);
  const cost = await withDb((bench) => costBench(bench, { quick: flags.quick, log }));
  const r = cost.returns;
  const services = (dollars: Record<string, number>) => Object.entries(dollars).filter(([k]) => k !== 'ses' && k !== 'sns').map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`\nOMS cost model — ${flags.quick ? 'quick' : 'full'}, ${Math.round((Date.now() - started) / 1000)} s\n`);
  console.log(`  Cost per million orders, $  ${cost.totalWithoutMessages}  (${services(cost.dollarsPerMillionOrders)})`);
  console.log(`  Returns at ${r.returnRate * 100} %, $ per million orders  ${r.totalPerMillionOrdersWithoutMessages}  target ≤ ${r.budgetPerMillionOrders} (${services(r.dollarsPerMillionOrders)})`);
  console.log(`  … per return  ${JSON.stringify(r.perReturn)}`);
  const out = flags.out ?? join(repoRoot, 'bench', 'results', 'cost.json');
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ generatedAt: new Date().toISOString(), mode: flags.quick ? 'quick' : 'full', results: { cost } }, null, 2)}\n`);
  console.log(`\nWrote ${out}`);
  process.exit(0);
}

const mode = flags.quick ? 'quick' : 'full';
log(`Reservations (${mode})...`);
const reservations = await withDb((bench) => reservationBench(bench, { quick: flags.quick, log }));
log(`Pipeline (${mode})...`);
const pipeline = await withDb((bench) => pipelineBench(bench, { quick: flags.quick, log }));
log(`Oversell under contention (${mode})...`);
const contention = await withDb((bench) => contentionBench(bench, { quick: flags.quick, log }));
log(`Scale of reads (${mode})...`);
const reads = await withDb((bench) => readsBench(bench, { quick: flags.quick, log }));
log(`Cold-start proxies (${mode})...`);
const coldStart = await coldStartBench({ quick: flags.quick, log });
const results = { reservations, pipeline, contention, reads, coldStart };

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
const p = results.pipeline;
const c = p.cost;
rows.push(
  ['Pipeline orders/s (webhook → routed)', String(p.throughput.ordersPerSecond), `${p.throughput.orders} signed Shopify webhooks, ${p.throughput.concurrency} at a time; ${p.throughput.dynamoCallsPerOrder} DynamoDB calls per order`],
  ['Floor: reservation TransactWriteItems/s', String(p.throughput.floorTransactionsPerSecond), 'the same transaction alone, same concurrency'],
  ['Ratio (pipeline / floor)', String(p.throughput.ratio), 'target ≥ 0.5'],
  ['Webhook ack p50/p95/p99 ms', `${p.latency.ackMs.p50}/${p.latency.ackMs.p95}/${p.latency.ackMs.p99}`, `at ${p.latency.offeredPerSecond}/s; p50 = ${p.latency.ackRatioP50}× the floor call`],
  ['Webhook → reserved p50/p95/p99 ms', `${p.latency.reservedMs.p50}/${p.latency.reservedMs.p95}/${p.latency.reservedMs.p99}`, `p50 = ${p.latency.reservedRatioP50}× the floor call`],
  ['Floor call p50/p95/p99 ms', `${p.latency.floorMs.p50}/${p.latency.floorMs.p95}/${p.latency.floorMs.p99}`, 'one reservation TransactWriteItems'],
  ['Cost per million orders, $', String(c.totalWithoutMessages), `excl. e-mail/SMS (target ≤ 30): ${Object.entries(c.dollarsPerMillionOrders).filter(([k]) => k !== 'ses' && k !== 'sns').map(([k, v]) => `${k} ${v}`).join(', ')}`],
  ['… with e-mail, $', String(c.totalWithEmail), `${c.perOrder.emails} e-mails per order (SES $${c.dollarsPerMillionOrders['ses']})`],
  [
    `Returns at ${c.returns.returnRate * 100} %: $ per million orders`,
    String(c.returns.totalPerMillionOrdersWithoutMessages),
    `excl. e-mail/SMS (target ≤ ${c.returns.budgetPerMillionOrders}): ${Object.entries(c.returns.dollarsPerMillionOrders).filter(([k]) => k !== 'ses' && k !== 'sns').map(([k, v]) => `${k} ${v}`).join(', ')}; $${c.returns.totalPerMillionReturnsWithoutMessages} per million returns`,
  ],
  [
    '… per return, counted',
    `${c.returns.perReturn.dynamoWriteUnits} WCU`,
    `${c.returns.perReturn.dynamoReadUnits} RCU, ${c.returns.perReturn.lambdaInvocations} Lambda, ${c.returns.perReturn.expressExecutions} Express, ${c.returns.perReturn.eventBridgeEvents} events, ${c.returns.perReturn.apiRequests} API, ${c.returns.perReturn.emails} e-mails (${c.returns.returns} returns)`,
  ],
);
for (const v of results.contention.variants) {
  rows.push([
    `Oversell: ${v.name}`,
    `${v.oversold} oversold`,
    `${v.orders} buyers on ${v.units} units: ${v.reserved} reserved, ${v.lost} lost, answers ${JSON.stringify(v.answers)}, ${v.answersPerSecond} answers/s, every buyer answered in ${v.secondsToAnswerAll} s`,
  ]);
}
const rd = results.reads;
rows.push(
  [`List orders p50/p95 ms (${rd.orders} in table)`, `${rd.listMs.p50}/${rd.listMs.p95}`, `pages of 50, newest first; ${JSON.stringify(rd.callsPerListPage)} per page; p50 = ${rd.listRatioP50}× a GetItem`],
  ['Order by id p50/p95 ms', `${rd.getMs.p50}/${rd.getMs.p95}`, `${JSON.stringify(rd.callsPerGet)} per read; p50 = ${rd.getRatioP50}× a GetItem (${rd.floorGetItemMs.p50} ms); scans: ${rd.scans}; seeded in ${rd.seedSeconds} s`],
);
const cs = results.coldStart;
rows.push(
  ['Bundle size median / max, KB', `${cs.bundleKb.median}/${cs.bundleKb.max}`, `${cs.functions} functions (largest ${cs.bundleKb.largest}); ${cs.bundleKb.over250.length} over 250 KB (target: none); baseline ${cs.bundleKb.baseline} KB`],
  ['Module init median / max, ms', `${cs.initMs.median}/${cs.initMs.max}`, `baseline (Powertools logger only) ${cs.initMs.baseline} ms`],
  ['Init ratio median / max', `${cs.initRatio.median}/${cs.initRatio.max}`, `target ≤ 2; ${cs.initRatio.over2.length} functions over`],
);
const width = Math.max(...rows.map(([name]) => name.length));
console.log(`\nOMS benchmarks — ${report.mode}, ${report.machine.cpus} CPUs, Node ${report.machine.node}, ${report.seconds} s\n`);
for (const [name, value, note] of rows) console.log(`  ${name.padEnd(width)}  ${value.padStart(9)}   ${note}`);

const out = flags.out ?? join(repoRoot, 'bench', 'results', 'latest.json');
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nWrote ${out}`);
