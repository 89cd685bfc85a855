import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { functionNames, functions, type FunctionSpec } from '#infra/topology/functions.ts';
import { repoRoot } from '#infra/paths.ts';
import { round } from './support.ts';

/**
 * Cold-start proxies: each function bundled the way CDK bundles it
 * (esbuild, minified ESM for Node 22, the AWS SDK left to the runtime), its
 * size, and the time a fresh Node 22 process takes to import it — against a
 * minimal handler that imports only the Powertools logger, bundled the same
 * way, in the same run.
 */
export interface ColdStartFigures {
  functions: number;
  bundleKb: { baseline: number; median: number; max: number; largest: string; over250: string[] };
  initMs: { baseline: number; median: number; max: number; slowest: string };
  initRatio: { median: number; max: number; over2: string[] };
  perFunction: { name: string; kb: number; initMs?: number }[];
}

const BANNER = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/** The environment the handlers read at module load (values only need to be valid). */
const ENV = {
  TABLE_NAME: 'oms-bench',
  MAIL_FROM: 'oms@bench.example',
  OPS_EMAIL: 'ops@bench.example',
  OMS_API_TOKEN: 'bench-token-0123456789abcdef',
  CARRIER_WEBHOOK_SECRET: 'bench-carrier-webhook-secret-0123456789',
  POLL_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:poll',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/s',
  SCHEDULE_GROUP: 'g',
  SCHEDULE_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:d',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_SERVICE_NAME: 'oms',
  POWERTOOLS_METRICS_NAMESPACE: 'OMS',
  POWERTOOLS_TRACE_ENABLED: 'false',
};

async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return statSync(outfile).size;
}

/** Import time of a module in a fresh process (median of `runs`). */
function initMs(file: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    let out: string;
    try {
      out = execFileSync(process.execPath, ['--input-type=module', '-e', 'const t=performance.now();await import(process.argv[1]);process.stdout.write(String(performance.now()-t));', file], {
        // A clean environment, like a fresh Lambda container: nothing of the benchmark's own runtime leaks in.
        env: { PATH: process.env['PATH'] ?? '', ...ENV },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '');
      throw new Error(`Importing ${file} failed: ${stderr.split('\n').filter((line) => line.length < 300).slice(-6).join(' | ')}`, { cause: error });
    }
    times.push(Number(out));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function coldStartBench(options: { quick: boolean; log: (line: string) => void }): Promise<ColdStartFigures> {
  // Inside the repository, so the bundles resolve the AWS SDK from node_modules as the Lambda runtime provides it.
  const dir = join(repoRoot, 'bench', 'results', '.bundles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const baselineEntry = join(dir, 'baseline-handler.ts');
    writeFileSync(
      baselineEntry,
      "import { Logger } from '@aws-lambda-powertools/logger';\nconst logger = new Logger();\nexport const handler = async () => { logger.info('hello'); return { ok: true }; };\n",
    );
    const baselineFile = join(dir, 'baseline.mjs');
    const baselineKb = (await bundle(baselineEntry, baselineFile)) / 1024;
    options.log(`  bundling ${functionNames.length} functions...`);
    const perFunction: ColdStartFigures['perFunction'] = [];
    for (const name of functionNames) {
      const spec: FunctionSpec = functions[name];
      const file = join(dir, `${name}.mjs`);
      perFunction.push({ name, kb: round((await bundle(join(repoRoot, spec.entry), file)) / 1024, 1) });
    }
    const runs = 1;
    const measured = options.quick ? perFunction.filter((_, i) => i % 8 === 0) : perFunction;
    options.log(`  importing ${measured.length} bundles in fresh processes (${runs}×)...`);
    const baselineMs = initMs(baselineFile, runs + 2);
    for (const f of measured) f.initMs = round(initMs(join(dir, `${f.name}.mjs`), runs), 1);
    const sizes = perFunction.map((f) => f.kb);
    const largest = perFunction.reduce((a, b) => (b.kb > a.kb ? b : a));
    const timed = measured.filter((f): f is typeof f & { initMs: number } => f.initMs !== undefined);
    const slowest = timed.reduce((a, b) => (b.initMs > a.initMs ? b : a));
    return {
      functions: perFunction.length,
      bundleKb: { baseline: round(baselineKb, 1), median: round(median(sizes), 1), max: largest.kb, largest: largest.name, over250: perFunction.filter((f) => f.kb > 250).map((f) => f.name) },
      initMs: { baseline: round(baselineMs, 1), median: round(median(timed.map((f) => f.initMs)), 1), max: slowest.initMs, slowest: slowest.name },
      initRatio: {
        median: round(median(timed.map((f) => f.initMs)) / baselineMs, 2),
        max: round(slowest.initMs / baselineMs, 2),
        over2: timed.filter((f) => f.initMs / baselineMs > 2).map((f) => f.name),
      },
      perFunction,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
