import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { announceRunningOms, defaultDataDir } from './discovery.ts';
import { startOms } from './runtime.ts';

/**
 * `npm start`: the whole OMS on this machine.
 *
 *   npm start                       data kept in .oms/ between runs
 *   npm start -- --in-memory        nothing kept
 *   npm start -- --reset            wipe .oms/ first
 *   npm start -- --port 4000        (or PORT=4000)
 *   npm start -- --log-level INFO   handler logs (default WARN)
 *   npm start -- --redrive          invoke again what failed its asynchronous retries (failed-invocations.jsonl)
 */
const { values: flags } = parseArgs({
  options: {
    'in-memory': { type: 'boolean', default: false },
    reset: { type: 'boolean', default: false },
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
    redrive: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) {
  console.log(
    'Usage: npm start -- [--in-memory] [--reset] [--port N] [--host ADDR] [--data-dir DIR] [--log-level WARN|INFO|DEBUG] [--redrive]',
  );
  process.exit(0);
}

const dataDir = flags['in-memory'] ? undefined : resolve(flags['data-dir'] ?? defaultDataDir());
const started = Date.now();
console.log('Starting the OMS: DynamoDB Local, workflows synthesized from the CDK app, handlers...');

const oms = await startOms({
  port: Number(flags.port ?? process.env['PORT'] ?? 3000),
  ...(flags.host ? { host: flags.host } : {}),
  ...(dataDir ? { dataDir } : {}),
  reset: flags.reset,
  ...(flags['log-level'] ? { logLevel: flags['log-level'] } : {}),
}).catch((error: unknown) => {
  console.error(`The OMS could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

// Local tools (npm run import:stock) find this OMS, its port and its token, through this notice.
const withdrawNotice = announceRunningOms(
  { url: oms.url, pid: process.pid, apiToken: oms.apiToken, dataDir, startedAt: new Date().toISOString() },
  dataDir ?? defaultDataDir(),
);

console.log(`
OMS is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

  API         ${oms.url}            (try: curl ${oms.url}/health)
  OpenAPI     ${oms.url}/openapi.json
  API token   ${oms.apiToken}
              export OMS_TOKEN=${oms.apiToken}
  Data        ${dataDir ?? 'in memory (gone when stopped)'}
  Mail, SMS   ${oms.mail.file ?? 'in memory'}${oms.sms.file ? `, ${oms.sms.file}` : ''}
  Carriers    tracking webhooks at ${oms.url}/webhooks/carriers/{parcelco|swiftship}, signed with "${oms.carrierWebhookSecret}"
  DynamoDB    ${oms.dynamoEndpoint} (table ${oms.tableName})
  Workflows   ${oms.workflows.workflows.join(', ')}
  Schedules   ${Object.entries(oms.scheduler.nextRuns()).map(([id, at]) => `${id} next at ${at}`).join('; ')}
  Processes   node ${process.pid}, DynamoDB Local ${oms.dynamoPid ?? '(not started here)'}
  Failed      ${oms.failedInvocations.list().length} asynchronous invocations kept in ${oms.failedInvocations.file ?? 'memory'}${flags.redrive ? `; ${await oms.redriveFailedInvocations()} redriven now` : ' (npm start -- --redrive invokes them again)'}

Ctrl-C stops everything cleanly.`);

let stoppingSince: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stoppingSince !== undefined) {
      // A Ctrl-C in a terminal arrives twice at once: from the terminal, which signals the whole
      // process group, and forwarded by npm. Only a later one is a second Ctrl-C.
      if (Date.now() - stoppingSince < 1_000) return;
      console.log('Forced exit.');
      process.exit(1);
    }
    stoppingSince = Date.now();
    withdrawNotice();
    console.log(`\n${signal}: finishing requests in flight, publishing pending events, stopping DynamoDB Local...`);
    oms.stop().then(
      () => {
        console.log('Stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('Stopped with errors:', error);
        process.exit(1);
      },
    );
  });
}
