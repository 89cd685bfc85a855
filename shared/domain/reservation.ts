import * as z from 'zod';
import { Timestamp } from './common.ts';
import type { StockPosition } from './inventory.ts';

/**
 * Where an order's units are reserved. Lines for the same SKU are summed
 * first (two lines of one cart must not both be checked against the same
 * stock); each allocation is one (SKU, location, shard) position.
 */
export const Allocation = z.object({
  sku: z.string(),
  locationId: z.string(),
  shard: z.number().int().min(0),
  quantity: z.number().int().min(1),
});
export type Allocation = z.infer<typeof Allocation>;

export const Reservation = z
  .object({
    orderId: z.string(),
    status: z.enum(['active', 'released', 'sold']),
    allocations: z.array(Allocation).meta({ description: 'Units held, per position.' }),
    backordered: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })).meta({ description: 'Units still waiting for stock.' }),
    sold: z.array(Allocation).default([]).meta({ description: 'Units shipped (converted to sales).' }),
    paymentDueBy: Timestamp.optional().meta({ description: 'Unpaid orders: when the reservation lapses if payment has not come.' }),
    version: z.number().int().min(1),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Reservation' });
export type Reservation = z.infer<typeof Reservation>;

export interface Need {
  sku: string;
  quantity: number;
}

/** Units per SKU an order still needs: its lines summed per SKU, minus what is already held or sold. */
export function needs(lines: readonly { sku: string; quantity: number; requiresShipping?: boolean }[], held: readonly Allocation[] = []): Need[] {
  const wanted = new Map<string, number>();
  for (const line of lines) wanted.set(line.sku, (wanted.get(line.sku) ?? 0) + line.quantity);
  for (const allocation of held) wanted.set(allocation.sku, (wanted.get(allocation.sku) ?? 0) - allocation.quantity);
  return [...wanted].filter(([, quantity]) => quantity > 0).map(([sku, quantity]) => ({ sku, quantity }));
}

export interface ReservationPlan {
  allocations: Allocation[];
  shortages: Need[];
}

/**
 * The placeholder sourcing rule (routing replaces it): for each SKU, take
 * from the eligible location with the most available first, splitting across
 * locations when one cannot cover the need; within a location, shards in a
 * random order so concurrent buyers of a hot SKU spread over its partitions.
 * Pure: the reservation transaction's conditions decide, not this read.
 */
export function planReservation(
  demand: readonly Need[],
  stock: ReadonlyMap<string, readonly StockPosition[]>,
  eligibleLocations: ReadonlySet<string>,
  random: () => number = Math.random,
): ReservationPlan {
  const allocations: Allocation[] = [];
  const shortages: Need[] = [];
  for (const need of demand) {
    const positions = (stock.get(need.sku) ?? []).filter((p) => eligibleLocations.has(p.locationId) && p.available > 0);
    const byLocation = new Map<string, StockPosition[]>();
    for (const p of positions) byLocation.set(p.locationId, [...(byLocation.get(p.locationId) ?? []), p]);
    const locations = [...byLocation.entries()]
      .map(([locationId, shards]) => ({ locationId, shards, available: shards.reduce((sum, p) => sum + p.available, 0) }))
      .sort((a, b) => b.available - a.available || a.locationId.localeCompare(b.locationId));
    let remaining = need.quantity;
    for (const location of locations) {
      for (const position of shuffle(location.shards, random)) {
        if (remaining === 0) break;
        const take = Math.min(remaining, position.available);
        allocations.push({ sku: need.sku, locationId: position.locationId, shard: position.shard, quantity: take });
        remaining -= take;
      }
      if (remaining === 0) break;
    }
    if (remaining > 0) shortages.push({ sku: need.sku, quantity: remaining });
  }
  return { allocations, shortages };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Merges allocations of the same position (a top-up adds to what an order already holds). */
export function mergeAllocations(allocations: readonly Allocation[]): Allocation[] {
  const merged = new Map<string, Allocation>();
  for (const a of allocations) {
    const key = `${a.sku}#${a.locationId}#${a.shard}`;
    const existing = merged.get(key);
    merged.set(key, existing ? { ...existing, quantity: existing.quantity + a.quantity } : { ...a });
  }
  return [...merged.values()];
}
