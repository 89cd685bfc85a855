import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { startOms } from '#infra/local/runtime.ts';
import { repoRoot } from '#infra/paths.ts';
import { chaosRun, chaosTable, killRun, type ChaosRunResult, type FaultKind } from './chaos.ts';
import { FUZZ_WMS_LOCATIONS, fuzzEvents, seedWorld, type EventFuzzResult } from './event-fuzz.ts';
import { fuzzRoutes, type RouteFuzzResult } from './route-fuzz.ts';

/**
 * `npm run chaos [-- --quick] [-- --fuzz]`: the fault campaign of issue 12
 * (docs/operations.md "Fault campaign"). One run per fault kind, one with
 * all of them, one `kill -9` of `npm start` under load; each bounded by
 * --timeout seconds and on loopback only. Prints the table and writes
 * bench/results/chaos.json (gitignored). `--fuzz` fuzzes every /v1 route
 * and every event consumer (10,000 cases each, --fuzz-cases to change;
 * --event-cases for the consumers apart) instead. --concurrency: clients at
 * once in the fault runs (default 8).
 */
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    fuzz: { type: 'boolean', default: false },
    orders: { type: 'string' },
    share: { type: 'string', default: '0.15' },
    runs: { type: 'string' },
    timeout: { type: 'string' },
    'fuzz-cases': { type: 'string' },
    'event-cases': { type: 'string' },
    concurrency: { type: 'string' },
    out: { type: 'string' },
  },
});
const log = (line: string) => console.error(line);
const started = Date.now();
process.env['POWERTOOLS_METRICS_DISABLED'] = 'true';
process.env['POWERTOOLS_LOG_LEVEL'] = 'CRITICAL';

const orders = Number(flags.orders ?? (flags.quick ? 60 : 1_000));
const share = Number(flags.share);
if (!(orders > 0) || !(share > 0 && share < 1)) throw new Error('--orders must be positive and --share between 0 and 1');
const timeoutMs = Number(flags.timeout ?? (flags.quick ? 300 : 1_800)) * 1000;
const runs = (flags.runs?.split(',') ?? ['dynamoThrottle', 'dynamoServerError', 'crash', 'deliveryFailure', 'all', 'kill9']) as FaultKind[];
const out = flags.out ?? join(repoRoot, 'bench', 'results', 'chaos.json');

const dynamo = await startDynamoDbLocal({});
const results: ChaosRunResult[] = [];
let fuzz: RouteFuzzResult | undefined;
let eventFuzz: EventFuzzResult | undefined;
try {
  if (flags.fuzz) {
    // --fuzz-cases 0 skips the routes (to run the event consumers alone).
    const casesPerRoute = Number(flags['fuzz-cases'] ?? (flags.quick ? 500 : 10_000));
    // Event cases run whole consumers (workflows, transactions): --event-cases sets them apart (default: as many as routes).
    const casesPerConsumer = Number(flags['event-cases'] ?? casesPerRoute);
    // One token for both runtimes: the handlers read it once, when the first runtime loads them.
    const token = 'fuzz-campaign-token-0123456789abcdef';
    if (casesPerRoute > 0) {
      const oms = await startOms({ port: 0, dynamoEndpoint: dynamo.endpoint, tableName: 'oms-route-fuzz', apiToken: token, logLevel: 'CRITICAL', schedules: false });
      try {
        log(`Route fuzz: ${casesPerRoute} cases per /v1 route...`);
        fuzz = await fuzzRoutes({ token: oms.apiToken, casesPerRoute, log });
      } finally {
        await oms.stop();
      }
      console.log(`\nRoute fuzz: ${fuzz.routes} routes × ${fuzz.casesPerRoute} cases = ${fuzz.cases}; 5xx ${fuzz.serverErrors}; partial writes ${fuzz.partialWrites}; answers ${JSON.stringify(fuzz.statuses)}`);
      for (const finding of fuzz.findings) console.log(`  ${finding.operationId} ${finding.kind} ${finding.status}: ${JSON.stringify(finding.request)} ${finding.body ?? ''}`);
    }
    // Event consumers on a table of their own: a seeded world of orders delivered, returned, cancelled, shipped and reserved.
    const events = await startOms({ port: 0, dynamoEndpoint: dynamo.endpoint, tableName: 'oms-event-fuzz', apiToken: token, logLevel: 'CRITICAL', schedules: false, wmsLocations: FUZZ_WMS_LOCATIONS });
    try {
      log(`Event fuzz: ${casesPerConsumer} cases per event consumer...`);
      eventFuzz = await fuzzEvents(events, { casesPerConsumer: casesPerConsumer, world: await seedWorld(events), log });
    } finally {
      await events.stop();
    }
    console.log(
      `\nEvent fuzz: ${eventFuzz.consumers} consumers × ${eventFuzz.casesPerConsumer} cases = ${eventFuzz.cases} delivered (${eventFuzz.filtered} filtered by their rule); partial writes ${eventFuzz.partialWrites}; queue batches thrown ${eventFuzz.queueThrows}; outcomes ${JSON.stringify(eventFuzz.outcomes)}`,
    );
    for (const finding of eventFuzz.findings) console.log(`  ${finding.consumer} ${finding.kind} (${finding.outcome}): ${JSON.stringify(finding.input).slice(0, 500)} ${finding.writes?.join(',') ?? ''} ${finding.error ?? ''}`);
  } else {
    // One runtime per process: the handlers read their configuration (table, token, faults) once, when the first
    // runtime of the process loads them. Several runs therefore go each to a process of its own.
    const inProcess = runs.filter((run) => run !== 'kill9');
    for (const run of runs) {
      log(`Run ${run}: ${orders} orders${run === 'kill9' ? ', SIGKILL under load' : ` at ${share * 100} %`}...`);
      const options = { orders, share, timeoutMs, dynamoEndpoint: dynamo.endpoint, log, ...(flags.concurrency ? { concurrency: Number(flags.concurrency) } : {}) };
      try {
        if (run === 'kill9') results.push(await killRun(options));
        else if (inProcess.length === 1) results.push(await chaosRun(run as Exclude<FaultKind, 'kill9'>, options));
        else results.push(...runInChild(run));
      } catch (error) {
        log(`Run ${run} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      const last = results.at(-1);
      if (last) log(chaosTable([last]));
    }
    console.log(`\nFault campaign — ${orders} orders per run, ${Math.round((Date.now() - started) / 1000)} s\n`);
    console.log(chaosTable(results));
  }
} finally {
  await dynamo.stop();
}
/** `run` alone in a child process with the same flags; its results. */
function runInChild(run: FaultKind): ChaosRunResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'oms-chaos-run-'));
  try {
    const childOut = join(dir, 'result.json');
    const args = ['bench/chaos-run.ts', '--runs', run, '--orders', String(orders), '--share', String(share), '--timeout', String(timeoutMs / 1000), '--out', childOut];
    if (flags.concurrency) args.push('--concurrency', flags.concurrency);
    spawnSync(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'], env: process.env });
    return (JSON.parse(readFileSync(childOut, 'utf8')) as { runs: ChaosRunResult[] }).runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, `${JSON.stringify({ generatedAt: new Date().toISOString(), orders, share, runs: results, ...(fuzz ? { fuzz } : {}), ...(eventFuzz ? { eventFuzz } : {}) }, null, 2)}\n`);
console.log(`\nWrote ${out}`);
const failed = results.some((r) => r.lost + r.unitsReservedTwice + r.ordersReservedTwice + r.messagesSentTwice + r.stuck > 0) || (flags.fuzz ? (fuzz ? fuzz.serverErrors + fuzz.partialWrites : 0) + (eventFuzz ? eventFuzz.partialWrites + eventFuzz.queueThrows : 1) > 0 : results.length < runs.length);
process.exit(failed ? 1 : 0);
