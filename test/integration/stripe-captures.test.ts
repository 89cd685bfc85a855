import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StripePaymentProvider } from '#shared/adapters/stripe-payments.ts';
import { newId } from '#shared/domain/ids.ts';
import { applyFulfillmentEvent } from '#shared/use-cases/fulfillment.ts';
import { capturePayment } from '#shared/use-cases/payments.ts';
import { cancelOrderLines, refundOrderChange } from '#shared/use-cases/order-changes.ts';
import { issueRefund } from '#shared/use-cases/refunds.ts';
import { DynamoRefundRepository } from '#shared/store/refund-repository.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { systemClock } from '#shared/domain/clock.ts';
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
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;

beforeAll(async () => {
  fake = await startFakeStripe();
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

  it('no multicapture: units cancelled after the first parcel captured the whole order are refunded through Stripe, exactly what was captured beyond the new total', async () => {
    fake.multicapture = false;
    const { order, parcels, paymentIntentId, total, ship } = await splitOrder();
    await ship(0);
    const second = must(parcels[1]);
    const changeDeps = { ...world.deps, inventory: world.inventory, random: () => 0 };
    const { order: after, change } = await cancelOrderLines(changeDeps, { orderId: order.orderId, reason: 'customer changed mind', lines: second.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })), actor: 'api' });
    const changeSet = must(change);
    expect(changeSet.money).toMatchObject({ mode: 'provider', action: 'captures_follow_lines' });
    expect(changeSet.money.difference).toBeLessThan(0);
    const refundDeps = { orders: world.orders, fulfillments: world.fulfillments, refunds: new DynamoRefundRepository(db, tableName), invoices: world.invoices, providers: world.deps.providers, ruleSetFor: async () => BUILT_IN_RULE_SET, clock: systemClock };
    const refunded = await refundOrderChange(
      { issueRefund: (command) => issueRefund(refundDeps, command), payment: (orderId) => world.fulfillments.payment(orderId) },
      { orderId: order.orderId, change: changeSet, actor: 'orders' },
    );
    const excess = total - changeSet.money.after;
    expect(excess).toBeGreaterThan(0);
    expect(refunded).toMatchObject({ outcome: 'recorded', status: 'refunded', amount: excess });
    expect(fake.requests.filter((r) => r.path === '/v1/refunds').map((r) => ({ payment_intent: r.params['payment_intent'], amount: Number(r.params['amount']) }))).toContainEqual({ payment_intent: paymentIntentId, amount: excess });
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment.captured - (payment.refunded ?? 0)).toBe(changeSet.money.after);
    expect(after.status).not.toBe('cancelled');
    // The same change again (a redelivered event) refunds nothing more.
    await refundOrderChange({ issueRefund: (command) => issueRefund(refundDeps, command), payment: (orderId) => world.fulfillments.payment(orderId) }, { orderId: order.orderId, change: changeSet, actor: 'orders' });
    expect(fake.requests.filter((r) => r.path === '/v1/refunds' && r.params['payment_intent'] === paymentIntentId)).toHaveLength(1);
  });
});
