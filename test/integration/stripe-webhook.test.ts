import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StripePaymentProvider } from '#shared/adapters/stripe-payments.ts';
import { stripeSignatureProblem } from '#shared/channels/stripe-events.ts';
import type { Order } from '#shared/domain/order.ts';
import { receiveStripeWebhook } from '#shared/use-cases/payment-webhooks.ts';
import { DynamoOrderHoldRepository } from '#shared/store/order-hold-repository.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { startFakeStripe, stripeEvent, stripeSignature, type FakeStripe } from '../support/fake-stripe.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * Stripe's webhook, through the real handler: the signature is checked
 * against the endpoint secret (the fixture's test vector, a secret roll, a
 * forged body, a stale timestamp, none at all: 401 with the error body and
 * nothing written), events land on the payment of the order their
 * PaymentIntent names (once: a redelivery is a duplicate), a dispute holds
 * the order `payment_disputed` with the dispute on the timeline, and events
 * of payments that are not the OMS's are acknowledged and ignored.
 */
type Json = Record<string, unknown>;
const vector = JSON.parse(readFileSync(new URL('../fixtures/providers/stripe-webhook-signature-vector.json', import.meta.url), 'utf8')) as {
  endpoint_secret: string;
  timestamp: number;
  raw_body: string;
  stripe_signature_header: string;
  stripe_signature_header_during_secret_roll: string;
  verify_at_unix_seconds_ok: number;
  verify_at_unix_seconds_too_old: number;
};
const SECRET = vector.endpoint_secret;

let fake: FakeStripe;
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
let handler: unknown;

beforeAll(async () => {
  fake = await startFakeStripe();
  ({ db, tableName } = await useTestTable());
  Object.assign(process.env, { PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE_URL: fake.url, STRIPE_WEBHOOK_SECRET: SECRET });
  world = fulfillmentWorld(db, tableName);
  world.deps.providers = { stripe: new StripePaymentProvider({ secretKey: async () => fake.secretKey, baseUrl: fake.url }) };
  handler = (await import('#functions/webhooks/receive-stripe-webhook.ts')).handler;
});
afterAll(async () => {
  for (const name of ['PAYMENT_PROVIDER', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE_URL', 'STRIPE_WEBHOOK_SECRET']) Reflect.deleteProperty(process.env, name);
  await fake.close();
});

/** An order paid by card through Stripe, routed (its parcel not shipped yet). */
async function stripeOrder(): Promise<{ order: Order; paymentIntentId: string }> {
  const { order } = await world.routedOrder([{ sku: `STR-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, quantity: 1 }], {
    payment: { state: 'authorized', provider: 'stripe', reference: 'pm_card_visa' },
    channel: { channelId: 'web', channelType: 'web', externalOrderId: `web-${Date.now()}-${Math.random()}` },
  });
  const payment = must(await world.fulfillments.payment(order.orderId));
  expect(payment).toMatchObject({ provider: 'stripe', status: 'authorized' });
  return { order, paymentIntentId: must(payment.authorizationId) };
}

function deliver(body: string, signature: string | undefined) {
  return call(
    handler,
    apiEvent({
      method: 'POST',
      path: '/webhooks/payments/stripe',
      routeKey: 'POST /webhooks/payments/stripe',
      headers: { 'content-type': 'application/json; charset=utf-8', ...(signature === undefined ? {} : { 'stripe-signature': signature }) },
      body,
    }),
  );
}
const now = () => Math.floor(Date.now() / 1000);
const signed = (event: Json) => {
  const body = JSON.stringify(event);
  return deliver(body, stripeSignature(body, SECRET, now()));
};
const timeline = async (orderId: string) => (await world.orders.timeline(orderId, { limit: 100 })).items;

describe('Stripe-Signature', () => {
  it("verifies the fixture's test vector within 300 s, any v1 during a secret roll, and refuses a forged body, a stale or missing signature", () => {
    const body = Buffer.from(vector.raw_body);
    const at = (seconds: number) => new Date(seconds * 1000);
    expect(stripeSignatureProblem(body, vector.stripe_signature_header, SECRET, at(vector.verify_at_unix_seconds_ok))).toBeUndefined();
    expect(stripeSignatureProblem(body, vector.stripe_signature_header_during_secret_roll, SECRET, at(vector.verify_at_unix_seconds_ok))).toBeUndefined();
    expect(stripeSignatureProblem(body, vector.stripe_signature_header, SECRET, at(vector.verify_at_unix_seconds_too_old))).toBe('Stripe-Signature timestamp is 301 s old; at most 300 s is accepted');
    expect(stripeSignatureProblem(body, vector.stripe_signature_header, SECRET, at(vector.timestamp - 301))).toMatch(/301 s ahead/);
    expect(stripeSignatureProblem(Buffer.from(vector.raw_body.replace('12900', '12901')), vector.stripe_signature_header, SECRET, at(vector.timestamp))).toBe(
      'Stripe-Signature does not match the body under the endpoint secret',
    );
    expect(stripeSignatureProblem(body, vector.stripe_signature_header, 'whsec_other', at(vector.timestamp))).toMatch(/does not match/);
    expect(stripeSignatureProblem(body, `t=${vector.timestamp},v0=${'0'.repeat(64)}`, SECRET, at(vector.timestamp))).toBe('Stripe-Signature has no v1 signature');
    expect(stripeSignatureProblem(body, undefined, SECRET, at(vector.timestamp))).toBe('Missing Stripe-Signature header');
    expect(stripeSignatureProblem(body, 'v1=abc', SECRET, at(vector.timestamp))).toBe('Stripe-Signature has no timestamp (t=)');
  });
});

describe('POST /webhooks/payments/stripe', () => {
  it('answers 401 with the error body and writes nothing for a forged, stale or missing signature', async () => {
    const { order, paymentIntentId } = await stripeOrder();
    const event = stripeEvent('payment_intent.succeeded', { id: `evt_forged_${order.orderId}`, object: { id: paymentIntentId, metadata: { oms_order_id: order.orderId } } });
    const body = JSON.stringify(event);
    const before = await allItems(db, tableName);
    const forged = await deliver(body, stripeSignature(body, 'whsec_not_the_endpoint_secret', now()));
    const stale = await deliver(body, stripeSignature(body, SECRET, now() - 301));
    const tampered = await deliver(body.replace('"amount_received":12900', '"amount_received":1'), stripeSignature(body, SECRET, now()));
    const missing = await deliver(body, undefined);
    for (const reply of [forged, stale, tampered, missing]) {
      expect(reply.status).toBe(401);
      expect(reply.body).toMatchObject({ error: { code: 'unauthorized', message: expect.stringMatching(/Stripe-Signature/) as string } });
    }
    expect((stale.body as { error: { message: string } }).error.message).toMatch(/s old; at most 300 s/);
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('applies payment_intent.succeeded once: figures on the payment, a timeline entry; the redelivery is a duplicate that writes nothing', async () => {
    const { order, paymentIntentId } = await stripeOrder();
    const event = stripeEvent('payment_intent.succeeded', { id: `evt_ok_${order.orderId}`, object: { id: paymentIntentId, amount: 15900, amount_received: 12900, metadata: { oms_order_id: order.orderId } } });
    const first = await signed(event);
    expect(first).toMatchObject({ status: 200, body: { outcome: 'applied', eventId: `evt_ok_${order.orderId}`, type: 'payment_intent.succeeded', orderId: order.orderId } });
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment.providerState).toMatchObject({ status: 'succeeded', received: 12900, capturable: 0 });
    expect(payment.providerEvents).toEqual([`evt_ok_${order.orderId}`]);
    expect((await timeline(order.orderId)).filter((e) => e.type === 'payment_provider_update').map((e) => e.message)).toEqual([
      `Stripe reports PaymentIntent ${paymentIntentId} succeeded: $129.00 received, while the OMS recorded $0.00 captured.`,
    ]);
    const before = await allItems(db, tableName);
    expect(await signed(event)).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('a replay of a captured delivery (the same body and Stripe-Signature) is a duplicate that writes nothing: the event id is inside the signed body', async () => {
    const { order, paymentIntentId } = await stripeOrder();
    const event = stripeEvent('payment_intent.succeeded', { id: `evt_replay_${order.orderId}`, object: { id: paymentIntentId, amount: 15900, amount_received: 12900, metadata: { oms_order_id: order.orderId } } });
    const body = JSON.stringify(event);
    const captured = stripeSignature(body, SECRET, now());
    expect(await deliver(body, captured)).toMatchObject({ status: 200, body: { outcome: 'applied' } });
    const before = await allItems(db, tableName);
    expect(await deliver(body, captured)).toMatchObject({ status: 200, body: { outcome: 'duplicate', eventId: `evt_replay_${order.orderId}` } });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('a dispute holds the order payment_disputed (OrderHeld) with the dispute on the payment and the timeline; found through the PaymentIntent', async () => {
    const { order, paymentIntentId } = await stripeOrder();
    // A dispute names only its PaymentIntent (its own metadata is empty): the OMS reads the PaymentIntent's metadata from Stripe.
    const event = stripeEvent('charge.dispute.created', { id: `evt_dispute_${order.orderId}`, object: { payment_intent: paymentIntentId, amount: 1000, metadata: {} } });
    expect(await signed(event)).toMatchObject({ status: 200, body: { outcome: 'applied', orderId: order.orderId } });
    expect(fake.requests.some((r) => r.method === 'GET' && r.path === `/v1/payment_intents/${paymentIntentId}`)).toBe(true);
    const held = must(await world.orders.get(order.orderId));
    expect(held.fulfillmentHold).toMatchObject({ reason: 'payment_disputed', placedBy: { type: 'provider', provider: 'stripe', reference: 'du_1TestOMS1042Dispute0001' } });
    expect(must(await world.fulfillments.payment(order.orderId)).dispute).toEqual({
      disputeId: 'du_1TestOMS1042Dispute0001',
      amount: 1000,
      reason: 'product_not_received',
      status: 'needs_response',
      evidenceDueBy: new Date(1796687999 * 1000).toISOString(),
      openedAt: new Date(1795940571 * 1000).toISOString(),
    });
    const entries = await timeline(order.orderId);
    expect(entries.find((e) => e.type === 'payment_disputed')?.message).toBe(
      'The customer disputed $10.00 with their bank (Stripe dispute du_1TestOMS1042Dispute0001, reason product_not_received, needs_response); evidence is due by 2026-12-07T23:59:59.000Z. Answer it in the Stripe Dashboard.',
    );
    expect(entries.find((e) => e.type === 'hold_placed')).toMatchObject({ actor: 'provider:stripe' });
    const outbox = (await allItems(db, tableName)).filter((i) => i['detailType'] === 'OrderHeld' && String(i['detail']).includes(order.orderId));
    expect(outbox).toHaveLength(1);
    expect(JSON.parse(String(must(outbox[0])['detail'])).data.hold.reason).toBe('payment_disputed');
    // Redelivered: no second hold, no second entry.
    expect(await signed(event)).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect((await timeline(order.orderId)).filter((e) => e.type === 'hold_placed')).toHaveLength(1);
  });

  it('a failed payment is recorded declined (PaymentFailed) and the order held payment_review; a refund reported by Stripe is recorded', async () => {
    const { order, paymentIntentId } = await stripeOrder();
    const failed = stripeEvent('payment_intent.payment_failed', { id: `evt_fail_${order.orderId}`, object: { id: paymentIntentId, metadata: { oms_order_id: order.orderId } } });
    expect(await signed(failed)).toMatchObject({ status: 200, body: { outcome: 'applied' } });
    expect(must(await world.fulfillments.payment(order.orderId))).toMatchObject({ status: 'declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' });
    expect(must(await world.orders.get(order.orderId)).fulfillmentHold).toMatchObject({ reason: 'payment_review', placedBy: { type: 'provider', reference: paymentIntentId } });
    expect((await allItems(db, tableName)).filter((i) => i['detailType'] === 'PaymentFailed' && String(i['detail']).includes(order.orderId))).toHaveLength(1);

    const refunded = stripeEvent('charge.refunded', { id: `evt_ref_${order.orderId}`, object: { payment_intent: paymentIntentId, metadata: { oms_order_id: order.orderId }, amount_captured: 12900, amount_refunded: 2500 } });
    expect(await signed(refunded)).toMatchObject({ status: 200, body: { outcome: 'applied' } });
    expect(must(await world.fulfillments.payment(order.orderId)).providerState).toMatchObject({ refunded: 2500, received: 12900 });
    expect((await timeline(order.orderId)).at(-1)?.message).toMatch(/^Stripe reports \$25\.00 refunded on charge ch_3TestOMS1042Auth00000001 in all, more than the \$0\.00 the OMS refunded/);
  });

  it('acknowledges and ignores events of payments that are not the OMS’s, and event types it does not use; refuses a signed body that is not an event', async () => {
    const foreign = stripeEvent('payment_intent.succeeded', { id: 'evt_foreign', object: { id: 'pi_someone_else', metadata: {} } });
    expect(await signed(foreign)).toMatchObject({ status: 200, body: { outcome: 'ignored', reason: 'PaymentIntent pi_someone_else is not an OMS payment (no oms_order_id)' } });
    const other = { ...stripeEvent('payment_intent.succeeded', { id: 'evt_other' }), type: 'customer.created' };
    expect(await signed(other)).toMatchObject({ status: 200, body: { outcome: 'ignored', reason: 'the OMS does not use customer.created events' } });
    const unknownOrder = stripeEvent('payment_intent.succeeded', { id: 'evt_unknown', object: { metadata: { oms_order_id: '01NOSUCHORDER0000000000000' } } });
    expect(await signed(unknownOrder)).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    const before = await allItems(db, tableName);
    const notEvent = await signed({ hello: 'world' });
    expect(notEvent.status).toBe(422);
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('the use case refuses before reading anything when the signature is wrong', async () => {
    let read = false;
    const deps = {
      orders: { get: async () => ((read = true), undefined) },
      fulfillments: { payment: async () => ((read = true), undefined), savePayment: async () => undefined },
      holds: new DynamoOrderHoldRepository(db, tableName),
      secret: async () => SECRET,
      orderOfPaymentIntent: async () => ((read = true), undefined),
      clock: { now: () => new Date(vector.verify_at_unix_seconds_too_old * 1000) },
    };
    await expect(receiveStripeWebhook(deps, { rawBody: Buffer.from(vector.raw_body), signature: vector.stripe_signature_header })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(read).toBe(false);
  });
});
