import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import type { Order, OrderDraft } from '#shared/domain/order.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoOrderHoldRepository } from '#shared/store/order-hold-repository.ts';
import { table } from '#shared/store/table.ts';
import { captureOrder } from '#shared/use-cases/capture-order.ts';
import { holdOrder, releaseDueHolds, type HoldDeps } from '#shared/use-cases/holds.ts';
import { cancelOrderLines, type OrderChangeDeps } from '#shared/use-cases/order-changes.ts';
import { cancelOrder, reserveOrder, type ReservationDeps } from '#shared/use-cases/reservations.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * Cancelling a held order ends its hold in the cancellation's transaction:
 * the header's `fulfillmentHold` and its release date (SK HOLDUNTIL, GSI2
 * HOLDUNTIL#<hour>) go, so the 5-minute sweep never releases a cancelled
 * order nor publishes OrderReleased for it — whichever way it is cancelled.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
let holdDeps: HoldDeps;
let reserveDeps: ReservationDeps;
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName, clock);
  reserveDeps = { ...world.deps, unpaidReservationMinutes: 60 };
  holdDeps = { orders: world.orders, holds: new DynamoOrderHoldRepository(db, tableName), fulfillments: world.fulfillments, clock };
  await world.location('wh-cancel-holds', { capabilities: ['ship', 'pickup'] });
});

/** A reserved order held by a person until an hour from now (its release date filed in GSI2). */
async function heldOrder(): Promise<{ order: Order; until: string }> {
  const sku = `CH-${newId()}`;
  await world.receive(sku, 'wh-cancel-holds', 5);
  const placed = await world.order([{ sku, quantity: 2 }]);
  expect((await reserveOrder(reserveDeps, { orderId: placed.orderId, actor: 'test' })).outcome).toBe('reserved');
  const until = new Date(clock.now().getTime() + 3_600_000).toISOString();
  await holdOrder(holdDeps, { orderId: placed.orderId, input: { reason: 'fraud_review', by: 'Ana', until } });
  expect(await releaseDate(placed.orderId)).toMatchObject({ ...keys.holdReleaseDue(until, placed.orderId), until });
  return { order: must(await world.orders.get(placed.orderId)), until };
}

const releaseDate = async (orderId: string) => (await allItems(db, tableName)).find((i) => i['PK'] === keys.holdRelease(orderId).PK && i['SK'] === keys.holdRelease(orderId).SK);
const released = async (orderId: string) => (await allItems(db, tableName)).filter((i) => i['entity'] === 'OutboxEvent' && i['detailType'] === 'OrderReleased' && String(i['detail']).includes(orderId));

/** The sweep two hours later, when the hold's `until` has passed. */
async function sweepLater(): Promise<string[]> {
  offsetMs = 2 * 3_600_000;
  try {
    return (await releaseDueHolds(holdDeps)).released;
  } finally {
    offsetMs = 0;
  }
}

async function expectHoldGone(orderId: string, until: string) {
  const order = must(await world.orders.get(orderId));
  expect(order.status).toBe('cancelled');
  expect(order.fulfillmentHold).toBeUndefined();
  expect(await releaseDate(orderId)).toBeUndefined();
  const cancelled = (await world.orders.timeline(orderId, { limit: 100 })).items.find((e) => e.type === 'cancelled');
  expect(cancelled?.message).toContain(`The fraud_review hold (since`);
  expect(cancelled?.message).toContain(`due for release at ${until}) ends with it.`);
  expect(await sweepLater()).not.toContain(orderId);
  expect(await released(orderId)).toEqual([]);
  expect(must(await world.orders.get(orderId)).status).toBe('cancelled');
}

describe('cancelling a held order', () => {
  it('by operations (POST /v1/orders/{id}/cancel) clears the hold and its release date in the same transaction; the sweep releases nothing', async () => {
    const { order, until } = await heldOrder();
    await cancelOrder(world.deps, { orderId: order.orderId, reason: 'fraud confirmed', actor: 'test' });
    await expectHoldGone(order.orderId, until);
  });

  it('by cancelling every unit (order changes) clears them the same way', async () => {
    const { order, until } = await heldOrder();
    const deps: OrderChangeDeps = { ...world.deps, inventory: world.inventory };
    await cancelOrderLines(deps, { orderId: order.orderId, reason: 'customer changed their mind', lines: [{ sku: must(order.lines[0]).sku, quantity: 2 }], actor: 'test' });
    await expectHoldGone(order.orderId, until);
  });

  it('at the channel (a cancelled delivery of the channel order) clears them the same way', async () => {
    const { order, until } = await heldOrder();
    const { orderId: _id, version: _v, createdAt: _c, updatedAt: _u, status: _s, fulfillmentHold: _h, ...draft } = order;
    const later = new Date(Date.parse(order.channelUpdatedAt) + 1000).toISOString();
    const cancelledDraft: OrderDraft = { ...draft, channelState: 'cancelled', channelUpdatedAt: later };
    const result = await captureOrder(
      { orders: world.orders, clock },
      { draft: cancelledDraft, source: { deliveryId: newId(), via: 'api', receivedAt: later, headers: {}, contentType: 'application/json', body: '{}' }, actor: 'channel:test' },
    );
    expect(result.outcome).toBe('updated');
    await expectHoldGone(order.orderId, until);
  });
});

describe('the hold sweep', () => {
  it('drops a release date left on an order cancelled before cancellations cleared them, without releasing it', async () => {
    const { order, until } = await heldOrder();
    await cancelOrder(world.deps, { orderId: order.orderId, reason: 'fraud confirmed', actor: 'test' });
    // As a cancellation before this fix left it: the date still filed under its hour.
    await db.send(new PutCommand({ TableName: tableName, Item: { ...keys.holdRelease(order.orderId), ...keys.holdReleaseDue(until, order.orderId), [table.entityAttribute]: 'HoldReleaseDate', orderId: order.orderId, until } }));
    const orderBefore = must(await world.orders.get(order.orderId));
    expect(await sweepLater()).not.toContain(order.orderId);
    expect(await releaseDate(order.orderId)).toBeUndefined();
    expect(await released(order.orderId)).toEqual([]);
    expect(await world.orders.get(order.orderId)).toEqual(orderBefore);
  });
});
