import * as z from 'zod';
import { Timestamp } from './common.ts';
import type { StockPosition } from './inventory.ts';
import { RoutingDecision } from './routing.ts';

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
    cancelIfShortBy: Timestamp.optional().meta({ description: 'A routing rule (`cancel_after`) cancels the order if it is still short of stock then.' }),
    routing: RoutingDecision.optional().meta({ description: 'The latest routing decision (GET /v1/orders/{orderId}/routing).' }),
    excludedLocationIds: z.array(z.string()).optional().meta({ description: 'Locations that rejected or did not accept this order: routing skips them.' }),
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

/**
 * Turns routed shipments (units per SKU per location) into allocations on
 * stock positions. Within a location, shards are taken in a random order so
 * concurrent buyers of a hot SKU spread over its partitions. Units a
 * location no longer has (the routing read was stale) are returned as
 * shortages; the reservation transaction's conditions decide in the end.
 */
export function allocateShipments(
  shipments: readonly { locationId: string; lines: readonly Need[] }[],
  stock: ReadonlyMap<string, readonly StockPosition[]>,
  random: () => number = Math.random,
): { allocations: Allocation[]; shortages: Need[] } {
  const allocations: Allocation[] = [];
  const short = new Map<string, number>();
  for (const shipment of shipments) {
    for (const line of shipment.lines) {
      let remaining = line.quantity;
      const positions = (stock.get(line.sku) ?? []).filter((p) => p.locationId === shipment.locationId && p.available > 0);
      for (const position of shuffle(positions, random)) {
        if (remaining === 0) break;
        const take = Math.min(remaining, position.available);
        allocations.push({ sku: line.sku, locationId: position.locationId, shard: position.shard, quantity: take });
        remaining -= take;
      }
      if (remaining > 0) short.set(line.sku, (short.get(line.sku) ?? 0) + remaining);
    }
  }
  return { allocations, shortages: [...short].map(([sku, quantity]) => ({ sku, quantity })) };
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
