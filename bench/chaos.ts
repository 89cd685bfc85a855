import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultCounts, FaultOptions } from '#infra/local/faults.ts';
import type { RunningOms } from '#infra/local/runtime.ts';
import { startOms } from '#infra/local/runtime.ts';
import { repoRoot } from '#infra/paths.ts';
import { hmacBase64 } from '#shared/channels/signatures.ts';

/**
 * The fault campaign (issue 12, docs/operations.md "Fault campaign"): orders
 * from mixed channels (signed Shopify and WooCommerce webhooks, web-store
 * and POS orders through the API) driven through their whole life to
 * delivered — locations report accepted and shipped over the API, carriers
 * send signed tracking webhooks — while the local runtime injects one kind
 * of fault (infra/local/faults.ts), or all of them, or is killed with
 * SIGKILL under load and restarted on its data. Clients behave as real ones
 * do: a webhook or API call that failed (5xx, 429, a dropped connection) is
 * sent again until it is answered. Then the faults stop, the reconciler and
 * the redrive of failed invocations run where the runtime has them, and the
 * campaign counts what the OMS got wrong.
 */

type Json = Record<string, unknown>;

export type FaultKind = 'none' | 'dynamoThrottle' | 'dynamoServerError' | 'crash' | 'deliveryFailure' | 'all' | 'kill9';

export interface ChaosRunResult {
  run: FaultKind;
  share: number;
  orders: number;
  /** Orders the OMS acknowledged (webhook 200, API 201). */
  acknowledged: number;
  /** Acknowledged, but the OMS does not know the order. */
  lost: number;
  /** Units reserved or sold beyond what the orders asked for (summed over SKUs), and orders with more than one reservation on their timeline. */
  unitsReservedTwice: number;
  ordersReservedTwice: number;
  /** Identical customer messages (same recipient, order, template, subject and text) sent more than once. */
  messagesSentTwice: number;
  /** The same, by template. */
  twiceByTemplate?: Record<string, number>;
  /** Orders in the OMS not delivered once the faults stopped, the reconciler ran and the runtime settled. */
  stuck: number;
  stuckOrders: { orderId: string; status: string }[];
  /** From the faults stopping (or the restart) to every order delivered (or the deadline). */
  recoverSeconds: number;
  injected: Partial<FaultCounts> & { kills?: number };
  /** Client calls sent again after a failure (5xx, 429, connection lost). */
  clientRetries: number;
  reconciler: 'ran' | 'absent';
  seconds: number;
}

const SHOPIFY_SECRET = 'shpss_chaos_campaign_secret_0123456789';
const WOO_SECRET = 'woo_chaos_campaign_secret_0123456789abc';
const TOKEN = 'chaos-token-0123456789abcdef0123';
const shopifyFixture = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'channels', 'shopify-orders-create.json'), 'utf8')) as Json;
/** The WooCommerce fixture with totals that add up (the raw fixture is held for money review on purpose). */
const wooFixture = { ...(JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'channels', 'woocommerce-order-created.json'), 'utf8')) as Json), total: '54.05' };
const STOCK = 1_000_000;
const LOCATIONS = [
  ['wh-east', 42.36, -71.06, 'Boston', '02108', 'MA', 'US'],
  ['wh-west', 34.05, -118.24, 'Los Angeles', '90012', 'CA', 'US'],
  ['wh-berlin', 52.5, 13.4, 'Berlin', '10969', 'BE', 'DE'],
] as const;

/** The faults of a run at `share` (0.1–0.2 in the campaign). */
export function faultsFor(kind: FaultKind, share: number, seed = 12): FaultOptions | undefined {
  switch (kind) {
    case 'dynamoThrottle':
      return { dynamoThrottle: share, seed };
    case 'dynamoServerError':
      return { dynamoServerError: share, seed };
    case 'crash':
      return { crash: { share }, seed };
    case 'deliveryFailure':
      return { deliveryFailure: share, seed };
    case 'all':
      // Every kind at once, each at the share.
      return { dynamoThrottle: share, dynamoServerError: share, crash: { share }, deliveryFailure: share, seed };
    default:
      return undefined;
  }
}

/** One client of the OMS: calls it over HTTP and sends again what failed, as channels, locations and carriers do. */
class Client {
  url: string;
  retries = 0;
  readonly #deadline: number;
  constructor(url: string, deadline: number) {
    this.url = url;
    this.#deadline = deadline;
  }

  /** Sends until answered below 500 (and not 429); returns the answer. */
  async send(path: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: Json }> {
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > this.#deadline) throw new Error(`Chaos run deadline passed while calling ${init.method} ${path}`);
      try {
        const response = await fetch(`${this.url}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
        const text = await response.text();
        const body = (text && text.startsWith('{') ? JSON.parse(text) : {}) as Json;
        // 409 idempotency_in_progress: a first attempt that failed half-way still holds the key (60 s); retry, as the error says.
        const inProgress = response.status === 409 && (body['error'] as Json | undefined)?.['code'] === 'idempotency_in_progress';
        if (response.status < 500 && response.status !== 429 && !inProgress) return { status: response.status, body };
      } catch {
        // Connection refused or reset (the OMS was killed): try again.
      }
      this.retries++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** Math.min(attempt, 6))));
    }
  }

  api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.send(path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
}

interface Placed {
  kind: 'shopify' | 'woocommerce' | 'web' | 'pos';
  channelId: string;
  externalId: string;
  units: Record<string, number>;
  orderId?: string;
}

async function setUp(client: Client): Promise<void> {
  const must = async (reply: Promise<{ status: number; body: Json }>, what: string) => {
    const { status, body } = await reply;
    if (status >= 300) throw new Error(`${what} answered ${status}: ${JSON.stringify(body)}`);
  };
  for (const [id, lat, lon, city, postalCode, region, country] of LOCATIONS) {
    await must(client.api('PUT', `/v1/locations/${id}`, { name: id, type: 'warehouse', address: { lines: ['1 Chaos St'], city, region, postalCode, country }, geo: { lat, lon }, capabilities: ['ship'] }), `location ${id}`);
    await Promise.all(
      ['TEE-ORG-M-BLK', 'MUG-CER-350', 'APRON-LIN-NAT', 'CHAOS-WEB-1', 'CHAOS-POS-1'].map((sku) =>
        must(client.api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: `chaos-${id}-${sku}`, sku, locationId: id, quantity: STOCK }), `receipt ${sku}`),
      ),
    );
  }
  // No Admin API credentials: nothing is written back to the shops (the campaign stays on loopback).
  await must(client.api('PUT', '/v1/channels/shopify-chaos', { type: 'shopify', name: 'Chaos Shopify', settings: { shopDomain: 'chaos.myshopify.com' }, secrets: { webhookSecret: SHOPIFY_SECRET } }), 'Shopify channel');
  await must(client.api('PUT', '/v1/channels/woo-chaos', { type: 'woocommerce', name: 'Chaos Woo', settings: { storeUrl: 'https://chaos.example.de' }, secrets: { webhookSecret: WOO_SECRET } }), 'WooCommerce channel');
  await must(client.api('PUT', '/v1/channels/web-chaos', { type: 'web', name: 'Chaos web store', settings: {} }), 'web channel');
  await must(client.api('PUT', '/v1/channels/pos-chaos', { type: 'pos', name: 'Chaos till', settings: {} }), 'POS channel');
}

/** Places order `i` through its channel, resending until acknowledged. */
async function place(client: Client, i: number, runId: string): Promise<Placed> {
  const external = 7_100_000_000 + i;
  switch (i % 4) {
    case 0: {
      // Placed now, as a live store's webhook is: the fixture's own dates are weeks old, beyond the reconciler's look-back.
      const now = new Date().toISOString();
      const body = JSON.stringify({ ...shopifyFixture, id: external, admin_graphql_api_id: `gid://shopify/Order/${external}`, name: `#C${i}`, order_number: external, created_at: now, processed_at: now, updated_at: now });
      const reply = await client.send('/webhooks/shopify-chaos', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': 'orders/create',
          'x-shopify-shop-domain': 'chaos.myshopify.com',
          'x-shopify-webhook-id': `chaos-${runId}-${i}`,
          'x-shopify-hmac-sha256': hmacBase64(body, SHOPIFY_SECRET),
        },
        body,
      });
      if (reply.status !== 200) throw new Error(`Shopify webhook answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      return { kind: 'shopify', channelId: 'shopify-chaos', externalId: String(external), units: { 'TEE-ORG-M-BLK': 2, 'MUG-CER-350': 1 } };
    }
    case 1: {
      const now = new Date().toISOString().slice(0, 19);
      const body = JSON.stringify({ ...wooFixture, id: external, number: String(external), date_created: now, date_created_gmt: now, date_modified: now, date_modified_gmt: now, date_paid: now, date_paid_gmt: now });
      const reply = await client.send('/webhooks/woo-chaos', {
        method: 'POST',
        headers: { 'x-wc-webhook-topic': 'order.created', 'x-wc-webhook-delivery-id': `chaos-${runId}-${i}`, 'x-wc-webhook-signature': hmacBase64(body, WOO_SECRET) },
        body,
      });
      if (reply.status !== 200) throw new Error(`WooCommerce webhook answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      return { kind: 'woocommerce', channelId: 'woo-chaos', externalId: String(external), units: { 'APRON-LIN-NAT': 2 } };
    }
    default: {
      const pos = i % 4 === 3;
      const sku = pos ? 'CHAOS-POS-1' : 'CHAOS-WEB-1';
      const reply = await client.api(
        'POST',
        '/v1/orders',
        {
          channelId: pos ? 'pos-chaos' : 'web-chaos',
          externalOrderId: String(external),
          currency: 'USD',
          customer: { name: 'Ada Lovelace', email: `ada+${i}@example.com` },
          shippingAddress: { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' },
          lines: [{ sku, title: `Item ${sku}`, quantity: 1, unitPrice: 1000, tax: 80 }],
          shipping: { price: 500 },
          fulfillment: { type: 'ship' },
          payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
        },
        // The same key on every attempt: a retried POST is the same order.
        { 'idempotency-key': `chaos-${runId}-${i}` },
      );
      if (reply.status !== 201 && reply.status !== 200) throw new Error(`POST /v1/orders answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      const orderId = String((reply.body['order'] as Json | undefined)?.['orderId'] ?? '');
      return { kind: pos ? 'pos' : 'web', channelId: pos ? 'pos-chaos' : 'web-chaos', externalId: String(external), units: { [sku]: 1 }, ...(orderId ? { orderId } : {}) };
    }
  }
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

type Fulfillment = { fulfillmentId: string; status: string; carrier?: { carrierId: string; trackingNumber: string } };

/**
 * One pass of the locations and carriers over every order not yet delivered:
 * fulfillments not yet shipped are reported accepted and shipped, shipped
 * parcels get their in_transit and delivered scans. Returns how many orders
 * are delivered.
 */
async function drive(client: Client, placed: Placed[], carrierSecret: string, concurrency: number): Promise<number> {
  let delivered = 0;
  await pool(placed, concurrency, async (order) => {
    if (!order.orderId) {
      const found = await client.api('GET', `/v1/channels/${order.channelId}/orders/${order.externalId}`);
      if (found.status !== 200) return;
      order.orderId = String(found.body['orderId']);
    }
    const current = await client.api('GET', `/v1/orders/${order.orderId}`);
    if (current.body['status'] === 'delivered') {
      delivered++;
      return;
    }
    const { body } = await client.api('GET', `/v1/fulfillments?orderId=${order.orderId}`);
    for (const f of (body['items'] ?? []) as Fulfillment[]) {
      if (['cancelled', 'rejected', 'timed_out'].includes(f.status)) continue;
      // A report the OMS already applied answers 409 on a resend: the state is what counts, read back next pass.
      if (f.status === 'created') await client.api('POST', `/v1/fulfillments/${f.fulfillmentId}/events`, { type: 'accepted' });
      if (['created', 'accepted', 'picked', 'packed'].includes(f.status)) await client.api('POST', `/v1/fulfillments/${f.fulfillmentId}/events`, { type: 'shipped' });
      if (f.carrier && f.status !== 'delivered') {
        for (const status of ['in_transit', 'delivered']) {
          const raw = JSON.stringify({ trackingNumber: f.carrier.trackingNumber, status, occurredAt: new Date().toISOString() });
          await client.send(`/webhooks/carriers/${f.carrier.carrierId}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-carrier-signature': `sha256=${createHmac('sha256', carrierSecret).update(raw).digest('hex')}` },
            body: raw,
          });
        }
      }
    }
  });
  return delivered;
}

interface Verdict {
  lost: number;
  unitsReservedTwice: number;
  ordersReservedTwice: number;
  messagesSentTwice: number;
  twiceByTemplate: Record<string, number>;
  stuckOrders: { orderId: string; status: string }[];
}

/** What the OMS holds, read back through its API and its mail outbox, against what the clients placed. */
async function verify(client: Client, placed: Placed[], mail: readonly { to: string[]; subject: string; text?: string; tags: Record<string, string> }[]): Promise<Verdict> {
  let lost = 0;
  let ordersReservedTwice = 0;
  const stuckOrders: { orderId: string; status: string }[] = [];
  const ordered = new Map<string, number>();
  await pool(placed, 8, async (order) => {
    const found = await client.api('GET', `/v1/channels/${order.channelId}/orders/${order.externalId}`);
    if (found.status !== 200) {
      lost++;
      return;
    }
    order.orderId = String(found.body['orderId']);
    for (const [sku, units] of Object.entries(order.units)) ordered.set(sku, (ordered.get(sku) ?? 0) + units);
    if (found.body['status'] !== 'delivered') stuckOrders.push({ orderId: order.orderId, status: String(found.body['status']) });
    const timeline = await client.api('GET', `/v1/orders/${order.orderId}/timeline?limit=100`);
    const reservations = ((timeline.body['items'] ?? []) as { type: string }[]).filter((e) => e.type === 'stock_reserved').length;
    if (reservations > 1) ordersReservedTwice++;
  });
  // Every unit an order took is still reserved or has left (on hand went down): beyond what was ordered is a double reservation.
  let unitsReservedTwice = 0;
  for (const [sku, units] of ordered) {
    const { body } = await client.api('GET', `/v1/inventory/${sku}`);
    const total = (body['total'] ?? {}) as { onHand?: number; reserved?: number };
    const received = STOCK * LOCATIONS.length;
    const taken = received - (total.onHand ?? received) + (total.reserved ?? 0);
    unitsReservedTwice += Math.max(0, taken - units);
  }
  const seen = new Map<string, number>();
  for (const m of mail) {
    const key = JSON.stringify([m.to, m.tags['orderId'], m.tags['template'], m.subject, m.text]);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const messagesSentTwice = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
  // Which messages went out more than once, by template (what to look at first).
  const twiceByTemplate: Record<string, number> = {};
  for (const [key, n] of seen) if (n > 1) {
    const template = String((JSON.parse(key) as unknown[])[2]);
    twiceByTemplate[template] = (twiceByTemplate[template] ?? 0) + n - 1;
  }
  return { lost, unitsReservedTwice, ordersReservedTwice, messagesSentTwice, twiceByTemplate, stuckOrders };
}

export interface ChaosOptions {
  orders: number;
  share: number;
  /** Hard limit of one run; the run stops and reports what it has when passed. */
  timeoutMs: number;
  /** A DynamoDB Local already running (tests share one); the runs start their own otherwise. */
  dynamoEndpoint?: string;
  concurrency?: number;
  log?: (line: string) => void;
}

/**
 * The reconciler's waits in the campaign (RECONCILE_STUCK_AFTER_MINUTES,
 * RECONCILE_UNINVOICED_AFTER_MINUTES): a minute instead of 15 and 30, so
 * what the faults left stuck is old enough to be recovered within a run.
 * Set before the runtime loads the reconciler (its settings are read once).
 */
export const CAMPAIGN_RECONCILE_MINUTES = 1;
function campaignReconcilerWaits(): Record<string, string> {
  const waits = { RECONCILE_STUCK_AFTER_MINUTES: String(CAMPAIGN_RECONCILE_MINUTES), RECONCILE_UNINVOICED_AFTER_MINUTES: String(CAMPAIGN_RECONCILE_MINUTES) };
  Object.assign(process.env, waits);
  return waits;
}

/**
 * Recovery once the faults stop: failed asynchronous invocations are
 * redriven and the reconciler's schedule fires now, where the runtime has
 * them (issue 12: the on-failure destination and shared/use-cases/reconcile.ts).
 */
async function recover(oms: RunningOms): Promise<'ran' | 'absent'> {
  const withRedrive = oms as RunningOms & { redriveFailedInvocations?: () => Promise<number> };
  if (typeof withRedrive.redriveFailedInvocations === 'function') await withRedrive.redriveFailedInvocations();
  if (!oms.scheduler.get('Reconciler')) return 'absent';
  await oms.scheduler.runNow('Reconciler');
  return 'ran';
}

/** One run in this process: the runtime with `kind` faults at `share`. */
export async function chaosRun(kind: Exclude<FaultKind, 'kill9'>, options: ChaosOptions): Promise<ChaosRunResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const runId = randomUUID().slice(0, 8);
  const faults = faultsFor(kind, options.share);
  campaignReconcilerWaits();
  const oms = await startOms({
    port: 0,
    ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}),
    tableName: `oms-chaos-${kind}-${runId}`,
    apiToken: TOKEN,
    logLevel: 'CRITICAL',
    schedules: false,
    queueBatchingWindowMs: 20,
    marketplaceRetry: { attempts: 2, baseDelayMs: 5 },
    ...(faults ? { faults } : {}),
  });
  const concurrency = options.concurrency ?? 8;
  try {
    const client = new Client(oms.url, deadline);
    if (oms.faults) oms.faults.enabled = false;
    await setUp(client);
    await oms.settle();
    if (oms.faults) oms.faults.enabled = true;
    options.log?.(`  ${kind}: placing ${options.orders} orders...`);
    const placed: Placed[] = [];
    await pool(
      Array.from({ length: options.orders }, (_, i) => i),
      concurrency,
      async (i) => void placed.push(await place(client, i, runId)),
    );
    await oms.settle(Math.max(1_000, deadline - Date.now()));
    options.log?.(`  ${kind}: shipping and delivering...`);
    await drive(client, placed, oms.carrierWebhookSecret, concurrency);
    options.log?.(`  ${kind}: driven, settling...`);
    await oms.settle(Math.max(1_000, deadline - Date.now()));
    options.log?.(`  ${kind}: settled; faults off, recovering...`);
    // The faults stop; what is left is the OMS's to recover.
    if (oms.faults) oms.faults.enabled = false;
    const recovering = Date.now();
    let reconciler: 'ran' | 'absent' = 'absent';
    for (let pass = 0; pass < 6 && Date.now() < deadline; pass++) {
      // The first pass at once (redrive, dead-lettered deliveries); later ones once what got stuck under the faults is
      // older than the reconciler's wait, as it would be by its next 5-minute run on AWS.
      const due = recovering + CAMPAIGN_RECONCILE_MINUTES * 60_000 + 5_000 - Date.now();
      if (pass > 0 && due > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(due, Math.max(0, deadline - Date.now()))));
      reconciler = await recover(oms);
      await oms.settle(Math.max(1_000, deadline - Date.now()));
      const delivered = await drive(client, placed, oms.carrierWebhookSecret, concurrency);
      options.log?.(`  ${kind}: recovery pass ${pass + 1}: ${delivered} of ${placed.length} delivered`);
      if (delivered === placed.length) break;
      await oms.settle(Math.max(1_000, deadline - Date.now()));
    }
    const recoverSeconds = (Date.now() - recovering) / 1000;
    const verdict = await verify(client, placed, oms.mail.list());
    return {
      run: kind,
      share: kind === 'none' ? 0 : options.share,
      orders: options.orders,
      acknowledged: placed.length,
      ...verdict,
      stuck: verdict.stuckOrders.length,
      stuckOrders: verdict.stuckOrders.slice(0, 10),
      recoverSeconds: Math.round(recoverSeconds * 10) / 10,
      injected: oms.faults ? { ...oms.faults.counts } : {},
      clientRetries: client.retries,
      reconciler,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await oms.stop();
  }
}

/** `npm start` in a child process on `dataDir`; resolves with its URL once it serves. */
async function startProcess(dataDir: string, deadline: number): Promise<{ child: ChildProcess; url: string; carrierSecret: string }> {
  const child = spawn(process.execPath, ['infra/local/main.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'CRITICAL'], {
    cwd: repoRoot,
    env: { ...process.env, ...campaignReconcilerWaits(), OMS_API_TOKEN: TOKEN, OMS_DATA_DIR: dataDir, OMS_FAULTS: '', POWERTOOLS_METRICS_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (!output.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /API\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '';
  const carrierSecret = /signed with "([^"]+)"/.exec(output)?.[1] ?? 'local-carrier-webhook-secret-0123456789';
  return { child, url, carrierSecret };
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/**
 * `kill -9` under load: `npm start` on a data directory, half the orders
 * placed, the process killed with SIGKILL while the other half are being
 * sent (and the OMS is mid-pipeline), restarted on the same data; the
 * clients resend what was not answered and the run goes on to delivered.
 */
export async function killRun(options: ChaosOptions): Promise<ChaosRunResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const runId = randomUUID().slice(0, 8);
  const dataDir = mkdtempSync(join(tmpdir(), 'oms-chaos-kill-'));
  const concurrency = options.concurrency ?? 8;
  let current = await startProcess(dataDir, deadline);
  try {
    const client = new Client(current.url, deadline);
    await setUp(client);
    await new Promise((resolve) => setTimeout(resolve, 500));
    options.log?.(`  kill9: placing ${options.orders} orders, SIGKILL after ${Math.floor(options.orders / 2)}...`);
    const placed: Placed[] = [];
    let kills = 0;
    const killAt = Math.floor(options.orders / 2);
    let restarting: Promise<void> | undefined;
    await pool(
      Array.from({ length: options.orders }, (_, i) => i),
      concurrency,
      async (i) => {
        if (i === killAt && !restarting) {
          restarting = (async () => {
            await stopProcess(current.child, 'SIGKILL');
            kills++;
            current = await startProcess(dataDir, deadline);
            client.url = current.url;
          })();
        }
        placed.push(await place(client, i, runId));
      },
    );
    await restarting;
    const recovering = Date.now();
    let delivered = 0;
    for (let pass = 0; pass < 12 && Date.now() < deadline; pass++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      delivered = await drive(client, placed, current.carrierSecret, concurrency);
      if (delivered === placed.length) break;
    }
    const recoverSeconds = (Date.now() - recovering) / 1000;
    const mailFile = join(dataDir, 'mail', 'outbox.jsonl');
    const mail = existsSync(mailFile)
      ? readFileSync(mailFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { to: string[]; subject: string; text?: string; tags: Record<string, string> })
      : [];
    const verdict = await verify(client, placed, mail);
    return {
      run: 'kill9',
      share: 0,
      orders: options.orders,
      acknowledged: placed.length,
      ...verdict,
      stuck: verdict.stuckOrders.length,
      stuckOrders: verdict.stuckOrders.slice(0, 10),
      recoverSeconds: Math.round(recoverSeconds * 10) / 10,
      injected: { kills },
      clientRetries: client.retries,
      reconciler: 'absent',
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await stopProcess(current.child, 'SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The table the campaign prints. */
export function chaosTable(results: readonly ChaosRunResult[]): string {
  const header = ['run', 'share', 'orders', 'lost', 'units 2x', 'orders 2x', 'msgs 2x', 'stuck', 'recover s', 'injected', 'retries', 'reconciler'];
  const rows = results.map((r) => [
    r.run,
    r.run === 'kill9' ? 'SIGKILL' : `${Math.round(r.share * 100)} %`,
    String(r.orders),
    String(r.lost),
    String(r.unitsReservedTwice),
    String(r.ordersReservedTwice),
    String(r.messagesSentTwice),
    String(r.stuck),
    String(r.recoverSeconds),
    Object.entries(r.injected)
      .filter(([, n]) => Number(n) > 0)
      .map(([k, n]) => `${k} ${String(n)}`)
      .join(', ') || '-',
    String(r.clientRetries),
    r.reconciler,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
