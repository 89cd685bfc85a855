import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { OrderRouted } from '#events/order-routed.ts';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { repoRoot } from '#infra/paths.ts';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { documentClient } from '#shared/store/client.ts';
import { loadPrices, meterDynamo, perUnit, price, snapshot, usageBetween, type Meter } from './cost.ts';
import { replay } from './reservations.ts';
import { RETURN_RATE, returnsCost, type ReturnCostModel } from './returns.ts';
import { round, runConcurrently, type BenchDb } from './support.ts';
import { fakeShopifyWriteback } from '../test/support/fake-writeback.ts';

/**
 * The whole pipeline through the real local runtime: a signed Shopify
 * webhook is stored, captured from the queue, routed and reserved by the
 * rule, paid and handed to its location by the fulfillOrder state machine.
 * Measured against the floor — the reservation TransactWriteItems alone,
 * replayed on the same DynamoDB Local in the same run — for throughput and
 * latency; and, for the whole life of an order (location reports, shipment,
 * capture, invoice, tracking to delivered, customer e-mails), every billable
 * operation, priced with bench/prices.json.
 */

const SECRET = 'shpss_bench_pipeline_0123456789abcdef0123';
/** The real Shopify orders/create payload (the repository's copy of the channel fixtures). */
const fixture = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'channels', 'shopify-orders-create.json'), 'utf8')) as Record<string, unknown>;

export interface PipelineFigures {
  throughput: { orders: number; concurrency: number; ordersPerSecond: number; floorTransactionsPerSecond: number; ratio: number; dynamoCallsPerOrder: number };
  latency: {
    offeredPerSecond: number;
    orders: number;
    ackMs: Percentiles;
    reservedMs: Percentiles;
    floorMs: Percentiles;
    ackRatioP50: number;
    reservedRatioP50: number;
  };
  cost: CostModel;
}

interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface CostModel {
  orders: number;
  perOrder: Record<string, number>;
  dollarsPerMillionOrders: Record<string, number>;
  totalWithoutMessages: number;
  totalWithEmail: number;
  /** The return workflow, measured on a share of these orders once delivered. */
  returns: ReturnCostModel;
  notes: string[];
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

function webhookBody(externalId: number): string {
  return JSON.stringify({ ...fixture, id: externalId, admin_graphql_api_id: `gid://shopify/Order/${externalId}`, name: `#B${externalId}`, order_number: externalId });
}

async function sendWebhook(oms: RunningOms, externalId: number): Promise<number> {
  const body = webhookBody(externalId);
  const started = performance.now();
  const response = await fetch(`${oms.url}/webhooks/shopify-bench`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 'acme.myshopify.com',
      'x-shopify-webhook-id': `bench-${externalId}`,
      'x-shopify-hmac-sha256': hmacBase64(body, SECRET),
    },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`Webhook answered ${response.status}`);
  return performance.now() - started;
}

type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** The local OMS the pipeline measurements run on: two warehouses stocked with the fixture's SKUs and the bench Shopify channel. */
async function pipelineOms(bench: BenchDb): Promise<{ oms: RunningOms; api: Api; shop: ShopifyAdmin }> {
  // Metrics go to stdout as EMF lines on Lambda; here they would drown the table.
  process.env['POWERTOOLS_METRICS_DISABLED'] = 'true';
  const oms = await startOms({
    port: 0,
    dynamoEndpoint: bench.endpoint,
    tableName: 'bench-pipeline',
    apiToken: 'bench-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
  });
  try {
    const api: Api = async (method, path, body) => {
      const response = await fetch(`${oms.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (response.status >= 400) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
      return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    };
    for (const [id, lat, lon, city, postalCode, region] of [
      ['wh-east', 42.36, -71.06, 'Boston', '02108', 'MA'],
      ['wh-west', 34.05, -118.24, 'Los Angeles', '90012', 'CA'],
    ] as const) {
      await api('PUT', `/v1/locations/${id}`, { name: id, type: 'warehouse', address: { lines: ['1 Bench St'], city, region, postalCode, country: 'US' }, geo: { lat, lon }, capabilities: ['ship'] });
      for (const sku of ['TEE-ORG-M-BLK', 'MUG-CER-350']) {
        await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: `${id}-${sku}`, sku, locationId: id, quantity: 1_000_000 });
      }
    }
    // The shop's Admin API on loopback: shipments and channel refunds are written back to it, so the cost model counts the write-back.
    const shop = await fakeShopifyWriteback({ accessToken: ADMIN_TOKEN, orders: [] });
    await api('PUT', '/v1/channels/shopify-bench', {
      type: 'shopify',
      name: 'Bench',
      settings: { shopDomain: 'acme.myshopify.com', adminUrl: shop.url },
      secrets: { webhookSecret: SECRET, adminAccessToken: ADMIN_TOKEN },
    });
    await oms.settle();
    const stop = oms.stop.bind(oms);
    oms.stop = async () => {
      await stop();
      await shop.close();
    };
    return { oms, api, shop };
  } catch (error) {
    await oms.stop();
    throw error;
  }
}

const ADMIN_TOKEN = 'shpat_bench_admin';
type ShopifyAdmin = Awaited<ReturnType<typeof fakeShopifyWriteback>>;

/** The order as the shop knows it (the fixture's line items under the bench's order id), for the write-back. */
function seedShop(shop: ShopifyAdmin, externalId: number): void {
  const lines = (fixture['line_items'] as { id: number; sku: string; quantity: number }[]).map((line) => ({ lineItemId: String(line.id), sku: line.sku, quantity: line.quantity }));
  shop.seed({ id: String(externalId), currency: String(fixture['currency']), lines });
}

/**
 * Only the cost model (whole order lives, then the return workflow on a
 * share of them): `npm run bench -- --quick --only cost`, the shortest run
 * that produces the returns figure.
 */
export async function costBench(bench: BenchDb, options: { quick: boolean; log: (line: string) => void }): Promise<CostModel> {
  const { oms, api, shop } = await pipelineOms(bench);
  try {
    const meter = meterDynamo();
    let nextId = 7_000_000_000;
    return await costModel(oms, meter, api, { orders: options.quick ? 3 : 20, nextId: () => nextId++, log: options.log, shop });
  } finally {
    await oms.stop();
  }
}

export async function pipelineBench(bench: BenchDb, options: { quick: boolean; log: (line: string) => void }): Promise<PipelineFigures> {
  const { oms, api, shop } = await pipelineOms(bench);
  try {
    const meter = meterDynamo();
    let nextId = 7_000_000_000;
    const routed = () => oms.events.list().filter((e) => e['detail-type'] === OrderRouted.detailType).length;

    // Warm-up: JIT and caches, outside every measurement.
    options.log('  pipeline warm-up...');
    await runConcurrently(options.quick ? 5 : 20, 4, async () => void (await sendWebhook(oms, nextId++)));
    await oms.settle(120_000);

    // Throughput: webhooks as fast as 16 senders go; done when every order is routed.
    const count = options.quick ? 20 : 200;
    const concurrency = 16;
    options.log(`  throughput: ${count} webhooks, ${concurrency} at a time...`);
    const before = routed();
    const callsBefore = Object.values(meter.calls).reduce((a, b) => a + b, 0);
    const started = performance.now();
    await runConcurrently(count, concurrency, async () => void (await sendWebhook(oms, nextId++)));
    while (routed() - before < count) {
      if (performance.now() - started > 600_000) throw new Error('The pipeline did not route every order within 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const pipelineSeconds = (performance.now() - started) / 1000;
    await oms.settle(120_000);
    const dynamoCallsPerOrder = (Object.values(meter.calls).reduce((a, b) => a + b, 0) - callsBefore) / count;

    // The floor: the reservation transaction the pipeline just committed, replayed alone at the same concurrency.
    const template = await captureReservation(oms, async () => void (await sendWebhook(oms, nextId++)));
    const tableName = 'bench-pipeline';
    const stockKey = stockKeyOf(template);
    let floorIndex = 0;
    const floorTx = async () => {
      const t = performance.now();
      await bench.db.send(new TransactWriteCommand(replay(template, tableName, stockKey, stockKey, 1_000_000 + floorIndex++)));
      return performance.now() - t;
    };
    const floorSeconds = await runConcurrently(count, concurrency, async () => void (await floorTx()));

    // Latency at a fixed offered load well below saturation.
    const offered = options.quick ? 4 : 5;
    const latencyOrders = options.quick ? 8 : 60;
    options.log(`  latency: ${latencyOrders} webhooks at ${offered}/s...`);
    const sent: { externalId: number; at: number; ackMs: number }[] = [];
    const floorLatencies: number[] = [];
    await Promise.all(
      Array.from({ length: latencyOrders }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * 1000) / offered));
        const externalId = nextId++;
        const at = Date.now();
        sent.push({ externalId, at, ackMs: await sendWebhook(oms, externalId) });
      }),
    );
    await oms.settle(120_000);
    const reservedMs: number[] = [];
    for (const s of sent) {
      const order = await api('GET', `/v1/channels/shopify-bench/orders/${s.externalId}`);
      const timeline = (await api('GET', `/v1/orders/${String(order['orderId'])}/timeline?limit=100`))['items'] as { type: string; at: string }[];
      const reserved = timeline.find((e) => e.type === 'stock_reserved');
      if (!reserved) throw new Error(`Order ${String(order['orderId'])} was never reserved`);
      reservedMs.push(Date.parse(reserved.at) - s.at);
    }
    for (let i = 0; i < latencyOrders; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000 / offered));
      floorLatencies.push(await floorTx());
    }
    const ack = percentiles(sent.map((s) => s.ackMs));
    const toReserved = percentiles(reservedMs);
    const floor = percentiles(floorLatencies);

    // Cost: every billable operation of whole order lives, start to delivered.
    const cost = await costModel(oms, meter, api, { orders: options.quick ? 3 : 20, nextId: () => nextId++, log: options.log, shop });

    return {
      throughput: {
        orders: count,
        concurrency,
        ordersPerSecond: round(count / pipelineSeconds),
        floorTransactionsPerSecond: round(count / floorSeconds),
        ratio: round(count / pipelineSeconds / (count / floorSeconds), 3),
        dynamoCallsPerOrder: round(dynamoCallsPerOrder),
      },
      latency: {
        offeredPerSecond: offered,
        orders: latencyOrders,
        ackMs: ack,
        reservedMs: toReserved,
        floorMs: floor,
        ackRatioP50: round(ack.p50 / Math.max(floor.p50, 0.1), 1),
        reservedRatioP50: round(toReserved.p50 / Math.max(floor.p50, 0.1), 1),
      },
      cost,
    };
  } finally {
    await oms.stop();
  }
}

/** The first reservation transaction committed after `trigger`, as sent. */
async function captureReservation(oms: RunningOms, trigger: () => Promise<void>): Promise<TransactWriteCommandInput> {
  let captured: TransactWriteCommandInput | undefined;
  documentClient().middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as TransactWriteCommandInput;
      if (!captured && input.TransactItems?.some((item) => item.Update?.ConditionExpression?.includes(':minAvailable'))) {
        captured = structuredClone(input);
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchCaptureReservation' },
  );
  await trigger();
  await oms.settle(60_000);
  documentClient().middlewareStack.remove('benchCaptureReservation');
  if (!captured) throw new Error('No reservation transaction was seen');
  return captured;
}

function stockKeyOf(template: TransactWriteCommandInput): Record<string, unknown> {
  // The stock position is the update that carries the `available >= q` condition.
  const update = template.TransactItems?.find((item) => item.Update?.ConditionExpression?.includes(':minAvailable'))?.Update;
  if (!update?.Key) throw new Error('The reservation transaction updates no stock position');
  return update.Key;
}


async function costModel(
  oms: RunningOms,
  meter: Meter,
  api: Api,
  options: { orders: number; nextId: () => number; log: (line: string) => void; shop: ShopifyAdmin },
): Promise<CostModel> {
  const prices = loadPrices();
  await oms.settle(60_000);
  options.log(`  cost: ${options.orders} orders from webhook to delivered...`);
  const start = snapshot(oms, meter);
  let apiRequests = 0;
  let harnessReads = 0;
  /** A read the harness makes to find its way (not part of an order's cost): its read units are taken out. */
  const look = async (path: string) => {
    const before = meter.readUnits;
    const body = await api('GET', path);
    harnessReads += meter.readUnits - before;
    return body;
  };
  const ids = Array.from({ length: options.orders }, () => options.nextId());
  for (const id of ids) {
    seedShop(options.shop, id);
    await sendWebhook(oms, id);
    apiRequests++;
  }
  await oms.settle(120_000);
  const routedPhase = { writes: meter.writeUnits - start.writes, reads: meter.readUnits - start.reads };
  const fulfillments: { orderId: string; fulfillmentId: string; carrier: { carrierId: string; trackingNumber: string } }[] = [];
  const orderIds: string[] = [];
  for (const id of ids) {
    const orderId = String((await look(`/v1/channels/shopify-bench/orders/${id}`))['orderId']);
    orderIds.push(orderId);
    const { items } = (await look(`/v1/fulfillments?orderId=${orderId}`)) as { items: { fulfillmentId: string; carrier: { carrierId: string; trackingNumber: string } }[] };
    fulfillments.push(...items.map((f) => ({ ...f, orderId })));
  }
  for (const f of fulfillments) {
    for (const type of ['accepted', 'shipped']) {
      await api('POST', `/v1/fulfillments/${f.fulfillmentId}/events`, { type });
      apiRequests++;
    }
  }
  await oms.settle(120_000);
  const shippedPhase = { writes: meter.writeUnits - start.writes - routedPhase.writes };
  const { createHmac } = await import('node:crypto');
  for (const { carrier } of fulfillments) {
    for (const status of ['in_transit', 'delivered']) {
      const body = JSON.stringify({ trackingNumber: carrier.trackingNumber, status, occurredAt: new Date().toISOString() });
      const response = await fetch(`${oms.url}/webhooks/carriers/${carrier.carrierId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-carrier-signature': `sha256=${createHmac('sha256', oms.carrierWebhookSecret).update(body).digest('hex')}` },
        body,
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`Carrier webhook answered ${response.status}`);
      apiRequests++;
    }
  }
  await oms.settle(120_000);
  const end = snapshot(oms, meter);
  const delivered = await Promise.all(orderIds.map(async (orderId) => (await api('GET', `/v1/orders/${orderId}`))['status']));
  if (delivered.some((status) => status !== 'delivered')) throw new Error(`Not every cost-model order was delivered: ${delivered.join(', ')}`);
  const n = options.orders;
  const usage = usageBetween(oms, start, end, { harnessReads, harnessFunctions: new Set(['getChannelOrder', 'listFulfillments', 'getOrder']), apiRequests, prices });
  const perOrder = {
    ...perUnit(usage, n),
    dynamoWriteUnitsToRouted: round(routedPhase.writes / n, 1),
    dynamoWriteUnitsToShipped: round(shippedPhase.writes / n, 1),
    dynamoWriteUnitsToDelivered: round((usage.writeUnits - routedPhase.writes - shippedPhase.writes) / n, 1),
  };
  const priced = price(usage, n, prices);
  const returns = await returnsCost(oms, meter, api, { orderIds, share: RETURN_RATE, prices, log: options.log, snapshot: () => snapshot(oms, meter) });
  return {
    orders: n,
    perOrder,
    ...priced,
    returns,
    notes: [
      'Lambda durations are measured in-process on DynamoDB Local at 512 MB; on AWS add network round trips (the model bills each invocation at least 1 ms).',
      'DynamoDB units are what DynamoDB Local reports with ReturnConsumedCapacity=TOTAL; writes to global secondary indexes are not included by DynamoDB Local.',
      'Express durations are the local executions; on AWS each Lambda call adds ~20-50 ms of invocation overhead.',
      'Not modelled: CloudWatch Logs ingestion, X-Ray traces, Secrets Manager calls (cached 5 min per container), KMS requests (the table key is cached by DynamoDB), DynamoDB stream reads by Pipes.',
    ],
  };
}
