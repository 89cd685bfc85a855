import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StripePaymentProvider } from '#shared/adapters/stripe-payments.ts';
import { newId } from '#shared/domain/ids.ts';
import { applyFulfillmentEvent } from '#shared/use-cases/fulfillment.ts';
import { capturePayment } from '#shared/use-cases/payments.ts';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { useTestTable } from '../support/table.ts';

/**
 * capturePayment with Stripe, a split order (two parcels from two
 * locations): with multicapture each parcel captures its share, the first
 * with final_capture=false; without it, the first parcel captures all the
 * order owes (recorded `ahead`, on the capture and the timeline) and the
 * second has nothing left to capture.
 */
let fake: FakeStripe;
let db: DynamoDBDocumentClient;
let world: ReturnType<typeof fulfillmentWorld>;

beforeAll(async () => {
  fake = await startFakeStripe();
  let tableName: string;
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
  world.deps.providers = { stripe: new StripePaymentProvider({ secretKey: async () => fake.secretKey, baseUrl: fake.url }) };
});
afterAll(async () => {
  await fake.close();
});

async function splitOrder() {
  const { order, parcels } = await world.routedOrder(
    [
      { sku: `SPA-${newId()}`, quantity: 1, at: 'wh-split-a' },
      { sku: `SPB-${newId()}`, quantity: 1, at: 'wh-split-b' },
    ],
    { payment: { state: 'authorized', provider: 'stripe', reference: 'pm_card_visa' }, channel: { channelId: 'web', channelType: 'web', externalOrderId: newId() } },
  );
  expect(parcels).toHaveLength(2);
  const payment = must(await world.fulfillments.payment(order.orderId));
  expect(payment.status).toBe('authorized');
  const ship = async (index: number) => {
    const parcel = must(parcels[index]);
    await applyFulfillmentEvent(world.deps, { fulfillmentId: parcel.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
    return capturePayment(world.deps, { orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })), actor: 'test' });
  };
  return { order, parcels, paymentIntentId: must(payment.authorizationId), total: payment.authorized, ship };
}

describe('capturing a split order with Stripe', () => {
  it('multicapture: one capture per parcel, final_capture=false on the first, true on the last', async () => {
    fake.multicapture = true;
    const { order, paymentIntentId, total, ship } = await splitOrder();
    const first = await ship(0);
    const second = await ship(1);
    expect(must(first.amount) + must(second.amount)).toBe(total);
    const captures = fake.requests.filter((r) => r.path === `/v1/payment_intents/${paymentIntentId}/capture`);
    expect(captures.map((r) => r.params['final_capture'])).toEqual(['false', 'true']);
    expect(captures.map((r) => Number(r.params['amount_to_capture']))).toEqual([first.amount, second.amount]);
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment).toMatchObject({ status: 'captured', captured: total });
    expect(payment.captures.map((c) => c.ahead)).toEqual([undefined, undefined]);
    expect(must(fake.intents.get(paymentIntentId))).toMatchObject({ amountReceived: total, status: 'succeeded' });
  });

  it('no multicapture: the first parcel captures the whole order (ahead recorded and said), the second captures nothing', async () => {
    fake.multicapture = false;
    const { order, paymentIntentId, total, ship } = await splitOrder();
    const first = await ship(0);
    expect(first).toEqual({ outcome: 'captured', amount: total });
    const second = await ship(1);
    expect(second).toEqual({ outcome: 'skipped', reason: 'nothing more to capture' });
    const captures = fake.requests.filter((r) => r.path === `/v1/payment_intents/${paymentIntentId}/capture`);
    expect(captures.map((r) => r.params)).toEqual([{ amount_to_capture: String(total) }]);
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment).toMatchObject({ status: 'captured', captured: total });
    const capture = must(payment.captures[0]);
    expect(capture.amount).toBe(total);
    expect(must(capture.ahead)).toBeGreaterThan(0);
    expect(capture.amount - must(capture.ahead)).toBeLessThan(total);
    const entry = (await world.orders.timeline(order.orderId, { limit: 100 })).items.find((e) => e.type === 'payment_captured');
    expect(entry?.message).toMatch(/ahead for what has not shipped: stripe captures this card only once/);
  });
});
