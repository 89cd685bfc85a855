import { describe, expect, it } from 'vitest';
import { changesFor, rebuild, spread, total, type PositionChange, type StockPosition } from '#shared/domain/inventory.ts';
import { allocateShipments, mergeAllocations, needs } from '#shared/domain/reservation.ts';
import { rebalanceChanges } from '#shared/use-cases/inventory.ts';
import { availabilityChange } from '#shared/use-cases/availability.ts';

const at = '2026-11-27T10:00:00.000Z';
const position = (locationId: string, shard: number, onHand: number, reserved = 0, safetyStock = 0): StockPosition => ({
  sku: 'SKU-1',
  locationId,
  shard,
  onHand,
  reserved,
  safetyStock,
  available: onHand - reserved - safetyStock,
  updatedAt: at,
});

/** Applies changes to positions as the store would (conditions aside). */
function apply(positions: StockPosition[], changes: PositionChange[]): StockPosition[] {
  const result = positions.map((p) => ({ ...p }));
  for (const c of changes) {
    let p = result.find((q) => q.locationId === c.locationId && q.shard === c.shard);
    if (!p) result.push((p = position(c.locationId, c.shard, 0)));
    p.onHand += c.onHandDelta;
    p.reserved += c.reservedDelta;
    p.safetyStock += c.safetyStockDelta;
    p.available = p.onHand - p.reserved - p.safetyStock;
  }
  return result;
}

describe('spread', () => {
  it('splits evenly, the first shards taking the remainder', () => {
    expect(spread(10, 4)).toEqual([3, 3, 2, 2]);
    expect(spread(3, 8)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
    expect(spread(7, 1)).toEqual([7]);
  });
});

describe('changesFor', () => {
  it('spreads receipts over the shards of a hot SKU', () => {
    expect(changesFor({ type: 'receipt', movementId: 'm', sku: 'SKU-1', locationId: 'wh', quantity: 9 }, [], 4).map((c) => [c.shard, c.onHandDelta])).toEqual([
      [0, 3],
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
  });

  it('turns a count into the difference, guarded by the values it was computed from', () => {
    const positions = [position('wh', 0, 10), position('wh', 1, 5)];
    const up = changesFor({ type: 'cycle_count', movementId: 'm', sku: 'SKU-1', locationId: 'wh', onHand: 20 }, positions, 2);
    expect(up).toEqual([expect.objectContaining({ shard: 0, onHandDelta: 5, requires: { onHandEquals: 10 } })]);
    const down = changesFor({ type: 'cycle_count', movementId: 'm', sku: 'SKU-1', locationId: 'wh', onHand: 3 }, positions, 2);
    expect(total(apply(positions, down)).onHand).toBe(3);
    expect(down.every((c) => c.requires.onHandEquals !== undefined)).toBe(true);
    // A count that matches is still recorded, as a zero change guarded like the others.
    expect(changesFor({ type: 'cycle_count', movementId: 'm', sku: 'SKU-1', locationId: 'wh', onHand: 15 }, positions, 2)).toEqual([
      expect.objectContaining({ shard: 0, onHandDelta: 0, reservedDelta: 0, requires: { onHandEquals: 10 } }),
    ]);
    // A first count of zero makes the position exist.
    expect(changesFor({ type: 'cycle_count', movementId: 'm', sku: 'SKU-2', locationId: 'wh', onHand: 0 }, [], 1)).toEqual([
      expect.objectContaining({ locationId: 'wh', shard: 0, onHandDelta: 0, requires: { onHandEquals: 0 } }),
    ]);
  });

  it('moves units on transfer and requires them to be on hand at the source', () => {
    const changes = changesFor({ type: 'transfer', movementId: 'm', sku: 'SKU-1', fromLocationId: 'a', toLocationId: 'b', quantity: 4 }, [position('a', 0, 10)], 1);
    expect(changes).toEqual([
      expect.objectContaining({ locationId: 'a', onHandDelta: -4, type: 'transfer_out', requires: { onHandAtLeast: 4 } }),
      expect.objectContaining({ locationId: 'b', onHandDelta: 4, type: 'transfer_in' }),
    ]);
  });

  it('asks for more than there is when a write-off exceeds the stock, so the store refuses it', () => {
    const [change] = changesFor({ type: 'write_off', movementId: 'm', sku: 'SKU-1', locationId: 'a', quantity: 5, reason: 'x' }, [position('a', 0, 2)], 1);
    expect(change?.requires.onHandAtLeast).toBe(5);
  });
});

describe('ledger rebuild', () => {
  it('sums movements into positions', () => {
    const rebuilt = rebuild([
      { locationId: 'a', shard: 0, onHandDelta: 10, reservedDelta: 0, safetyStockDelta: 0 },
      { locationId: 'a', shard: 0, onHandDelta: 0, reservedDelta: 3, safetyStockDelta: 0 },
      { locationId: 'a', shard: 0, onHandDelta: -3, reservedDelta: -3, safetyStockDelta: 0 },
      { locationId: 'a', shard: 1, onHandDelta: 2, reservedDelta: 0, safetyStockDelta: 1 },
    ]);
    expect(Object.fromEntries(rebuilt)).toEqual({ 'a#0': { onHand: 7, reserved: 0, safetyStock: 0 }, 'a#1': { onHand: 2, reserved: 0, safetyStock: 1 } });
  });
});

describe('allocating routed shipments', () => {
  const stock = new Map([['SKU-1', [position('a', 0, 3), position('b', 0, 5), position('c', 0, 100)]]]);

  it('sums lines of the same SKU before planning', () => {
    expect(needs([{ sku: 'SKU-1', quantity: 1 }, { sku: 'SKU-2', quantity: 2 }, { sku: 'SKU-1', quantity: 2 }])).toEqual([
      { sku: 'SKU-1', quantity: 3 },
      { sku: 'SKU-2', quantity: 2 },
    ]);
    expect(needs([{ sku: 'SKU-1', quantity: 3 }], [{ sku: 'SKU-1', locationId: 'a', shard: 0, quantity: 2 }])).toEqual([{ sku: 'SKU-1', quantity: 1 }]);
  });

  it('puts each shipment on the positions of its location', () => {
    expect(
      allocateShipments(
        [
          { locationId: 'b', lines: [{ sku: 'SKU-1', quantity: 5 }] },
          { locationId: 'a', lines: [{ sku: 'SKU-1', quantity: 2 }] },
        ],
        stock,
      ),
    ).toEqual({
      allocations: [
        { sku: 'SKU-1', locationId: 'b', shard: 0, quantity: 5 },
        { sku: 'SKU-1', locationId: 'a', shard: 0, quantity: 2 },
      ],
      shortages: [],
    });
  });

  it('reports what a stale routing read asked for but the location no longer has', () => {
    const plan = allocateShipments([{ locationId: 'a', lines: [{ sku: 'SKU-1', quantity: 5 }, { sku: 'NONE', quantity: 1 }] }], stock);
    expect(plan.allocations.reduce((sum, a) => sum + a.quantity, 0)).toBe(3);
    expect(plan.shortages).toEqual([
      { sku: 'SKU-1', quantity: 2 },
      { sku: 'NONE', quantity: 1 },
    ]);
  });

  it('spreads hot-SKU buyers over shards in random order', () => {
    const hot = new Map([['SKU-1', [position('a', 0, 1), position('a', 1, 1), position('a', 2, 1)]]]);
    const shards = new Set(Array.from({ length: 30 }, (_, i) => allocateShipments([{ locationId: 'a', lines: [{ sku: 'SKU-1', quantity: 1 }] }], hot, () => (i % 3) / 3).allocations[0]?.shard));
    expect(shards.size).toBe(3);
  });

  it('merges allocations of the same position', () => {
    expect(mergeAllocations([{ sku: 'S', locationId: 'a', shard: 0, quantity: 1 }, { sku: 'S', locationId: 'a', shard: 0, quantity: 2 }])).toEqual([
      { sku: 'S', locationId: 'a', shard: 0, quantity: 3 },
    ]);
  });
});

describe('rebalanceChanges (switching hot-SKU mode)', () => {
  it('spreads free units over new shards, keeping reservations and safety stock on shard 0', () => {
    const before = [position('a', 0, 100, 10, 5)];
    const after = apply(before, rebalanceChanges(before, 4));
    expect(total(after)).toEqual(total(before));
    expect(after.map((p) => [p.shard, p.available])).toEqual([
      [0, 22],
      [1, 21],
      [2, 21],
      [3, 21],
    ]);
  });

  it('merges shards back into shard 0 with their reservations', () => {
    const before = [position('a', 0, 30, 5), position('a', 1, 20, 3), position('a', 2, 20, 0)];
    const after = apply(before, rebalanceChanges(before, 1));
    expect(total(after)).toEqual(total(before));
    expect(after.filter((p) => p.shard > 0).every((p) => p.onHand === 0 && p.reserved === 0)).toBe(true);
  });

  it('does nothing when the stock is already where it should be', () => {
    expect(rebalanceChanges([position('a', 0, 10)], 1)).toEqual([]);
  });
});

describe('availabilityChange', () => {
  const at = { occurredAt: new Date('2026-11-27T10:00:00Z'), eventId: 'stream:1' };
  const figures = (available: number, onHand: number, reserved: number) => ({ sku: 'SKU-1', locationId: 'wh', shard: 0, available, onHand, reserved });

  it('announces a change of available, and which way it went', () => {
    expect(availabilityChange(figures(7, 10, 3), figures(8, 10, 2), at)?.detail.data).toEqual({ ...figures(7, 10, 3), previousAvailable: 8, change: 'decreased' });
    expect(availabilityChange(figures(5, 5, 0), undefined, at)?.detail).toMatchObject({ metadata: { eventId: 'stream:1' }, data: { previousAvailable: 0, change: 'increased' } });
  });

  it('announces nothing when available stays (a sale moves on hand and reserved together)', () => {
    expect(availabilityChange(figures(7, 9, 2), figures(7, 10, 3), at)).toBeUndefined();
  });
});
