import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '#shared/domain/clock.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { newId } from '#shared/domain/ids.ts';
import { DynamoReconcileRepository } from '#shared/store/reconcile-repository.ts';
import { DynamoInboxRepository } from '#shared/store/inbox-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { captureDelivery } from '#shared/use-cases/capture-delivery.ts';
import type { CaptureDeadLetters } from '#shared/ports.ts';
import { fixture } from '../support/channel-fixtures.ts';
import { createFulfillments } from '#shared/use-cases/fulfillment.ts';
import { issueInvoice } from '#shared/use-cases/invoices.ts';
import { cancelUnpaidOrder, capturePayment, confirmPayment } from '#shared/use-cases/payments.ts';
import { reconcileOrders, type ReconcileDeps, type ReconcileSteps } from '#shared/use-cases/reconcile.ts';
import { reserveOrder, type ReservationDeps } from '#shared/use-cases/reservations.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { useTestTable } from '../support/table.ts';

/** The reconciler against DynamoDB Local: stuck orders driven on once, each recovery on the timeline, a second run changing nothing. */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
/** What reservations need, over the world's locations (the fulfillment world's deps replace the inventory world's). */
let reservation: ReservationDeps;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
  reservation = { orders: world.orders, inventory: world.inventory, activeLocations: world.activeLocations, ruleSetFor: async () => BUILT_IN_RULE_SET, clock: systemClock, unpaidReservationMinutes: 60 };
  await world.location('wh-rec', { capabilities: ['ship'] });
});

/** A web-store order paid by card through the sandbox provider: the OMS authorizes, and captures as parcels ship. */
const cardPaid = () => ({
  channel: { channelId: 'web', channelType: 'web' as const, externalOrderId: newId() },
  payment: { state: 'authorized' as const, provider: 'sandbox', reference: 'pm_card_visa' },
});

const minutesFromNow = (minutes: number): Clock => {
  const at = Date.now() + minutes * 60_000;
  return { now: () => new Date(at) };
};

/** The real steps (the use cases the rules and workflows run), with the calls counted. */
function realSteps(): ReconcileSteps & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) => (...args: A) => ((calls[name] = (calls[name] ?? 0) + 1), fn(...args));
  return {
    calls,
    reserve: count('reserve', (command) => reserveOrder(reservation, command)),
    confirmPayment: count('confirmPayment', (command) => confirmPayment(world.deps, command)),
    cancelUnpaidOrder: count('cancelUnpaidOrder', (command) => cancelUnpaidOrder(world.deps, command)),
    createFulfillments: count('createFulfillments', (command) => createFulfillments(world.deps, command)),
    capturePayment: count('capturePayment', (command) => capturePayment(world.deps, command)),
    issueInvoice: count('issueInvoice', (command) => issueInvoice(world.deps, command)),
    capture: count('capture', (key) => captureDelivery({ inbox: new DynamoInboxRepository(db, tableName), orders: world.orders, clock: systemClock }, key)),
  };
}

function reconcileDeps(clock: Clock, steps: ReconcileSteps, settings: ReconcileDeps['settings'] = {}): ReconcileDeps {
  return {
    orders: world.orders,
    reconcile: new DynamoReconcileRepository(db, tableName),
    invoices: world.invoices,
    ruleSetFor: world.deps.ruleSetFor,
    steps,
    clock,
    settings,
  };
}

async function recoveredEntries(orderId: string) {
  const page = await world.orders.timeline(orderId, { limit: 100 });
  return page.items.filter((entry) => entry.type === 'recovered');
}

describe('reconciler', () => {
  it('reserves, once, an order left received by a failed reservation; a second run changes nothing more', async () => {
    const sku = `REC-${newId()}`;
    await world.receive(sku, 'wh-rec', 5);
    // Captured, but its OrderReceived delivery failed for good: never reserved.
    const order = await world.order([{ sku, quantity: 2 }]);
    const steps = realSteps();
    // Too early: not stuck yet.
    const early = await reconcileOrders(reconcileDeps(minutesFromNow(5), steps));
    expect(early.recovered.filter((r) => r.orderId === order.orderId)).toEqual([]);

    // 20 minutes later (reserved orders get an hour in this test, so the second run sees only what the first did).
    const later = reconcileDeps(minutesFromNow(20), steps, { reservedMinutes: 60 });
    const first = await reconcileOrders(later);
    expect(first.recovered.filter((r) => r.orderId === order.orderId)).toEqual([{ orderId: order.orderId, stuck: 'received', outcome: 'reserved' }]);
    expect(must(await world.orders.get(order.orderId)).status).toBe('reserved');
    expect((await world.inventory.reservation(order.orderId))?.allocations).toEqual([expect.objectContaining({ sku, locationId: 'wh-rec', quantity: 2 })]);
    const entries = await recoveredEntries(order.orderId);
    expect(entries).toEqual([expect.objectContaining({ actor: 'reconciler', data: { stuck: 'received', outcome: 'reserved' } })]);
    expect(entries[0]?.message).toContain('received and not reserved');

    const second = await reconcileOrders(later);
    expect([...second.recovered, ...second.unchanged, ...second.failed].filter((r) => r.orderId === order.orderId)).toEqual([]);
    expect(await recoveredEntries(order.orderId)).toHaveLength(1);
    expect((await world.inventory.stock(sku)).positions).toEqual([expect.objectContaining({ locationId: 'wh-rec', reserved: 2 })]);
  });

  it('hands a reserved order whose fulfillOrder execution failed to its location, once', async () => {
    const sku = `RES-${newId()}`;
    await world.receive(sku, 'wh-rec', 3);
    const order = await world.order([{ sku, quantity: 1 }], cardPaid());
    expect((await reserveOrder(reservation, { orderId: order.orderId, actor: 'test' })).outcome).toBe('reserved');
    const steps = realSteps();
    const later = reconcileDeps(minutesFromNow(20), steps);
    const first = await reconcileOrders(later);
    expect(first.recovered.filter((r) => r.orderId === order.orderId)).toEqual([{ orderId: order.orderId, stuck: 'reserved', outcome: 'fulfillments_created' }]);
    const fulfillments = await world.fulfillments.forOrder(order.orderId);
    expect(fulfillments).toHaveLength(1);
    expect((await world.fulfillments.payment(order.orderId))?.status).toBe('authorized');
    await reconcileOrders(later);
    expect(await world.fulfillments.forOrder(order.orderId)).toHaveLength(1);
    expect(await recoveredEntries(order.orderId)).toEqual([expect.objectContaining({ data: { stuck: 'reserved', outcome: 'fulfillments_created' } })]);
  });

  it('leaves a reserved order held for review alone', async () => {
    const sku = `HLD-${newId()}`;
    await world.receive(sku, 'wh-rec', 3);
    const placed = await world.order([{ sku, quantity: 1 }]);
    await reserveOrder(reservation, { orderId: placed.orderId, actor: 'test' });
    const order = must(await world.orders.get(placed.orderId));
    const held = { ...order, fulfillmentHold: { reason: 'fraud_review' as const, since: new Date().toISOString(), placedBy: { type: 'person' as const, name: 'test' } }, version: order.version + 1 };
    await world.orders.update(held, { previous: order, timeline: [], events: [] });
    const steps = realSteps();
    const report = await reconcileOrders(reconcileDeps(minutesFromNow(20), steps));
    expect([...report.recovered, ...report.unchanged, ...report.failed].filter((r) => r.orderId === order.orderId)).toEqual([]);
    expect(await world.fulfillments.forOrder(order.orderId)).toEqual([]);
  });

  it('captures and invoices, once, a shipment whose completeShipment execution failed; a capture that throws once is recovered by the next run', async () => {
    const { order, parcel } = await world.shippedParcel(cardPaid());
    expect(await world.invoices.forOrder(order.orderId)).toEqual([]);
    const steps = realSteps();
    let outage = true;
    const flaky: ReconcileSteps = {
      ...steps,
      capturePayment: async (command) => {
        if (outage) {
          outage = false;
          throw new Error('payment provider unavailable');
        }
        return steps.capturePayment(command);
      },
    };
    const later = reconcileDeps(minutesFromNow(40), flaky);

    const first = await reconcileOrders(later);
    expect(first.failed.filter((r) => r.orderId === order.orderId)).toEqual([
      { orderId: order.orderId, stuck: 'uninvoiced', shipmentId: parcel.fulfillmentId, outcome: 'failed', error: 'payment provider unavailable' },
    ]);
    expect(await world.invoices.forOrder(order.orderId)).toEqual([]);
    expect(await recoveredEntries(order.orderId)).toEqual([]);

    const second = await reconcileOrders(later);
    expect(second.recovered.filter((r) => r.orderId === order.orderId)).toEqual([
      { orderId: order.orderId, stuck: 'uninvoiced', shipmentId: parcel.fulfillmentId, outcome: 'capture_captured:invoice_issued' },
    ]);
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment.captures).toEqual([expect.objectContaining({ shipmentId: parcel.fulfillmentId })]);
    expect(payment.status).toBe('captured');
    expect(await world.invoices.forOrder(order.orderId)).toHaveLength(1);

    const third = await reconcileOrders(later);
    expect([...third.recovered, ...third.unchanged, ...third.failed].filter((r) => r.orderId === order.orderId)).toEqual([]);
    expect(await world.invoices.forOrder(order.orderId)).toHaveLength(1);
    expect(must(await world.fulfillments.payment(order.orderId)).captures).toHaveLength(1);
    expect(await recoveredEntries(order.orderId)).toEqual([expect.objectContaining({ data: { stuck: 'uninvoiced', outcome: 'capture_captured:invoice_issued', shipmentId: parcel.fulfillmentId } })]);
  });

  it('finds shipments by the hour they shipped, within the window only', async () => {
    const { order, parcel } = await world.shippedParcel();
    const repository = new DynamoReconcileRepository(db, tableName);
    const shippedAt = must(parcel.shippedAt);
    const around = await repository.shippedBetween(new Date(Date.parse(shippedAt) - 3 * 3_600_000).toISOString(), new Date(Date.parse(shippedAt) + 1000).toISOString());
    expect(around).toContainEqual(expect.objectContaining({ orderId: order.orderId, shipmentId: parcel.fulfillmentId, shippedAt }));
    const before = await repository.shippedBetween(new Date(Date.parse(shippedAt) - 3 * 3_600_000).toISOString(), new Date(Date.parse(shippedAt) - 1000).toISOString());
    expect(before.filter((s) => s.orderId === order.orderId)).toEqual([]);
  });
});

/** A dead-letter queue double with SQS's receive/hide/delete semantics (the SQS adapter itself: test/e2e/failed-invocations.test.ts). */
class DeadLetterQueue implements CaptureDeadLetters {
  readonly messages = new Map<string, { body: string; hiddenUntil: number }>();
  #next = 0;
  send(body: string): void {
    this.messages.set(`r-${this.#next++}`, { body, hiddenUntil: 0 });
  }
  async receive(max: number, hideSeconds: number) {
    const now = Date.now();
    const visible = [...this.messages].filter(([, m]) => m.hiddenUntil <= now).slice(0, max);
    for (const [, m] of visible) m.hiddenUntil = now + hideSeconds * 1000;
    return visible.map(([receipt, m]) => ({ receipt, body: m.body }));
  }
  async remove(receipt: string) {
    this.messages.delete(receipt);
  }
  reveal(): void {
    for (const m of this.messages.values()) m.hiddenUntil = 0;
  }
}

describe('a channel delivery acknowledged but never captured (its capture dead-lettered)', () => {
  it('is captured by the reconciler, once, with the recovery on the new order; a delivery captured before it dead-lettered is only removed; a broken message stays', async () => {
    const inbox = new DynamoInboxRepository(db, tableName);
    const shopify = fixture<Record<string, unknown>>('shopify-orders-create.json');
    const deliver = async (externalId: number) => {
      const deliveryId = `dl-${newId()}`;
      await inbox.put({
        channelId: 'shopify-dlq',
        channelType: 'shopify',
        deliveryId,
        via: 'webhook',
        topic: 'orders/create',
        receivedAt: new Date().toISOString(),
        headers: {},
        contentType: 'application/json',
        body: JSON.stringify({ ...shopify, id: externalId, admin_graphql_api_id: `gid://shopify/Order/${externalId}` }),
      });
      return { deliveryId, key: keys.inboxDelivery('shopify-dlq', deliveryId) };
    };
    const lost = await deliver(Date.now());
    const capturedBefore = await deliver(Date.now() + 1);
    const steps = realSteps();
    // The second was captured before its message dead-lettered (the failure came after the write).
    const earlier = await steps.capture(capturedBefore.key);
    expect(earlier.outcome).toBe('created');

    const queue = new DeadLetterQueue();
    queue.send(JSON.stringify(lost.key));
    queue.send(JSON.stringify(capturedBefore.key));
    queue.send('not a key');
    const deps = { ...reconcileDeps(systemClock, steps), deadLetters: queue };
    const first = await reconcileOrders(deps);
    expect(first.examined.deadLetters).toBe(3);
    const recovered = first.recovered.filter((r) => r.stuck === 'uncaptured');
    expect(recovered).toEqual([expect.objectContaining({ stuck: 'uncaptured', outcome: 'created', deliveryId: lost.deliveryId })]);
    const orderId = must(recovered[0]).orderId;
    expect(must(await world.orders.get(orderId)).channel).toEqual(expect.objectContaining({ channelId: 'shopify-dlq' }));
    expect(await recoveredEntries(orderId)).toEqual([
      expect.objectContaining({ actor: 'reconciler', data: { stuck: 'uncaptured', outcome: 'created', deliveryId: lost.deliveryId } }),
    ]);
    expect(first.unchanged.filter((r) => r.stuck === 'uncaptured')).toEqual([expect.objectContaining({ orderId: earlier.orderId, outcome: 'duplicate' })]);
    expect(first.failed.filter((r) => r.stuck === 'uncaptured')).toEqual([expect.objectContaining({ error: expect.stringContaining('not a key') })]);
    // Captured and removed; the broken message stays in the queue (alarmed) for a person.
    expect([...queue.messages.values()].map((m) => m.body)).toEqual(['not a key']);

    // The next run: nothing captured twice.
    queue.reveal();
    const second = await reconcileOrders(deps);
    expect(second.recovered.filter((r) => r.stuck === 'uncaptured')).toEqual([]);
    expect(await recoveredEntries(orderId)).toHaveLength(1);
    expect(steps.calls['capture']).toBe(3);
  });
});
