import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { reserveOrder, type ReservationOutcome } from '#shared/use-cases/reservations.ts';
import { putSkuPolicy } from '#shared/use-cases/inventory.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { inventoryWorld } from '../support/inventory.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * The invariant merchants fear most, proven under concurrency on DynamoDB
 * Local: reserved never exceeds on hand, whatever the interleaving.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof inventoryWorld>;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = inventoryWorld(db, tableName);
  await world.location('wh-a');
  await world.location('wh-b');
});

/** Invariant checks on a SKU after a race: every position sane, and the ledger accounts for every unit. */
async function expectSound(sku: string, onHand: number) {
  const { stock, rebuilt, total } = await world.audit(sku);
  for (const p of stock.positions) {
    expect(p.reserved, `${p.locationId}#${p.shard}`).toBeLessThanOrEqual(p.onHand);
    expect(p.available, `${p.locationId}#${p.shard}`).toBeGreaterThanOrEqual(0);
    expect(p.available).toBe(p.onHand - p.reserved - p.safetyStock);
    expect(rebuilt.get(`${p.locationId}#${p.shard}`)).toEqual({ onHand: p.onHand, reserved: p.reserved, safetyStock: p.safetyStock });
  }
  expect(total.onHand).toBe(onHand);
  return total;
}

async function reservedUnitsOf(orderIds: readonly string[], sku: string): Promise<number[]> {
  const items = await allItems(db, tableName);
  return orderIds.map((orderId) =>
    ((items.find((i) => i['PK'] === `ORDER#${orderId}` && i['SK'] === 'RESERVATION')?.['allocations'] as { sku: string; quantity: number }[] | undefined) ?? [])
      .filter((a) => a.sku === sku)
      .reduce((sum, a) => sum + a.quantity, 0),
  );
}

const summarize = (results: ReservationOutcome[]) =>
  results.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r.outcome]: (counts[r.outcome] ?? 0) + 1 }), {});

describe('no oversell under concurrency', () => {
  it('500 concurrent one-unit orders on 10 units over two locations: exactly 10 reserved, the rest held', async () => {
    await world.receive('RACE-1', 'wh-a', 6);
    await world.receive('RACE-1', 'wh-b', 4);
    const orders = await Promise.all(Array.from({ length: 500 }, () => world.order([{ sku: 'RACE-1', quantity: 1 }])));

    const results = await Promise.all(orders.map((o) => reserveOrder(world.deps, { orderId: o.orderId, actor: 'test' })));

    expect(summarize(results)).toEqual({ reserved: 10, held: 490 });
    const total = await expectSound('RACE-1', 10);
    expect(total.reserved).toBe(10);
    expect(total.available).toBe(0);
    const perOrder = await reservedUnitsOf(orders.map((o) => o.orderId), 'RACE-1');
    expect(perOrder.filter((units) => units === 1)).toHaveLength(10);
    expect(perOrder.every((units) => units <= 1)).toBe(true);
  }, 180_000);

  it('multi-line orders that name the same SKU twice are summed before they are checked', async () => {
    await world.receive('PAIR-A', 'wh-a', 10);
    await world.receive('PAIR-B', 'wh-b', 100);
    // Each order needs 2 × PAIR-A (on two lines) and 1 × PAIR-B: 10 units of PAIR-A serve exactly 5 orders.
    const orders = await Promise.all(
      Array.from({ length: 60 }, () => world.order([{ sku: 'PAIR-A', quantity: 1 }, { sku: 'PAIR-B', quantity: 1 }, { sku: 'PAIR-A', quantity: 1 }])),
    );
    const results = await Promise.all(orders.map((o) => reserveOrder(world.deps, { orderId: o.orderId, actor: 'test' })));
    expect(summarize(results)).toEqual({ reserved: 5, held: 55 });
    expect((await expectSound('PAIR-A', 10)).reserved).toBe(10);
    // Held orders reserve nothing, so PAIR-B stays available to orders that can be served.
    expect((await expectSound('PAIR-B', 100)).reserved).toBe(5);
    const perOrder = await reservedUnitsOf(orders.map((o) => o.orderId), 'PAIR-A');
    expect(perOrder.filter((units) => units === 2)).toHaveLength(5);
    expect(perOrder.filter((units) => units !== 0 && units !== 2)).toEqual([]);
  }, 180_000);

  it('hot-SKU mode (8 shards per location): 500 concurrent orders still reserve exactly 10', async () => {
    await putSkuPolicy({ ...world.deps, locations: world.locations }, { sku: 'HOT-1', input: { shards: 8 }, actor: 'test' });
    await world.receive('HOT-1', 'wh-a', 6);
    await world.receive('HOT-1', 'wh-b', 4);
    const { stock } = await world.audit('HOT-1');
    expect(new Set(stock.positions.map((p) => p.shard)).size).toBeGreaterThan(1);

    const orders = await Promise.all(Array.from({ length: 500 }, () => world.order([{ sku: 'HOT-1', quantity: 1 }])));
    const results = await Promise.all(orders.map((o) => reserveOrder(world.deps, { orderId: o.orderId, actor: 'test' })));
    expect(summarize(results)).toEqual({ reserved: 10, held: 490 });
    expect((await expectSound('HOT-1', 10)).reserved).toBe(10);
  }, 180_000);

  it('every order delivered twice, concurrently: still exactly 10 units reserved, none twice', async () => {
    await world.receive('TWICE-1', 'wh-a', 5);
    await world.receive('TWICE-1', 'wh-b', 5);
    const orders = await Promise.all(Array.from({ length: 200 }, () => world.order([{ sku: 'TWICE-1', quantity: 1 }])));
    await Promise.all(orders.flatMap((o) => [reserveOrder(world.deps, { orderId: o.orderId, actor: 'test' }), reserveOrder(world.deps, { orderId: o.orderId, actor: 'test' })]));
    expect((await expectSound('TWICE-1', 10)).reserved).toBe(10);
    const perOrder = await reservedUnitsOf(orders.map((o) => o.orderId), 'TWICE-1');
    expect(perOrder.filter((units) => units === 1)).toHaveLength(10);
    expect(Math.max(...perOrder)).toBe(1);
    const statuses = await Promise.all(orders.map(async (o) => (await world.orders.get(o.orderId))?.status));
    expect(statuses.filter((s) => s === 'reserved')).toHaveLength(10);
    expect(statuses.filter((s) => s === 'on_hold')).toHaveLength(190);
  }, 180_000);

  it('backorders: with backorders allowed, short orders reserve what there is and wait; nothing exceeds on hand', async () => {
    await putSkuPolicy({ ...world.deps, locations: world.locations, clock: systemClock }, { sku: 'BACK-1', input: { backorder: 'allowed' }, actor: 'test' });
    await world.receive('BACK-1', 'wh-a', 7);
    const orders = await Promise.all(Array.from({ length: 30 }, () => world.order([{ sku: 'BACK-1', quantity: 2 }])));
    const results = await Promise.all(orders.map((o) => reserveOrder(world.deps, { orderId: o.orderId, actor: 'test' })));
    expect(summarize(results)).toEqual({ reserved: 3, backordered: 27 });
    const total = await expectSound('BACK-1', 7);
    expect(total.reserved).toBe(7);
    const partial = (await reservedUnitsOf(orders.map((o) => o.orderId), 'BACK-1')).filter((u) => u === 1);
    expect(partial).toHaveLength(1);
  });
});
