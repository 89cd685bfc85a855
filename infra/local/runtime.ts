import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FunctionName } from '../topology/functions.ts';
import { pipes, type PipeSpec } from '../topology/pipes.ts';
import { queues, type QueueName } from '../topology/queues.ts';
import { rules } from '../topology/rules.ts';
import { schedules } from '../topology/schedules.ts';
import { createAwsEndpoints, functionNameOf } from './aws-endpoints.ts';
import { LocalDeadLetterQueues } from './dead-letter-queues.ts';
import { LocalAsyncInvoker, type FailedInvocation } from './async-invoker.ts';
import { documentClient } from '#shared/store/client.ts';
import { secretLengthProblem } from '#shared/adapters/secret-value.ts';
import { MIN_SIGNING_SECRET_LENGTH } from '#shared/domain/channel.ts';
import { wmsLocationsFrom, type WmsLocations } from '#shared/domain/wms.ts';
import { Faults, faultsFromEnv, type FaultOptions } from './faults.ts';
import { renderInputTemplate, valueAt } from './input-template.ts';
import { LocalQueue } from './queue.ts';
import { LOCAL_AWS, ensureTable, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { LocalEventBus } from './event-bus.ts';
import { createLocalHttpApi, type LocalRoute } from './http-api.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, LambdaHost, localFunctionArn } from './lambda-host.ts';
import { RecordLog, type ArchivedEvent, type DeadLetter, type SentMail, type SentSms } from './record-log.ts';
import { LocalScheduler } from './scheduler.ts';
import { LocalStepFunctions } from './step-functions.ts';
import { StreamPump, type LocalPipe, type PipeRecord } from './stream-pump.ts';
import { synthesizeWorkflowDefinitions } from './workflow-definitions.ts';

export interface OmsOptions {
  /** HTTP port; 0 picks a free one. Default 3000. */
  port?: number;
  host?: string;
  /** Where data lives between runs; undefined runs everything in memory. */
  dataDir?: string;
  /** Wipe `dataDir` before starting. */
  reset?: boolean;
  /** Bearer token of the API; generated (and kept in dataDir) when absent. */
  apiToken?: string;
  /** Use an already running DynamoDB Local instead of starting one (tests share one per run). */
  dynamoEndpoint?: string;
  tableName?: string;
  mailFrom?: string;
  opsEmail?: string;
  /** Powertools log level of the handlers. Default WARN (quiet terminal); INFO/DEBUG for detail. */
  logLevel?: string;
  /** Start the schedule timers (default true). */
  schedules?: boolean;
  /** Retry budget of marketplace API calls (defaults: 6 attempts from 1 s); tests shorten it. */
  marketplaceRetry?: { attempts: number; baseDelayMs: number };
  /** Batching window of queues that have one (default: the queue's own, e.g. 2 s); tests shorten it. */
  queueBatchingWindowMs?: number;
  /** Signing secret of carrier tracking webhooks (default: a fixed local value, printed at start). */
  carrierWebhookSecret?: string;
  /** The merchant's name on invoices. */
  sellerName?: string;
  /** Fault injection (the fault campaign, infra/local/faults.ts); default none, or OMS_FAULTS as JSON. */
  faults?: FaultOptions;
  /** The WMS that may report on the bus (source `wms.<wmsId>`) and their locations; default OMS_WMS_LOCATIONS, else none. */
  wmsLocations?: WmsLocations;
}

export interface RunningOms {
  url: string;
  apiToken: string;
  carrierWebhookSecret: string;
  tableName: string;
  dynamoEndpoint: string;
  /** The pid of the DynamoDB Local this runtime started (undefined when it uses one started elsewhere). */
  dynamoPid: number | undefined;
  dataDir: string | undefined;
  routes: LocalRoute[];
  lambdas: LambdaHost;
  bus: LocalEventBus;
  workflows: LocalStepFunctions;
  scheduler: LocalScheduler;
  queues: Record<QueueName, LocalQueue>;
  mail: RecordLog<SentMail>;
  /** SMS sent through SNS (the local SMS outbox). */
  sms: RecordLog<SentSms>;
  deadLetters: RecordLog<DeadLetter>;
  /** The queues' dead-letter queues as SQS serves them to the handlers (the reconciler empties the capture queue's). */
  deadLetterQueues: LocalDeadLetterQueues;
  /** The on-failure destination of asynchronous invocations (rule and schedule targets, the poll function): what failed its 2 retries. */
  failedInvocations: RecordLog<FailedInvocation>;
  /** Invokes again, asynchronously, the failed invocations `select` picks (default: all not redriven yet); resolves to how many. */
  redriveFailedInvocations(select?: (failed: FailedInvocation) => boolean): Promise<number>;
  events: RecordLog<ArchivedEvent>;
  /** The injected faults and their counts; undefined when the runtime runs without faults. */
  faults: Faults | undefined;
  /** Waits until every committed outbox event is published and every delivery and execution it started has finished. */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let running = false;

/**
 * The whole OMS on one machine: DynamoDB Local, the HTTP API, the outbox pipe,
 * the event bus with its rules, the state machines, the schedules and the mail
 * outbox, all wired to the same handler modules and definitions as AWS.
 * Handlers read their configuration from the process environment, so one
 * process hosts one runtime.
 */
export async function startOms(options: OmsOptions = {}): Promise<RunningOms> {
  if (running) throw new Error('An OMS runtime is already running in this process');
  running = true;
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const dataDir = options.dataDir;
    if (dataDir && options.reset) rmSync(dataDir, { recursive: true, force: true });
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const apiToken = options.apiToken ?? loadOrCreateToken(dataDir);
    const carrierWebhookSecret = options.carrierWebhookSecret ?? 'local-carrier-webhook-secret-0123456789';
    // Signing secrets shorter than 32 characters refuse to start (docs/security.md), before anything else starts.
    for (const [name, value] of [['carrierWebhookSecret', carrierWebhookSecret], ['STRIPE_WEBHOOK_SECRET', process.env['STRIPE_WEBHOOK_SECRET']], ['EASYPOST_WEBHOOK_SECRET', process.env['EASYPOST_WEBHOOK_SECRET']]] as const) {
      const problem = value ? secretLengthProblem(name, value, MIN_SIGNING_SECRET_LENGTH) : undefined;
      if (problem) throw new Error(problem);
    }
    // Which WMS may report on the bus, for which locations (as on AWS): a malformed OMS_WMS_LOCATIONS refuses to start.
    const wmsLocations = JSON.stringify(wmsLocationsFrom(options.wmsLocations ? { OMS_WMS_LOCATIONS: JSON.stringify(options.wmsLocations) } : process.env));
    const tableName = options.tableName ?? 'oms';

    // DynamoDB Local and the CDK synthesis are independent; the JVM start and the synth overlap.
    const [dynamo, definitions] = await Promise.all([
      options.dynamoEndpoint
        ? Promise.resolve<DynamoDbLocal>({ endpoint: options.dynamoEndpoint, pid: undefined, stop: async () => undefined })
        : startDynamoDbLocal({
            ...(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
          }),
      Promise.resolve().then(() => synthesizeWorkflowDefinitions()),
    ]);
    cleanups.push(() => dynamo.stop());
    await ensureTable(dynamo.endpoint, tableName);

    const file = (name: string) => (dataDir ? join(dataDir, name) : undefined);
    const mail = new RecordLog<SentMail>(file('mail/outbox.jsonl'));
    const sms = new RecordLog<SentSms>(file('mail/sms.jsonl'));
    const deadLetters = new RecordLog<DeadLetter>(file('dead-letters.jsonl'));
    const events = new RecordLog<ArchivedEvent>(file('events.jsonl'));
    const failedInvocations = new RecordLog<FailedInvocation>(file('failed-invocations.jsonl'));
    // Which failed invocations were redriven already (kept, so a restart does not redrive them again).
    const redrivenLog = new RecordLog<{ requestId: string; at: string }>(file('redriven-invocations.jsonl'));
    // The queues' dead-letter queues as SQS serves them (the reconciler empties the capture queue's).
    const deadLetterQueues = new LocalDeadLetterQueues(deadLetters, new RecordLog<{ id: string; at: string }>(file('deleted-dead-letters.jsonl')));

    // The AWS endpoints are up before the handlers load (their SDK clients read the endpoint at start);
    // the Lambda host and scheduler they forward to are bound below.
    const late: { lambdas?: LambdaHost; scheduler?: LocalScheduler; asyncInvoker?: LocalAsyncInvoker } = {};
    const awsEndpoints = createAwsEndpoints({
      mail,
      sms,
      deadLetterQueues,
      invoke: (name, payload) => {
        if (!late.lambdas) throw new Error('The runtime is still starting');
        return late.lambdas.invoke(name as FunctionName, payload);
      },
      invokeAsync: (name, payload) => {
        if (!late.asyncInvoker) throw new Error('The runtime is still starting');
        void late.asyncInvoker.invoke(name as FunctionName, payload);
      },
      schedules: {
        put: (schedule) =>
          late.scheduler?.put({
            id: `${schedule.group}/${schedule.name}`,
            description: `Created at run time: ${schedule.name}`,
            expression: schedule.expression,
            timezone: 'UTC',
            target: { function: functionNameOf(schedule.targetArn) as FunctionName },
            input: schedule.input as Record<string, unknown>,
            retryAttempts: schedule.retryAttempts,
            maxEventAgeSeconds: schedule.maxEventAgeSeconds,
          }),
        remove: (name, group) => late.scheduler?.remove(`${group}/${name}`) ?? false,
        get: (name, group) => {
          const found = late.scheduler?.get(`${group}/${name}`);
          return found ? { expression: found.expression, targetArn: localFunctionArn(found.target.function) } : undefined;
        },
      },
    });
    const awsPort = await listen(awsEndpoints, 0, '127.0.0.1');
    cleanups.push(() => close(awsEndpoints));
    const awsEndpoint = `http://127.0.0.1:${awsPort}`;
    // Label documents (the document store): files under the data directory, or a temporary directory while in memory.
    const documentDir = dataDir ? join(dataDir, 'documents') : mkdtempSync(join(tmpdir(), 'oms-documents-'));
    if (!dataDir) cleanups.push(() => rmSync(documentDir, { recursive: true, force: true }));

    Object.assign(process.env, {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SESV2: awsEndpoint,
      AWS_ENDPOINT_URL_SNS: awsEndpoint,
      AWS_ENDPOINT_URL_LAMBDA: awsEndpoint,
      AWS_ENDPOINT_URL_SCHEDULER: awsEndpoint,
      AWS_ENDPOINT_URL_SQS: awsEndpoint,
      CAPTURE_DLQ_URL: LocalDeadLetterQueues.urlOf(awsEndpoint, LOCAL_ACCOUNT, 'capture'),
      // DynamoDB Local on a laptop answers in seconds under load, where DynamoDB answers in milliseconds (shared/adapters/aws-clients.ts).
      OMS_AWS_REQUEST_TIMEOUT_MS: process.env['OMS_AWS_REQUEST_TIMEOUT_MS'] ?? '30000',
      POLL_FUNCTION_ARN: localFunctionArn('pollChannel'),
      SCHEDULER_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/oms-local-scheduler`,
      SCHEDULE_GROUP: 'oms-local',
      SCHEDULE_DLQ_ARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule-dead-letters`,
      TABLE_NAME: tableName,
      DOCUMENT_DIR: documentDir,
      // Channel secrets are sealed with a local key kept in the data directory; an in-memory run (tests) uses the published development key.
      ...channelSecretsKey(dataDir),
      OMS_API_TOKEN: apiToken,
      MAIL_FROM: options.mailFrom ?? 'oms@localhost.test',
      CARRIER_WEBHOOK_SECRET: carrierWebhookSecret,
      OMS_WMS_LOCATIONS: wmsLocations,
      SELLER_NAME: options.sellerName ?? 'Local OMS merchant',
      OPS_EMAIL: options.opsEmail ?? 'ops@localhost.test',
      ...(options.marketplaceRetry
        ? {
            OMS_MARKETPLACE_RETRY_ATTEMPTS: String(options.marketplaceRetry.attempts),
            OMS_MARKETPLACE_RETRY_BASE_MS: String(options.marketplaceRetry.baseDelayMs),
          }
        : {}),
      POWERTOOLS_SERVICE_NAME: 'oms',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? process.env['POWERTOOLS_LOG_LEVEL'] ?? 'WARN',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
      // Lambda managed-instance mode: Powertools keeps per-invocation state apart under concurrency.
      AWS_LAMBDA_MAX_CONCURRENCY: '1000',
    });
    delete process.env['OMS_API_TOKEN_SECRET_ID'];
    delete process.env['DOCUMENT_BUCKET'];

    const faultOptions = options.faults ?? faultsFromEnv();
    const faults = faultOptions ? new Faults(faultOptions) : undefined;
    if (faults) cleanups.push(faults.instrument(documentClient()));
    const lambdas = new LambdaHost(faults ? { faults } : {});
    await lambdas.loadAll();
    late.lambdas = lambdas;
    // Rule targets, schedules and `InvocationType: Event` calls go through Lambda's asynchronous invocation: 2 retries, then the destination.
    const asyncInvoker = new LocalAsyncInvoker({ invoke: (fn, payload) => lambdas.invoke(fn, payload), destination: failedInvocations });
    late.asyncInvoker = asyncInvoker;
    const redriven = new Set(redrivenLog.list().map((r) => r.requestId));
    const workflows = new LocalStepFunctions(definitions, lambdas, (fn, payload, invokedBy) => void asyncInvoker.invoke(fn, payload, invokedBy));
    cleanups.push(() => workflows.stop());

    const localQueues = {} as Record<QueueName, LocalQueue>;
    for (const [name, spec] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
      localQueues[name] = new LocalQueue(name, spec, {
        deadLetters,
        consume: (event) => lambdas.invoke(spec.consumer, event),
        // Durable like SQS: what a pipe or rule handed over survives a kill -9.
        journalFile: file(`queues/${name}.jsonl`),
        ...(options.queueBatchingWindowMs === undefined ? {} : { batchingWindowMs: options.queueBatchingWindowMs }),
      });
      localQueues[name].start();
      cleanups.push(() => localQueues[name].stop());
    }

    const bus = new LocalEventBus({
      rules,
      deadLetters,
      archive: events,
      // A delivery ends when its target's work has (the journal marks it done then): the execution, the async run.
      deliver: async (target, event, ruleId) => {
        faults?.beforeDelivery();
        if ('workflow' in target) await workflows.finished(workflows.startExecution(target.workflow, event).executionArn);
        else if ('queue' in target) localQueues[target.queue].send([JSON.stringify(target.message === 'event' ? event : event.detail)]);
        else await asyncInvoker.invoke(target.function, event, `rule:${ruleId}`);
      },
      journalFile: file('bus-journal.jsonl'),
    });
    // Deliveries a killed run accepted and did not finish are made again (at least once, as EventBridge).
    bus.resumeJournal();
    cleanups.push(() => bus.idle(10_000));


    // Each pipe: filter (in the pump), optional enrichment, input template, target — as EventBridge Pipes does it.
    const localPipes: LocalPipe[] = (Object.entries(pipes) as [string, PipeSpec][]).map(([name, spec]) => ({
      name,
      filter: spec.filter,
      batchSize: spec.batchSize,
      retryAttempts: spec.retryAttempts,
      deliver: async (records: PipeRecord[]) => {
        const enriched = spec.enrichment ? ((await lambdas.invoke(spec.enrichment, records)) as unknown[]) : records;
        const target = spec.target;
        if ('bus' in target) {
          bus.putEvents(
            enriched.map((entry) => ({
              source: String(valueAt(entry, target.sourcePath)),
              detailType: String(valueAt(entry, target.detailTypePath)),
              detail: renderInputTemplate(target.inputTemplate, entry),
            })),
          );
        } else {
          localQueues[target.queue].send(enriched.map((entry) => JSON.stringify(renderInputTemplate(target.inputTemplate, entry))));
        }
      },
    }));
    const pump = new StreamPump({
      endpoint: dynamo.endpoint,
      tableName,
      deadLetters,
      pipes: localPipes,
      ...(dataDir ? { checkpointFile: join(dataDir, 'stream-checkpoint.json') } : {}),
    });
    await pump.start();
    cleanups.push(async () => {
      await pump.drain(3_000);
      await pump.stop();
    });

    const scheduler = new LocalScheduler({
      schedules,
      deadLetters,
      invoke: (fn, input, scheduleId) => asyncInvoker.invoke(fn, input, `schedule:${scheduleId}`),
    });
    late.scheduler = scheduler;
    if (options.schedules !== false) scheduler.start();
    cleanups.push(() => scheduler.stop());

    const api = createLocalHttpApi((fn: FunctionName, event) => lambdas.invoke(fn, event));
    const port = await listen(api.server, options.port ?? 3000, options.host ?? '127.0.0.1');
    cleanups.push(() => close(api.server));
    const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;

    let stopped = false;
    return {
      url,
      apiToken,
      carrierWebhookSecret,
      tableName,
      dynamoEndpoint: dynamo.endpoint,
      dynamoPid: dynamo.pid,
      dataDir,
      routes: api.routes,
      lambdas,
      bus,
      workflows,
      scheduler,
      queues: localQueues,
      mail,
      sms,
      deadLetters,
      deadLetterQueues,
      failedInvocations,
      async redriveFailedInvocations(select = (failed) => !redriven.has(failed.requestContext.requestId)) {
        const picked = failedInvocations.list().filter(select);
        for (const failed of picked) {
          redriven.add(failed.requestContext.requestId);
          redrivenLog.append({ requestId: failed.requestContext.requestId, at: new Date().toISOString() });
          void asyncInvoker.invoke(functionNameOf(failed.requestContext.functionArn.replace(/:\$LATEST$/, '')) as FunctionName, failed.requestPayload, `redrive:${failed.invokedBy}`);
        }
        return picked.length;
      },
      events,
      faults,
      async settle(timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        // Publishing can start executions and captures that write more to the stream: repeat until quiet.
        const quiet = () => bus.inFlight === 0 && lambdas.inFlight === 0 && asyncInvoker.inFlight === 0 && Object.values(localQueues).every((queue) => queue.depth === 0);
        for (let round = 0; round < 10 && Date.now() < deadline; round++) {
          await lambdas.idle(deadline - Date.now());
          await asyncInvoker.idle(deadline - Date.now());
          await pump.drain(deadline - Date.now());
          for (const queue of Object.values(localQueues)) await queue.idle(deadline - Date.now());
          await bus.idle(deadline - Date.now());
          await workflows.idle(deadline - Date.now());
          if (quiet()) {
            await pump.drain(deadline - Date.now());
            if (quiet()) return;
          }
        }
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await runCleanups(cleanups);
        running = false;
      },
    };
  } catch (error) {
    await runCleanups(cleanups);
    running = false;
    throw error;
  }
}

/** Stops in reverse order of start: the API first (no new work), DynamoDB Local last. */
async function runCleanups(cleanups: (() => Promise<void> | void)[]): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error('Error while stopping the OMS runtime:', error);
    }
  }
}

/**
 * The local stand-in for the channel-secrets KMS key (docs/security.md):
 * `<data dir>/channel-secrets.key`, random, created once. In memory nothing
 * is kept, and the development key seals (tests seed channels with it too).
 */
function channelSecretsKey(dataDir: string | undefined): Record<string, string> {
  if (!dataDir) return {};
  const file = join(dataDir, 'channel-secrets.key');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return { CHANNEL_SECRETS_KEY_FILE: file };
}

function loadOrCreateToken(dataDir: string | undefined): string {
  const fromEnv = process.env['OMS_API_TOKEN'];
  if (fromEnv) return fromEnv;
  const file = dataDir ? join(dataDir, 'api-token') : undefined;
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  if (file) writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Stops accepting connections, lets requests in flight finish, then closes idle keep-alive sockets. */
function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 5_000);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

