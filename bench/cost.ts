import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AvailabilityChanged } from '#events/availability-changed.ts';
import type { RunningOms } from '#infra/local/runtime.ts';
import { repoRoot } from '#infra/paths.ts';
import { documentClient } from '#shared/store/client.ts';
import { table } from '#shared/store/table.ts';
import { round } from './support.ts';

/**
 * Counting and pricing what a stretch of the running local OMS did: the
 * DynamoDB units its handlers consumed (metered on their shared client),
 * Lambda invocations and durations, Express executions and durations, bus
 * events, pipe and queue requests, API requests, e-mails and SMS — between
 * two snapshots — priced with bench/prices.json. The order's life and the
 * return workflow are both measured with it, so their figures compare.
 */

export interface Meter {
  readUnits: number;
  writeUnits: number;
  calls: Record<string, number>;
  /** Write units per kind of item written (its `entity`, else its sort key's prefix), to see what a step's writes are made of. */
  writesByItem: Record<string, number>;
}

/** Approximate DynamoDB item size (attribute names and values, UTF-8), as capacity is billed. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).replace(/^-/, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set || Array.isArray(value)) return [...value].reduce((sum: number, v) => sum + sizeOf(v) + 1, 3);
  return Object.entries(value as Record<string, unknown>).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + sizeOf(v) + 1, 3);
}

function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + sizeOf(v), 0);
}

/**
 * Write units of a transaction, from what it writes: 2 per KB per item
 * (transactional rate), plus each global secondary index entry a Put
 * carries (ALL projection: the item's size again). DynamoDB Local's own
 * figure for transactions cannot be used: it adds up only the distinct
 * per-item figures (eight 1 KB puts report 2 units, two 3 KB puts 6).
 * Updates, deletes and condition checks count 1 KB each (the OMS's are
 * small items); index entries that move are counted once, not as a delete
 * and a put — so this is a floor of what AWS bills, never more.
 */
export function transactionWriteUnits(input: { TransactItems?: Record<string, { Item?: Record<string, unknown> } | undefined>[] }, byItem?: Record<string, number>): number {
  const indexKeys = Object.values(table.indexes).map((index) => index.partitionKey);
  return (input.TransactItems ?? []).reduce((sum, action) => {
    const put = action['Put']?.Item;
    const [verb, body] = Object.entries(action).find(([, v]) => v !== undefined) ?? ['?', undefined];
    const units = put ? 2 * Math.max(1, Math.ceil(itemSize(put) / 1024)) * (1 + indexKeys.filter((key) => put[key] !== undefined).length) : 2;
    if (byItem) {
      const label = kindOf(put ?? (body as { Key?: Record<string, unknown> } | undefined)?.Key, verb);
      byItem[label] = (byItem[label] ?? 0) + units;
    }
    return sum + units;
  }, 0);
}

/** `Return`, `OutboxEvent`… for a put item; the verb and the sort key's prefix for a key (`Update RETURNS`). */
function kindOf(item: Record<string, unknown> | undefined, verb: string): string {
  if (!item) return verb;
  if (verb === 'Put' && typeof item[table.entityAttribute] === 'string') return String(item[table.entityAttribute]);
  return `${verb} ${String(item[table.sortKey] ?? '').split('#')[0]}`;
}

/**
 * Adds ReturnConsumedCapacity to every call of the handlers' shared client
 * and sums what DynamoDB reports — except for transactions, counted from
 * what they write (transactionWriteUnits).
 */
export function meterDynamo(): Meter {
  const meter: Meter = { readUnits: 0, writeUnits: 0, calls: {}, writesByItem: {} };
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (input['ReturnConsumedCapacity'] === undefined || input['ReturnConsumedCapacity'] === 'NONE') input['ReturnConsumedCapacity'] = 'TOTAL';
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const transaction = name === 'TransactWriteItems' ? transactionWriteUnits(input as Parameters<typeof transactionWriteUnits>[0], meter.writesByItem) : undefined;
      const result = await next(args);
      meter.calls[name] = (meter.calls[name] ?? 0) + 1;
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
      const units = transaction ?? (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      if (/Put|Update|Delete|Write/.test(name)) {
        meter.writeUnits += units;
        if (transaction === undefined) {
          const item = (input['Item'] ?? input['Key']) as Record<string, unknown> | undefined;
          const label = name === 'PutItem' ? `PutItem ${kindOf(item, 'Put')}` : kindOf(item, name);
          meter.writesByItem[label] = (meter.writesByItem[label] ?? 0) + units;
        }
      } else meter.readUnits += units;
      return result;
    },
    { step: 'initialize', name: 'benchCapacityMeter' },
  );
  return meter;
}

export interface Prices {
  dynamodb: { writeRequestUnitsPerMillion: number; readRequestUnitsPerMillion: number };
  lambda: { requestsPerMillion: number; arm64GbSecond: number };
  stepFunctionsExpress: { requestsPerMillion: number; gbSecond: number; billedMemoryGb: number; minimumBilledMs: number };
  eventBridge: { customEventsPerMillion: number; pipesRequestsPerMillion: number };
  sqs: { standardRequestsPerMillion: number };
  apiGateway: { httpApiRequestsPerMillion: number };
  ses: { emailsPerThousand: number };
  sns: { usSmsPerMessage: number };
}

export function loadPrices(): Prices {
  return JSON.parse(readFileSync(join(repoRoot, 'bench', 'prices.json'), 'utf8')) as Prices;
}

export type Snapshot = ReturnType<typeof snapshot>;

export function snapshot(oms: RunningOms, meter: Meter) {
  return {
    reads: meter.readUnits,
    writes: meter.writeUnits,
    writesByItem: { ...meter.writesByItem },
    lambdas: oms.lambdas.meter(),
    executions: oms.workflows.executions.length,
    events: oms.events.list().length,
    queues: Object.fromEntries(Object.entries(oms.queues).map(([name, q]) => [name, { ...q.meter }])),
    mail: oms.mail.list().length,
    sms: oms.sms.list().length,
  };
}

/** What ran between two snapshots, without the harness's own look-ups (their read units and the functions that served them). */
export interface Usage {
  writeUnits: number;
  /** Write units per kind of item written. */
  writesByItem: Record<string, number>;
  readUnits: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  /** Invocations per function (the harness's excluded). */
  lambdaByFunction: Record<string, number>;
  expressExecutions: number;
  expressBilledMs: number;
  expressBilledGbSeconds: number;
  /** Executions per state machine. */
  expressByWorkflow: Record<string, number>;
  events: number;
  /** Events per detail-type. */
  eventsByType: Record<string, number>;
  pipeRequests: number;
  sqsRequests: number;
  apiRequests: number;
  emails: number;
  sms: number;
}

export function usageBetween(
  oms: RunningOms,
  start: Snapshot,
  end: Snapshot,
  options: { harnessReads: number; harnessFunctions: ReadonlySet<string>; apiRequests: number; prices: Prices },
): Usage {
  const lambdaDelta = Object.entries(end.lambdas).map(([name, m]) => ({ name, invocations: m.invocations - (start.lambdas[name]?.invocations ?? 0), ms: m.milliseconds - (start.lambdas[name]?.milliseconds ?? 0) }));
  const billedLambdas = lambdaDelta.filter((l) => !options.harnessFunctions.has(l.name) && l.invocations > 0);
  const executions = oms.workflows.executions.slice(start.executions, end.executions);
  const durationOf = (e: (typeof executions)[number]) => Math.max(Date.parse(e.stopDate ?? e.startDate) - Date.parse(e.startDate), 0);
  const newEvents = oms.events.list().slice(start.events, end.events);
  const outboxEvents = newEvents.filter((e) => e['detail-type'] !== AvailabilityChanged.detailType).length;
  const stockEvents = newEvents.length - outboxEvents;
  const queueSends = Object.entries(end.queues).reduce((sum, [name, q]) => sum + q.sent - (start.queues[name]?.sent ?? 0), 0);
  const queueBatches = Object.entries(end.queues).reduce((sum, [name, q]) => sum + q.batches - (start.queues[name]?.batches ?? 0), 0);
  const captureDeliveries = (end.queues['capture']?.sent ?? 0) - (start.queues['capture']?.sent ?? 0);
  const count = <T>(items: readonly T[], key: (item: T) => string) => items.reduce<Record<string, number>>((acc, item) => ({ ...acc, [key(item)]: (acc[key(item)] ?? 0) + 1 }), {});
  return {
    writeUnits: end.writes - start.writes,
    writesByItem: Object.fromEntries(Object.entries(end.writesByItem).map(([kind, units]) => [kind, round(units - (start.writesByItem[kind] ?? 0), 1)]).filter(([, units]) => Number(units) > 0)),
    readUnits: end.reads - start.reads - options.harnessReads,
    lambdaInvocations: billedLambdas.reduce((sum, l) => sum + l.invocations, 0),
    lambdaGbSeconds: billedLambdas.reduce((sum, l) => sum + (Math.max(1, Math.ceil(l.ms)) / 1000) * 0.5, 0),
    lambdaByFunction: Object.fromEntries(billedLambdas.map((l) => [l.name, l.invocations])),
    expressExecutions: executions.length,
    expressBilledMs: executions.reduce((sum, e) => sum + durationOf(e), 0),
    expressBilledGbSeconds: executions.reduce(
      (sum, e) => sum + (Math.max(options.prices.stepFunctionsExpress.minimumBilledMs, durationOf(e)) / 1000) * options.prices.stepFunctionsExpress.billedMemoryGb,
      0,
    ),
    expressByWorkflow: count(executions, (e) => e.workflow),
    events: newEvents.length,
    eventsByType: count(newEvents, (e) => String(e['detail-type'])),
    pipeRequests: outboxEvents + stockEvents + captureDeliveries,
    sqsRequests: queueSends + 2 * queueBatches,
    apiRequests: options.apiRequests,
    emails: end.mail - start.mail,
    sms: end.sms - start.sms,
  };
}

/** The usage per unit of work (order, return), as the report prints it. */
export function perUnit(usage: Usage, n: number) {
  return {
    dynamoWriteUnits: round(usage.writeUnits / n, 1),
    dynamoReadUnits: round(usage.readUnits / n, 1),
    lambdaInvocations: round(usage.lambdaInvocations / n, 1),
    lambdaGbSeconds: round(usage.lambdaGbSeconds / n, 4),
    expressExecutions: round(usage.expressExecutions / n, 1),
    expressMs: round(usage.expressBilledMs / n, 0),
    eventBridgeEvents: round(usage.events / n, 1),
    pipeRequests: round(usage.pipeRequests / n, 1),
    sqsRequests: round(usage.sqsRequests / n, 1),
    apiRequests: round(usage.apiRequests / n, 1),
    emails: round(usage.emails / n, 1),
    sms: round(usage.sms / n, 1),
  };
}

/** Dollars per million units of work, per service; messages (SES, SNS) apart from the total. */
export function price(usage: Usage, n: number, prices: Prices): { dollarsPerMillionOrders: Record<string, number>; totalWithoutMessages: number; totalWithEmail: number } {
  const each = perUnit(usage, n);
  const perMillion = (units: number, pricePerMillion: number) => round(units * pricePerMillion, 2);
  const dollars: Record<string, number> = {
    dynamodb: round(perMillion(each.dynamoWriteUnits, prices.dynamodb.writeRequestUnitsPerMillion) + perMillion(each.dynamoReadUnits, prices.dynamodb.readRequestUnitsPerMillion), 2),
    lambda: round(perMillion(each.lambdaInvocations, prices.lambda.requestsPerMillion) + (usage.lambdaGbSeconds / n) * prices.lambda.arm64GbSecond * 1_000_000, 2),
    stepFunctionsExpress: round(perMillion(each.expressExecutions, prices.stepFunctionsExpress.requestsPerMillion) + (usage.expressBilledGbSeconds / n) * prices.stepFunctionsExpress.gbSecond * 1_000_000, 2),
    eventBridge: round(perMillion(each.eventBridgeEvents, prices.eventBridge.customEventsPerMillion) + perMillion(each.pipeRequests, prices.eventBridge.pipesRequestsPerMillion), 2),
    sqs: perMillion(each.sqsRequests, prices.sqs.standardRequestsPerMillion),
    apiGateway: perMillion(each.apiRequests, prices.apiGateway.httpApiRequestsPerMillion),
  };
  const totalWithoutMessages = round(Object.values(dollars).reduce((a, b) => a + b, 0), 2);
  const email = round(each.emails * (prices.ses.emailsPerThousand / 1000) * 1_000_000, 2);
  return {
    dollarsPerMillionOrders: { ...dollars, ses: email, sns: round(each.sms * prices.sns.usSmsPerMessage * 1_000_000, 2) },
    totalWithoutMessages,
    totalWithEmail: round(totalWithoutMessages + email, 2),
  };
}
