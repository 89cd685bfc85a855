import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as z from 'zod';
import { eventCatalog } from '#events/catalog.ts';
import type { EventDefinition } from '#events/define.ts';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { matchesPattern } from '#infra/local/event-pattern.ts';
import type { BusEvent } from '#infra/local/event-bus.ts';
import type { RunningOms } from '#infra/local/runtime.ts';
import { repoRoot } from '#infra/paths.ts';
import type { FunctionName } from '#infra/topology/functions.ts';
import { pipes, type PipeSpec } from '#infra/topology/pipes.ts';
import { queues, type QueueName } from '#infra/topology/queues.ts';
import { rules, type RuleSpec } from '#infra/topology/rules.ts';
import type { WorkflowName } from '#infra/topology/workflows.ts';
import { keys, leadingKeyPatterns } from '#shared/store/keys.ts';
import { writeRecorder } from './write-recorder.ts';

/**
 * The event fuzzer of the fault campaign: every consumer of the OMS's
 * asynchronous inputs — each function, workflow and queue a rule of
 * infra/topology/rules.ts delivers to, and each queue consumer of
 * infra/topology/queues.ts — is handed events that fast-check draws from the
 * event's own contract: real events of a seeded world (orders delivered,
 * returned, cancelled, shipped, reserved) replayed as they are, mutated one
 * field at a time (wrong types, missing fields, huge strings, `__proto__`
 * keys, another order's or an unknown id, another contract version), events
 * drawn from the event's JSON Schema, and arbitrary JSON. Each case is
 * invoked the way the local runtime does (a rule's function target through
 * the Lambda host, a workflow as an execution, a queue consumer with an SQS
 * batch) after the rule's own pattern let it through.
 *
 * Properties, per case: a consumer that fails (throws, reports the message
 * as a batch item failure, or ends its execution FAILED) wrote nothing — it
 * failed the AWS way, so Lambda, the queue or the on-failure destination
 * retries it from a clean state; a queue consumer never throws a whole batch
 * over one message (it reports the item). Every DynamoDB write the
 * handlers' shared client completes inside the case is seen by async context,
 * as in bench/route-fuzz.ts. Needs a started local runtime (`startOms`).
 */

export type ConsumerKind = 'function' | 'workflow' | 'queue';

export interface EventConsumer {
  /** `function:<name>`, `workflow:<name>` or `queue:<name>`. */
  id: string;
  kind: ConsumerKind;
  target: FunctionName | WorkflowName | QueueName;
  /** The rules that deliver to it (none for queues fed by a pipe or a subscription). */
  rules: RuleSpec[];
}

export interface EventFuzzFinding {
  consumer: string;
  kind: 'partial-write' | 'queue-throw';
  outcome: Outcome;
  input: unknown;
  writes?: string[];
  error?: string;
}

export interface EventFuzzResult {
  consumers: number;
  casesPerConsumer: number;
  /** Cases delivered to a consumer (drawn cases its rule's pattern would not deliver are not counted). */
  cases: number;
  /** Drawn cases the rule's pattern filtered out (EventBridge would not deliver them). */
  filtered: number;
  partialWrites: number;
  queueThrows: number;
  findings: EventFuzzFinding[];
  /** Outcomes: ok (handled or ignored), failed (threw, batch item failure, execution FAILED). */
  outcomes: Record<string, number>;
  perConsumer: Record<string, { cases: number; ok: number; failed: number; wrote: number }>;
}

type Outcome = 'ok' | 'failed' | 'threw';

/** Every event consumer of the topology: rule targets (functions, workflows, queues) and every queue consumer. */
export function eventConsumers(): EventConsumer[] {
  const byId = new Map<string, EventConsumer>();
  const add = (kind: ConsumerKind, target: string, rule?: RuleSpec) => {
    const id = `${kind}:${target}`;
    const consumer = byId.get(id) ?? { id, kind, target: target as EventConsumer['target'], rules: [] };
    if (rule) consumer.rules.push(rule);
    byId.set(id, consumer);
  };
  for (const rule of rules) {
    const target = rule.target;
    if ('function' in target) add('function', target.function, rule);
    else if ('workflow' in target) add('workflow', target.workflow, rule);
    else add('queue', target.queue, rule);
  }
  for (const name of Object.keys(queues)) if (!byId.has(`queue:${name}`)) add('queue', name);
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** What the seeded world knows: real events to replay and mutate, and ids to swap in. */
export interface FuzzWorld {
  events: BusEvent[];
  ids: string[];
}


/** Names what a write touched: the entity of a put, the partition key of an update or delete. */
function describeWrite(name: string, input: Record<string, unknown>): string[] {
  const itemOf = (item: Record<string, unknown> | undefined, key: Record<string, unknown> | undefined) => String(item?.['entity'] ?? item?.['PK'] ?? key?.['PK'] ?? '?');
  const op = name.replace(/Command$/, '');
  if (Array.isArray(input['TransactItems'])) {
    return (input['TransactItems'] as Record<string, { Item?: Record<string, unknown>; Key?: Record<string, unknown> } | undefined>[]).flatMap((entry) =>
      Object.entries(entry).map(([kind, part]) => `${kind}:${itemOf(part?.Item, part?.Key)}`),
    );
  }
  if (input['RequestItems']) return [`${op}:batch`];
  return [`${op}:${itemOf(input['Item'] as Record<string, unknown> | undefined, input['Key'] as Record<string, unknown> | undefined)}`];
}

const writes = writeRecorder('omsEventFuzzWrites', describeWrite);

const UNKNOWN_IDS = ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'ord_unknown', 'F-unknown-1', 'R-unknown', '', ' ', `../${keys.order('x').PK}`, keys.order('01ARZ3NDEKTSV4RRFFQ69G5FAV').PK];

/** Values no contract expects in a field: wrong types, edge numbers, huge and hostile strings. */
function hostileValue(world: FuzzWorld) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 3, arbitrary: fc.constantFrom(...world.ids, ...UNKNOWN_IDS) },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(null, '', 0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, true, false, [], {}, '2026-02-30T25:61:00Z', 'NaN', '<script>alert(1)</script>', "'; DROP TABLE oms; --") },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 60_000 }).map((n) => 'x'.repeat(n)) },
    { weight: 1, arbitrary: fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as unknown) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  );
}

type Json = unknown;
type Path = (string | number)[];

/** Every path into a JSON value (objects and arrays, not the root). */
function pathsOf(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(path);
      if (out.length < 400) pathsOf(child, path, out);
    }
  }
  return out;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function setAt(root: Json, path: Path, change: (parent: Record<string | number, unknown>, key: string | number) => void): Json {
  const copy = clone(root);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  change(parent, path.at(-1) as string | number);
  return copy;
}

/** One mutation of a valid value: a field replaced, removed, given a hostile key, or the whole value replaced. */
function mutated(base: Json, world: FuzzWorld) {
  const paths = pathsOf(base);
  const none = fc.constant(base);
  if (paths.length === 0) return fc.oneof(none, fc.jsonValue({ maxDepth: 3 }));
  const path = fc.constantFrom(...paths);
  return fc.oneof(
    { weight: 1, arbitrary: none },
    { weight: 6, arbitrary: fc.tuple(path, hostileValue(world)).map(([p, v]) => setAt(base, p, (parent, key) => void (parent[key] = v))) },
    {
      weight: 3,
      arbitrary: path.map((p) =>
        setAt(base, p, (parent, key) => {
          if (Array.isArray(parent)) parent.splice(Number(key), 1);
          else Reflect.deleteProperty(parent, key);
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(path, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString')).map(([p, hostile]) =>
        setAt(base, p, (parent, key) => {
          const child = parent[key];
          if (child && typeof child === 'object' && !Array.isArray(child)) Object.defineProperty(child, hostile, { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
        }),
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  $defs?: Record<string, JsonSchema>;
}

/** Values drawn from a JSON Schema (the event's contract, from its zod schema), ids from the world. */
function fromSchema(schema: JsonSchema, root: JsonSchema, world: FuzzWorld, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 8) return fc.constant(null);
  if (schema.$ref) {
    const name = schema.$ref.split('/').at(-1) ?? '';
    const target = root.$defs?.[name];
    return target ? fromSchema(target, root, world, depth + 1) : fc.jsonValue({ maxDepth: 1 });
  }
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return fc.oneof(...variants.map((v) => fromSchema(v, root, world, depth + 1)));
  if (schema.allOf?.length) return fromSchema(schema.allOf[0] as JsonSchema, root, world, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, fromSchema(value, root, world, depth + 1)]));
      return fc.record(properties, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
    }
    case 'array':
      return fc.array(schema.items ? fromSchema(schema.items, root, world, depth + 1) : fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 });
    case 'string':
      if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      return fc.oneof(fc.constantFrom(...world.ids, ...UNKNOWN_IDS.slice(0, 3)), fc.string({ minLength: 1, maxLength: 20 }));
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 100_000, 2 ** 31) });
    case 'number':
      return fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 100_000, 2 ** 31) });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const schemas = new Map<string, JsonSchema>();
function detailSchema(definition: EventDefinition<z.ZodType>): JsonSchema {
  let schema = schemas.get(definition.detailType);
  if (!schema) {
    schema = z.toJSONSchema(definition.detail, { unrepresentable: 'any', io: 'input', target: 'draft-2020-12' }) as JsonSchema;
    schemas.set(definition.detailType, schema);
  }
  return schema;
}

/** Sets the fields a rule's pattern narrows on (first listed value), so drawn details reach past the rule. */
function conform(detail: Json, pattern: unknown): Json {
  if (!pattern || typeof pattern !== 'object' || !detail || typeof detail !== 'object' || Array.isArray(detail)) return detail;
  const copy = { ...(detail as Record<string, unknown>) };
  for (const [key, wanted] of Object.entries(pattern as Record<string, unknown>)) {
    if (Array.isArray(wanted)) {
      const first = wanted[0] as unknown;
      if (first === null || typeof first !== 'object') copy[key] = first;
    } else {
      copy[key] = conform(copy[key] ?? {}, wanted);
    }
  }
  return copy;
}

function busEvent(detailType: string, source: string, detail: unknown): BusEvent {
  return { version: '0', id: randomUUID(), 'detail-type': detailType, source, account: '000000000000', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail };
}

/** The WMS of the fuzzed FulfillmentReported (source `wms.fuzz`): start the runtime with these, so its reports can apply. */
export const FUZZ_WMS_LOCATIONS = { fuzz: ['wh-fuzz'] };

/** A source the rule's pattern matches: its first value, or for a prefix (`wms.`) the fuzz WMS's. */
function sourceOf(values: unknown): string {
  const first = (values as unknown[] | undefined)?.[0];
  if (first && typeof first === 'object' && 'prefix' in first) return `${String(first.prefix)}${Object.keys(FUZZ_WMS_LOCATIONS)[0]}`;
  return String(first ?? '');
}

/** What the OMS publishes, and what it takes from outside (a WMS's FulfillmentReported). */
const catalog = new Map([...eventCatalog, FulfillmentReported as EventDefinition<z.ZodType>].map((definition) => [definition.detailType, definition]));

/** The bus events a rule delivers: the event's real ones and drawn ones, mutated; the rule's pattern decides what is delivered. */
function ruleEventArbitrary(rule: RuleSpec, world: FuzzWorld): fc.Arbitrary<BusEvent> {
  const detailType = String((rule.pattern['detail-type'] as string[] | undefined)?.[0] ?? '');
  const source = sourceOf(rule.pattern['source']);
  const definition = catalog.get(detailType);
  if (!definition) throw new Error(`Rule ${rule.id} delivers ${detailType}, which is neither in events/catalog.ts nor inbound: no arbitraries for it`);
  const real = world.events.filter((event) => event['detail-type'] === detailType && matchesPattern(rule.pattern, event)).map((event) => event.detail);
  const schema = detailSchema(definition);
  const drawn = fromSchema(schema, schema, world).map((detail) => conform(detail, rule.pattern['detail']));
  const base = real.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: drawn }) : drawn;
  const versioned = base.chain((detail) =>
    fc.oneof(
      { weight: 8, arbitrary: mutated(detail, world) },
      { weight: 1, arbitrary: fc.constantFrom(0, 2, 99, '1', -1).map((version) => setAt(detail, ['metadata'], (parent, key) => void (parent[key] = { ...(parent[key] as object), eventVersion: version }))) },
    ),
  );
  return versioned.map((detail) => busEvent(detailType, source, detail));
}

/**
 * The message a pipe sends a queue (the inbox and compliance pipes): the key of a stored item. Drawn: keys under
 * every leading key pattern and of orders, with the world's ids, unknown and broken keys.
 */
function keyMessage(world: FuzzWorld): fc.Arbitrary<string> {
  const prefixes = [...Object.values(leadingKeyPatterns).map((pattern) => pattern.replace(/\*$/, '')), keys.order('').PK];
  const sorts = ['ORDER', 'DELIVERY#', 'REQUEST#', 'META', ''];
  const key = fc.record({
    PK: fc.tuple(fc.constantFrom(...prefixes), fc.constantFrom(...world.ids, ...UNKNOWN_IDS)).map(([prefix, id]) => `${prefix}${id}`),
    SK: fc.tuple(fc.constantFrom(...sorts), fc.constantFrom('', ...world.ids.slice(0, 20))).map(([prefix, id]) => `${prefix}${id}`),
  });
  return fc.oneof({ weight: 4, arbitrary: key.chain((k) => mutated(k, world)).map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: fc.string({ maxLength: 60 }) });
}

/** The queue messages a subscription sends (queues that neither a rule nor a pipe feeds): their bodies, mutated. */
const queueBodies: Partial<Record<QueueName, (world: FuzzWorld) => fc.Arbitrary<string>>> = {
  // SES feedback through SNS: the fixture's bounce, its envelope or its inner SES message mutated.
  mailFeedback: (world) => {
    const envelope = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/providers/ses-sns-bounce-notification.json'), 'utf8')) as Record<string, unknown>;
    const message = JSON.parse(String(envelope['Message'])) as Json;
    const withId = fc.uuid().map((id) => ({ ...envelope, MessageId: id }));
    return fc.oneof(
      { weight: 3, arbitrary: withId.chain((e) => mutated(e, world)).map((v) => JSON.stringify(v)) },
      { weight: 4, arbitrary: fc.tuple(withId, mutated(message, world)).map(([e, m]) => JSON.stringify({ ...e, Message: JSON.stringify(m) })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    );
  },
};

/** Cases for one consumer: what its rules deliver, or its queue's own messages. Throws when it has none. */
export function consumerArbitrary(consumer: EventConsumer, world: FuzzWorld): fc.Arbitrary<{ rule?: RuleSpec; input: unknown }> {
  if (consumer.kind === 'queue') {
    const queue = consumer.target as QueueName;
    const bodies: fc.Arbitrary<string>[] = consumer.rules.map((rule) =>
      ruleEventArbitrary(rule, world).map((event) => JSON.stringify(rule.target && 'queue' in rule.target && rule.target.message === 'event' ? event : event.detail)),
    );
    if (Object.values(pipes as Record<string, PipeSpec>).some((pipe) => 'queue' in pipe.target && pipe.target.queue === queue)) bodies.push(keyMessage(world));
    const own = queueBodies[queue];
    if (own) bodies.push(own(world));
    if (bodies.length === 0) throw new Error(`Queue ${queue} has no rule, no pipe and no message arbitraries in bench/event-fuzz.ts`);
    return fc.oneof(...bodies, fc.string({ maxLength: 40 })).map((body) => ({ input: body }));
  }
  if (consumer.rules.length === 0) throw new Error(`${consumer.id} has no arbitraries`);
  return fc.oneof(...consumer.rules.map((rule) => ruleEventArbitrary(rule, world).map((input) => ({ rule, input }))));
}

function sqsEvent(queue: string, body: string) {
  const messageId = randomUUID();
  return {
    Records: [
      {
        messageId,
        receiptHandle: messageId,
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'local', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
        awsRegion: 'us-east-1',
      },
    ],
  };
}

const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);

/** Invokes one case as the local runtime would; the outcome and what went wrong. */
async function invoke(oms: RunningOms, consumer: EventConsumer, input: unknown): Promise<{ outcome: Outcome; error?: string }> {
  if (consumer.kind === 'workflow') {
    const execution = await oms.workflows.execute(consumer.target as WorkflowName, input, { retryWaitMs: 0 });
    return execution.status === 'SUCCEEDED' ? { outcome: 'ok' } : { outcome: 'failed', error: String(execution.error ?? execution.status).slice(0, 300) };
  }
  if (consumer.kind === 'queue') {
    const spec = queues[consumer.target as QueueName];
    try {
      const result = (await oms.lambdas.invoke(spec.consumer, sqsEvent(consumer.target, input as string))) as { batchItemFailures?: unknown[] } | undefined;
      return (result?.batchItemFailures?.length ?? 0) > 0 ? { outcome: 'failed' } : { outcome: 'ok' };
    } catch (error) {
      return { outcome: 'threw', error: errorText(error) };
    }
  }
  try {
    await oms.lambdas.invoke(consumer.target as FunctionName, input);
    return { outcome: 'ok' };
  } catch (error) {
    return { outcome: 'failed', error: errorText(error) };
  }
}

/** Shortens what a finding shows of its input (huge strings). */
function brief(input: unknown): unknown {
  return JSON.parse(JSON.stringify(input, (_key, value: unknown) => (typeof value === 'string' && value.length > 200 ? `${value.slice(0, 40)}…(${value.length} chars)` : value))) as unknown;
}

/**
 * Fuzzes every event consumer with `casesPerConsumer` drawn cases over the
 * world `seedWorld` built. Findings are collected (at most 5 per consumer),
 * not thrown.
 */
export async function fuzzEvents(
  oms: RunningOms,
  options: { casesPerConsumer: number; world: FuzzWorld; seed?: number; log?: (line: string) => void; only?: (consumerId: string) => boolean },
): Promise<EventFuzzResult> {
  const result: EventFuzzResult = { consumers: 0, casesPerConsumer: options.casesPerConsumer, cases: 0, filtered: 0, partialWrites: 0, queueThrows: 0, findings: [], outcomes: {}, perConsumer: {} };
  for (const consumer of eventConsumers()) {
    if (options.only && !options.only(consumer.id)) continue;
    result.consumers++;
    const stats = { cases: 0, ok: 0, failed: 0, wrote: 0 };
    result.perConsumer[consumer.id] = stats;
    const started = Date.now();
    let found = 0;
    await fc.assert(
      fc.asyncProperty(consumerArbitrary(consumer, options.world), async ({ rule, input }) => {
        if (rule && !matchesPattern(rule.pattern, input)) {
          result.filtered++;
          return;
        }
        const store = { writes: [] as string[] };
        const { outcome, error } = await writes.during(store.writes, () => invoke(oms, consumer, input));
        result.cases++;
        stats.cases++;
        result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
        if (outcome === 'ok') stats.ok++;
        else stats.failed++;
        if (store.writes.length > 0) stats.wrote++;
        let kind: EventFuzzFinding['kind'] | undefined;
        if (outcome === 'threw') {
          result.queueThrows++;
          kind = 'queue-throw';
        }
        if (outcome !== 'ok' && store.writes.length > 0) {
          result.partialWrites++;
          kind = 'partial-write';
        }
        if (kind && found++ < 5) {
          result.findings.push({ consumer: consumer.id, kind, outcome, input: brief(input), ...(store.writes.length > 0 ? { writes: store.writes } : {}), ...(error ? { error } : {}) });
        }
      }),
      { numRuns: options.casesPerConsumer, ...(options.seed === undefined ? {} : { seed: options.seed }), endOnFailure: false },
    );
    options.log?.(`  fuzz ${consumer.id}: ${stats.cases} cases (${stats.ok} ok, ${stats.failed} failed, ${stats.wrote} wrote)${found ? `, ${found} findings` : ''}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return result;
}

type Reply = { status: number; body: Record<string, unknown> };

/**
 * A small world for the consumers to act on, built through the API and the
 * carrier webhook: a warehouse, a web channel, a return policy, and orders
 * delivered and returned, cancelled, shipped with a carrier exception, and
 * reserved. Its events (from the runtime's archive) are the real events the
 * fuzzer replays and mutates; every id in them can be swapped into another.
 */
export async function seedWorld(oms: RunningOms): Promise<FuzzWorld> {
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const response = await fetch(`${oms.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const reply = { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    if (reply.status >= 300) throw new Error(`Event fuzz world: ${method} ${path} answered ${reply.status}: ${text.slice(0, 300)}`);
    return reply;
  };
  const scan = async (carrierId: string, trackingNumber: string, status: string) => {
    const { createHmac } = await import('node:crypto');
    const raw = JSON.stringify({ trackingNumber, status, occurredAt: new Date().toISOString(), description: `Parcel ${status}` });
    const response = await fetch(`${oms.url}/webhooks/carriers/${carrierId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-carrier-signature': `sha256=${createHmac('sha256', oms.carrierWebhookSecret).update(raw).digest('hex')}` },
      body: raw,
    });
    if (response.status !== 200) throw new Error(`Event fuzz world: carrier scan ${status} answered ${response.status}`);
  };
  const address = { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' };
  await api('PUT', '/v1/locations/wh-fuzz', { name: 'Fuzz DC', type: 'warehouse', address: { lines: ['1 Fuzz St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' }, geo: { lat: 42.36, lon: -71.06 }, capabilities: ['ship', 'returns'] });
  await api('PUT', '/v1/channels/web-fuzz', { type: 'web', name: 'Fuzz web store', settings: {} });
  await api('PUT', '/v1/return-policies/default', { windowDays: 30, reasons: [{ reason: 'size' }], receivingLocation: { strategy: 'nearest' }, receiveWithinDays: 14 });
  for (const sku of ['FUZZ-TEE', 'FUZZ-MUG']) await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: `fuzz-${sku}`, sku, locationId: 'wh-fuzz', quantity: 100 });
  const orders: { orderId: string; lineIds: string[] }[] = [];
  for (let i = 0; i < 4; i++) {
    const placed = await api(
      'POST',
      '/v1/orders',
      {
        channelId: 'web-fuzz',
        externalOrderId: `fuzz-${i}`,
        currency: 'USD',
        customer: { name: 'Ada Lovelace', email: `ada+fuzz${i}@example.com`, phone: '+16175550100' },
        shippingAddress: address,
        lines: [
          { sku: 'FUZZ-TEE', title: 'Tee', quantity: 2, unitPrice: 2000, tax: 320 },
          { sku: 'FUZZ-MUG', title: 'Mug', quantity: 1, unitPrice: 1200, tax: 96 },
        ],
        shipping: { price: 500 },
        fulfillment: { type: 'ship' },
        payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
      },
      { 'idempotency-key': `fuzz-world-${i}` },
    );
    const order = placed.body['order'] as { orderId: string; lines: { lineId: string }[] };
    orders.push({ orderId: order.orderId, lineIds: order.lines.map((l) => l.lineId) });
  }
  await oms.settle();
  const parcelOf = async (orderId: string) =>
    (((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body['items'] ?? []) as { fulfillmentId: string; carrier: { carrierId: string; trackingNumber: string } }[])[0];
  const [delivered, cancelled, shipped] = orders as [(typeof orders)[number], (typeof orders)[number], (typeof orders)[number]];
  for (const order of [delivered, shipped]) {
    const parcel = await parcelOf(order.orderId);
    if (!parcel) throw new Error(`Event fuzz world: order ${order.orderId} has no fulfillment`);
    for (const type of ['accepted', 'picked', 'packed', 'shipped']) await api('POST', `/v1/fulfillments/${parcel.fulfillmentId}/events`, { type });
    await oms.settle();
    await scan(parcel.carrier.carrierId, parcel.carrier.trackingNumber, order === delivered ? 'out_for_delivery' : 'exception');
    if (order === delivered) await scan(parcel.carrier.carrierId, parcel.carrier.trackingNumber, 'delivered');
    await oms.settle();
  }
  await api('POST', `/v1/orders/${cancelled.orderId}/cancel`, { reason: 'customer' }, { 'idempotency-key': 'fuzz-world-cancel' });
  const requested = await api('POST', `/v1/orders/${delivered.orderId}/returns`, { lines: [{ lineId: delivered.lineIds[0], quantity: 1, reason: 'size' }] }, { 'idempotency-key': 'fuzz-world-return' });
  await oms.settle();
  await api('POST', `/v1/returns/${String(requested.body['returnId'])}/receipt`, { lines: [{ lineId: delivered.lineIds[0], condition: 'resellable' }] });
  await oms.settle();

  const events = oms.events.list().map((event) => ({ version: '0' as const, account: '000000000000', region: 'us-east-1', resources: [], ...clone(event) }));
  const ids = new Set<string>();
  const collect = (value: unknown, key = '') => {
    if (typeof value === 'string' && /Id$/.test(key) && value.length > 0 && value.length < 100) ids.add(value);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(v, Array.isArray(value) ? key : k);
  };
  for (const event of events) collect(event.detail);
  return { events, ids: [...ids].sort() };
}
