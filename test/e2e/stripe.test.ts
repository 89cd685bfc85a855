import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { startFakeStripe, stripeEvent, stripeSignature, type FakeStripe } from '../support/fake-stripe.ts';
import { locationBody, must } from '../support/fixtures.ts';

/**
 * The local runtime configured for Stripe (PAYMENT_PROVIDER=stripe, pointed
 * at the fake): a card-paid web order is authorized with a manual-capture
 * PaymentIntent, captured when its parcel ships, refunded through the
 * goodwill route, and Stripe's signed webhook reaches the order; every call
 * the fake saw carried a valid key, version and Idempotency-Key.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { items?: Json[] }; text: string };
const WEBHOOK_SECRET = 'whsec_e2eLocalOnlyNotARealSecret000000';
const ENV = ['PAYMENT_PROVIDER', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE_URL', 'STRIPE_WEBHOOK_SECRET'];
let oms: RunningOms;
let fake: FakeStripe;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : {}) as Reply['body'], text };
}

beforeAll(async () => {
  fake = await startFakeStripe();
  Object.assign(process.env, { PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE_URL: fake.url, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-stripe-${randomUUID()}`,
    apiToken: 'stripe-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
  });
  expect((await api('PUT', '/v1/locations/wh-east', locationBody({ name: 'Boston DC' }))).status).toBe(201);
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
  await fake?.close();
  for (const name of ENV) Reflect.deleteProperty(process.env, name);
});

describe('Stripe, end to end in the local runtime', () => {
  it('authorizes a card-paid web order, captures it when it ships, refunds it, and takes the signed webhook', async () => {
    expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku: 'ST-1', locationId: 'wh-east', quantity: 5 })).status).toBe(201);
    const placed = await api(
      'POST',
      '/v1/orders',
      {
        channelId: 'web-store',
        currency: 'USD',
        customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
        shippingAddress: { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' },
        lines: [{ sku: 'ST-1', title: 'Mug', quantity: 2, unitPrice: 2500, tax: 160 }],
        shipping: { price: 500 },
        fulfillment: { type: 'ship' },
        payment: { state: 'authorized', provider: 'stripe', reference: 'pm_card_visa' },
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(placed.status, placed.text).toBe(201);
    const orderId = String((placed.body['order'] as Json)['orderId']);
    await oms.settle();

    // Authorized: one PaymentIntent for the order's total ($56.60), manual capture, the order id in its metadata.
    const intents = [...fake.intents.values()].filter((i) => i.metadata['oms_order_id'] === orderId);
    expect(intents).toHaveLength(1);
    const intent = must(intents[0]);
    expect(intent).toMatchObject({ amount: 5660, currency: 'usd', status: 'requires_capture' });

    const [parcel] = (await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body.items ?? [];
    for (const type of ['accepted', 'picked', 'packed', 'shipped']) {
      expect((await api('POST', `/v1/fulfillments/${String(parcel?.['fulfillmentId'])}/events`, { type })).status).toBe(200);
      await oms.settle();
    }
    expect(intent).toMatchObject({ amountReceived: 5660, status: 'succeeded' });
    const capture = must(fake.requests.find((r) => r.path === `/v1/payment_intents/${intent.id}/capture`));
    expect(capture.headers['idempotency-key']).toBe(`capture:${orderId}:${String(parcel?.['fulfillmentId'])}`);
    expect((await api('GET', `/v1/invoices?orderId=${orderId}`)).body.items).toHaveLength(1);

    const refund = await api('POST', `/v1/orders/${orderId}/refunds`, { amount: 1500, reason: 'Parcel arrived late' }, { 'idempotency-key': 'st-gw-1' });
    expect(refund.status, refund.text).toBe(201);
    expect(refund.body).toMatchObject({ status: 'refunded', mode: 'provider', provider: 'stripe', amount: 1500 });
    expect(intent.refunded).toBe(1500);

    // Stripe reports the refund on the charge; the webhook is signed with the endpoint secret.
    const event = JSON.stringify(stripeEvent('charge.refunded', { id: `evt_e2e_${orderId}`, object: { payment_intent: intent.id, metadata: { oms_order_id: orderId }, amount_captured: 5660, amount_refunded: 1500 } }));
    const signature = stripeSignature(event, WEBHOOK_SECRET, Math.floor(Date.now() / 1000));
    const webhook = await api('POST', '/webhooks/payments/stripe', event, { 'stripe-signature': signature, authorization: '' });
    expect(webhook.status, webhook.text).toBe(200);
    expect(webhook.body).toMatchObject({ outcome: 'applied', orderId });
    const forged = await api('POST', '/webhooks/payments/stripe', event, { 'stripe-signature': signature.replace(/v1=./, 'v1=0'), authorization: '' });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: { code: 'unauthorized' } });

    const timeline = ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []).map((e) => String(e['type']));
    expect(timeline).toEqual(expect.arrayContaining(['payment_confirmed', 'payment_captured', 'refund_issued', 'payment_provider_update']));
    // Every POST the fake saw carried an Idempotency-Key, and it refused nothing.
    expect(fake.requests.filter((r) => r.method === 'POST').every((r) => Boolean(r.headers['idempotency-key']))).toBe(true);
    expect(fake.problems).toEqual([]);
  });
});
