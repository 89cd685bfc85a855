import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, systemClock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import type { MovementInput } from '#shared/domain/inventory.ts';
import { applyMovements, getSkuInventory, listLocationStock, listSkuMovements, putSkuPolicy } from '#shared/use-cases/inventory.ts';
import { MAX_POSITIONS_PER_ORDER, cancelOrder, recordShipment, releaseOrder, reserveOrder, reserveWaitingOrders, sweepLapsedReservations } from '#shared/use-cases/reservations.ts';
import { inventoryWorld } from '../support/inventory.ts';
import { allItems, useTestTable } from '../support/table.ts';

let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof inventoryWorld>;
const deps = () => ({ inventory: world.inventory, locations: world.locations, clock: systemClock });
const move = (...movements: MovementInput[]) => applyMovements(deps(), { movements, actor: 'test' });

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = inventoryWorld(db, tableName);
  await world.location('wh-a');
  await world.location('wh-b');
  await world.location('store-c', { type: 'store', capabilities: ['pickup'] });
});

describe('stock movements', () => {
  it('apply receipts, adjustments, transfers, counts, safety stock and write-offs — and the ledger rebuilds every position', async () => {
    const results = await move(
      { type: 'receipt', movementId: 'm1', sku: 'LEDGER-1', locationId: 'wh-a', quantity: 50, reference: 'PO-1' },
      { type: 'receipt', movementId: 'm2', sku: 'LEDGER-1', locationId: 'wh-b', quantity: 20 },
      { type: 'adjustment', movementId: 'm3', sku: 'LEDGER-1', locationId: 'wh-a', quantity: -3, reason: 'damaged in handling' },
      { type: 'transfer', movementId: 'm4', sku: 'LEDGER-1', fromLocationId: 'wh-a', toLocationId: 'wh-b', quantity: 7 },
      { type: 'cycle_count', movementId: 'm5', sku: 'LEDGER-1', locationId: 'wh-b', onHand: 25 },
      { type: 'safety_stock', movementId: 'm6', sku: 'LEDGER-1', locationId: 'wh-a', safetyStock: 5 },
      { type: 'write_off', movementId: 'm7', sku: 'LEDGER-1', locationId: 'wh-a', quantity: 2, reason: 'expired' },
      { type: 'return_restock', movementId: 'm8', sku: 'LEDGER-1', locationId: 'wh-b', quantity: 1, reference: 'RMA-9' },
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('applied'));
    const inventory = await getSkuInventory(world, 'LEDGER-1');
    expect(inventory.locations).toEqual([
      { locationId: 'wh-a', onHand: 38, reserved: 0, safetyStock: 5, available: 33 },
      { locationId: 'wh-b', onHand: 26, reserved: 0, safetyStock: 0, available: 26 },
    ]);
    expect(inventory.total).toEqual({ onHand: 64, reserved: 0, safetyStock: 5, available: 59 });
    const { stock, rebuilt } = await world.audit('LEDGER-1');
    for (const p of stock.positions) expect(rebuilt.get(`${p.locationId}#${p.shard}`)).toEqual({ onHand: p.onHand, reserved: p.reserved, safetyStock: p.safetyStock });
  });

  it('apply each movement id once, and refuse what cannot be true', async () => {
    await move({ type: 'receipt', movementId: 'once-1', sku: 'ONCE-1', locationId: 'wh-a', quantity: 5 });
    const again = await move({ type: 'receipt', movementId: 'once-1', sku: 'ONCE-1', locationId: 'wh-a', quantity: 5 });
    expect(again).toEqual([{ movementId: 'once-1', status: 'duplicate', sku: 'ONCE-1' }]);
    const refused = await move(
      { type: 'write_off', movementId: 'too-much', sku: 'ONCE-1', locationId: 'wh-a', quantity: 6, reason: 'x' },
      { type: 'receipt', movementId: 'nowhere', sku: 'ONCE-1', locationId: 'atlantis', quantity: 1 },
      { type: 'transfer', movementId: 'same', sku: 'ONCE-1', fromLocationId: 'wh-a', toLocationId: 'wh-a', quantity: 1 },
    );
    expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((await getSkuInventory(world, 'ONCE-1')).total.onHand).toBe(5);
  });

  it('applies concurrent counts and receipts without losing any (each count is recomputed on fresh stock)', async () => {
    await move({ type: 'receipt', movementId: newId(), sku: 'COUNT-1', locationId: 'wh-a', quantity: 10 });
    await Promise.all([
      ...Array.from({ length: 10 }, () => move({ type: 'receipt', movementId: newId(), sku: 'COUNT-1', locationId: 'wh-b', quantity: 1 })),
      move({ type: 'cycle_count', movementId: newId(), sku: 'COUNT-1', locationId: 'wh-a', onHand: 4 }),
    ]);
    expect((await getSkuInventory(world, 'COUNT-1')).locations.map((l) => l.onHand)).toEqual([4, 10]);
  });

  it('lists a location\'s stock, low stock only, and a SKU\'s movements newest first', async () => {
    await putSkuPolicy(deps(), { sku: 'LEDGER-1', input: { reorderPoint: 30 }, actor: 'test' });
    const low = await listLocationStock(deps(), { locationId: 'wh-b', lowStock: true, limit: 100 });
    expect(low.items.map((i) => i.sku)).toContain('LEDGER-1');
    const all = await listLocationStock(deps(), { locationId: 'wh-a', limit: 100 });
    expect(all.items.find((i) => i.sku === 'LEDGER-1')).toMatchObject({ onHand: 38, available: 33 });
    const movements = await listSkuMovements(deps(), 'LEDGER-1', { limit: 3 });
    expect(movements.items.map((m) => m.type)).toEqual(['return_restock', 'write_off', 'safety_stock']);
    const next = await listSkuMovements(deps(), 'LEDGER-1', { limit: 100, cursor: movements.nextCursor });
    expect(next.items.map((m) => m.type)).toEqual(['cycle_count', 'transfer_in', 'transfer_out', 'adjustment', 'receipt', 'receipt']);
  });
});

describe('hot-SKU mode', () => {
  it('switches on and off without changing any total, even with reservations outstanding', async () => {
    await move({ type: 'receipt', movementId: newId(), sku: 'FLASH-1', locationId: 'wh-a', quantity: 100 });
    const order = await world.order([{ sku: 'FLASH-1', quantity: 3 }]);
    await reserveOrder(world.deps, { orderId: order.orderId, actor: 'test' });

    await putSkuPolicy(deps(), { sku: 'FLASH-1', input: { shards: 8 }, actor: 'test' });
    let audit = await world.audit('FLASH-1');
    expect(new Set(audit.stock.positions.map((p) => p.shard)).size).toBe(8);
    expect(audit.total).toMatchObject({ onHand: 100, reserved: 3, available: 97 });
    const orders = await Promise.all(Array.from({ length: 20 }, () => world.order([{ sku: 'FLASH-1', quantity: 2 }])));
    await Promise.all(orders.map((o) => reserveOrder(world.deps, { orderId: o.orderId, actor: 'test' })));

    await putSkuPolicy(deps(), { sku: 'FLASH-1', input: { shards: 1 }, actor: 'test' });
    audit = await world.audit('FLASH-1');
    expect(audit.total).toMatchObject({ onHand: 100, reserved: 43, available: 57 });
    expect(audit.stock.positions.filter((p) => p.shard > 0).every((p) => p.onHand === 0 && p.reserved === 0)).toBe(true);
    for (const p of audit.stock.positions) expect(audit.rebuilt.get(`${p.locationId}#${p.shard}`)).toMatchObject({ onHand: p.onHand, reserved: p.reserved });

    // Units reserved on a shard that was merged are still released correctly.
    await cancelOrder(world.deps, { orderId: orders[0]?.orderId ?? '', reason: 'test', actor: 'test' });
    await releaseOrder(world.deps, { orderId: orders[0]?.orderId ?? '', reason: 'cancelled', actor: 'test' });
    expect((await world.audit('FLASH-1')).total).toMatchObject({ onHand: 100, reserved: 41 });
  });
});

describe('the reservation lifecycle', () => {
  it('reserves, then sells on shipment (on hand and reserved both drop; available does not move)', async () => {
    await move({ type: 'receipt', movementId: newId(), sku: 'LIFE-1', locationId: 'wh-a', quantity: 10 });
    const order = await world.order([{ sku: 'LIFE-1', quantity: 4 }]);
    expect((await reserveOrder(world.deps, { orderId: order.orderId, actor: 'test' })).outcome).toBe('reserved');
    expect(await recordShipment(world.deps, { orderId: order.orderId, locationId: 'wh-a', lines: [{ sku: 'LIFE-1', quantity: 1 }], actor: 'test' })).toMatchObject({ orderStatus: 'partially_shipped' });
    expect((await getSkuInventory(world, 'LIFE-1')).total).toMatchObject({ onHand: 9, reserved: 3, available: 6 });
    await expect(recordShipment(world.deps, { orderId: order.orderId, locationId: 'wh-a', lines: [{ sku: 'LIFE-1', quantity: 4 }], actor: 'test' })).rejects.toThrow(/reserved/);
    expect(await recordShipment(world.deps, { orderId: order.orderId, locationId: 'wh-a', lines: [{ sku: 'LIFE-1', quantity: 3 }], actor: 'test' })).toMatchObject({ orderStatus: 'shipped' });
    expect((await world.orders.get(order.orderId))?.status).toBe('shipped');
    expect((await world.inventory.reservation(order.orderId))?.status).toBe('sold');
    const { rebuilt, stock } = await world.audit('LIFE-1');
    expect(rebuilt.get('wh-a#0')).toEqual({ onHand: stock.positions[0]?.onHand, reserved: 0, safetyStock: 0 });
    await expect(cancelOrder(world.deps, { orderId: order.orderId, reason: 'too late', actor: 'test' })).rejects.toThrow(/shipped/);
  });

  it('releases on cancellation', async () => {
    await move({ type: 'receipt', movementId: newId(), sku: 'LIFE-2', locationId: 'wh-b', quantity: 5 });
    const order = await world.order([{ sku: 'LIFE-2', quantity: 5 }]);
    await reserveOrder(world.deps, { orderId: order.orderId, actor: 'test' });
    await cancelOrder(world.deps, { orderId: order.orderId, reason: 'customer changed their mind', actor: 'test' });
    expect(await releaseOrder(world.deps, { orderId: order.orderId, reason: 'cancelled', actor: 'test' })).toMatchObject({ outcome: 'released' });
    expect(await releaseOrder(world.deps, { orderId: order.orderId, reason: 'cancelled', actor: 'test' })).toMatchObject({ outcome: 'skipped' });
    expect((await getSkuInventory(world, 'LIFE-2')).total).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
  });

  it('reserves, sells and releases an order at the size limit in one transaction each, and holds a larger one for a person', async () => {
    const skus = Array.from({ length: MAX_POSITIONS_PER_ORDER + 1 }, (_, i) => `BIG-${String(i).padStart(2, '0')}`);
    await move(...skus.map((sku): MovementInput => ({ type: 'receipt', movementId: newId(), sku, locationId: 'wh-a', quantity: 3 })));
    const atLimit = () => world.order(skus.slice(0, MAX_POSITIONS_PER_ORDER).map((sku) => ({ sku, quantity: 1 })));
    const shipped = await atLimit();
    expect((await reserveOrder(world.deps, { orderId: shipped.orderId, actor: 'test' })).outcome).toBe('reserved');
    const lines = skus.slice(0, MAX_POSITIONS_PER_ORDER).map((sku) => ({ sku, quantity: 1 }));
    expect(await recordShipment(world.deps, { orderId: shipped.orderId, locationId: 'wh-a', lines, actor: 'test' })).toMatchObject({ orderStatus: 'shipped' });
    const cancelled = await atLimit();
    expect((await reserveOrder(world.deps, { orderId: cancelled.orderId, actor: 'test' })).outcome).toBe('reserved');
    await cancelOrder(world.deps, { orderId: cancelled.orderId, reason: 'not wanted', actor: 'test' });
    expect(await releaseOrder(world.deps, { orderId: cancelled.orderId, reason: 'cancelled', actor: 'test' })).toMatchObject({ outcome: 'released' });
    expect((await getSkuInventory(world, 'BIG-00')).total).toMatchObject({ onHand: 2, reserved: 0, available: 2 });

    const tooLarge = await world.order(skus.map((sku) => ({ sku, quantity: 1 })));
    expect(await reserveOrder(world.deps, { orderId: tooLarge.orderId, actor: 'test' })).toMatchObject({ outcome: 'held', allocations: [] });
    expect(await world.orders.get(tooLarge.orderId)).toMatchObject({ status: 'on_hold', hold: { reason: 'too_large' } });
    expect(await world.inventory.reservation(tooLarge.orderId)).toBeUndefined();
    expect((await world.orders.timeline(tooLarge.orderId, { limit: 10 })).items.at(-1)?.message).toMatch(/needs 41 stock positions; one reservation holds at most 40/);
    // A held order is left to a person: later events do not reserve it.
    expect(await reserveOrder(world.deps, { orderId: tooLarge.orderId, actor: 'test' })).toMatchObject({ outcome: 'skipped' });
    for (const sku of skus.slice(0, 3)) expect((await getSkuInventory(world, sku)).total).toMatchObject({ reserved: 0 });
  });

  it('serves backordered and held orders oldest first when stock arrives', async () => {
    await putSkuPolicy(deps(), { sku: 'WAIT-B', input: { backorder: 'allowed' }, actor: 'test' });
    await move({ type: 'receipt', movementId: newId(), sku: 'WAIT-B', locationId: 'wh-a', quantity: 1 });
    const first = await world.order([{ sku: 'WAIT-B', quantity: 3 }], { channelCreatedAt: '2026-11-01T00:00:00.000Z' });
    const second = await world.order([{ sku: 'WAIT-B', quantity: 2 }], { channelCreatedAt: '2026-11-02T00:00:00.000Z' });
    const held = await world.order([{ sku: 'WAIT-H', quantity: 1 }]);
    expect((await reserveOrder(world.deps, { orderId: first.orderId, actor: 'test' })).outcome).toBe('backordered');
    expect((await reserveOrder(world.deps, { orderId: second.orderId, actor: 'test' })).outcome).toBe('backordered');
    expect((await reserveOrder(world.deps, { orderId: held.orderId, actor: 'test' })).outcome).toBe('held');

    await move({ type: 'receipt', movementId: newId(), sku: 'WAIT-B', locationId: 'wh-b', quantity: 3 });
    expect(await reserveWaitingOrders(world.deps, { sku: 'WAIT-B', actor: 'test' })).toMatchObject({ served: [first.orderId, second.orderId] });
    expect((await world.orders.get(first.orderId))?.status).toBe('reserved');
    expect((await world.inventory.reservation(second.orderId))).toMatchObject({ backordered: [{ sku: 'WAIT-B', quantity: 1 }] });
    expect(await world.inventory.waitingOrders('WAIT-B', 10)).toEqual([{ orderId: second.orderId, placedAt: '2026-11-02T00:00:00.000Z' }]);

    await move({ type: 'receipt', movementId: newId(), sku: 'WAIT-H', locationId: 'wh-b', quantity: 1 });
    await reserveWaitingOrders(world.deps, { sku: 'WAIT-H', actor: 'test' });
    expect(await world.orders.get(held.orderId)).toMatchObject({ status: 'reserved' });
    expect((await world.orders.get(held.orderId))?.hold).toBeUndefined();
  });

  it('reserves pickup orders only at their store', async () => {
    await move({ type: 'receipt', movementId: newId(), sku: 'PICK-1', locationId: 'wh-a', quantity: 10 });
    const pickup = await world.order([{ sku: 'PICK-1', quantity: 1 }], { fulfillment: { type: 'pickup', locationId: 'store-c', fulfilledBy: 'merchant' } });
    expect((await reserveOrder(world.deps, { orderId: pickup.orderId, actor: 'test' })).outcome).toBe('held');
    await move({ type: 'receipt', movementId: newId(), sku: 'PICK-1', locationId: 'store-c', quantity: 1 });
    await reserveWaitingOrders(world.deps, { sku: 'PICK-1', actor: 'test' });
    expect((await world.inventory.reservation(pickup.orderId))?.allocations).toEqual([{ sku: 'PICK-1', locationId: 'store-c', shard: 0, quantity: 1 }]);
  });

  it('lets an unpaid order\'s reservation lapse, and keeps a paid one', async () => {
    await move({ type: 'receipt', movementId: newId(), sku: 'UNPAID-1', locationId: 'wh-a', quantity: 4 });
    const unpaid = await world.order([{ sku: 'UNPAID-1', quantity: 2 }], { payment: { state: 'pending' } });
    const paidLater = await world.order([{ sku: 'UNPAID-1', quantity: 1 }], { payment: { state: 'pending' } });
    const quick = { ...world.deps, unpaidReservationMinutes: 1 };
    await reserveOrder(quick, { orderId: unpaid.orderId, actor: 'test' });
    await reserveOrder(quick, { orderId: paidLater.orderId, actor: 'test' });
    const paid = await world.orders.get(paidLater.orderId);
    if (!paid) throw new Error('order missing');
    await world.orders.update({ ...paid, payment: { state: 'paid' }, version: paid.version + 1 }, { previous: paid, timeline: [], events: [] });

    const inTwoMinutes = fixedClock(new Date(Date.now() + 2 * 60_000));
    expect(await sweepLapsedReservations({ ...world.deps, clock: inTwoMinutes })).toEqual({ released: 1, kept: 1 });
    expect(await world.orders.get(unpaid.orderId)).toMatchObject({ status: 'on_hold', hold: { reason: 'payment_pending' } });
    expect((await getSkuInventory(world, 'UNPAID-1')).total).toMatchObject({ reserved: 1, available: 3 });
    expect((await world.inventory.reservation(paidLater.orderId))?.paymentDueBy).toBeUndefined();
    expect(await sweepLapsedReservations({ ...world.deps, clock: inTwoMinutes })).toEqual({ released: 0, kept: 0 });
  });

  it('writes every reservation with its ledger entries, order status, timeline and event in one transaction', async () => {
    await move({ type: 'receipt', movementId: newId(), sku: 'ATOMIC-1', locationId: 'wh-a', quantity: 2 });
    const order = await world.order([{ sku: 'ATOMIC-1', quantity: 2 }]);
    await reserveOrder(world.deps, { orderId: order.orderId, actor: 'test' });
    const items = await allItems(db, tableName);
    expect(items.filter((i) => i['entity'] === 'StockMovement' && i['reference'] === order.orderId)).toHaveLength(1);
    expect(items.filter((i) => i['entity'] === 'TimelineEntry' && i['PK'] === `ORDER#${order.orderId}`).map((i) => i['type'])).toEqual(['stock_reserved']);
    expect(items.filter((i) => i['entity'] === 'OutboxEvent' && String(i['detail']).includes(order.orderId)).map((i) => i['detailType'])).toEqual(['StockReserved']);
  });
});
