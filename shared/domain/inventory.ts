import * as z from 'zod';
import { ChannelId } from './channel.ts';
import { Timestamp } from './common.ts';
import { MovementId as MovementIdentifier, Slug } from './ids.ts';
import { Sku } from './order.ts';

/**
 * Stock per (SKU, location): on hand, reserved, safety stock; available =
 * on hand − reserved − safety stock. Every change is a movement in an
 * append-only ledger carrying its deltas, so a position can be rebuilt by
 * summing its movements. A hot SKU can be split into shards (separate
 * partitions); shard 0 is the ordinary position.
 */

export const MAX_SHARDS = 16;

export const StockPosition = z
  .object({
    sku: z.string().meta({ description: 'As stored (read back unchanged; SKUs written since the identifier rules follow them).' }),
    locationId: Slug,
    shard: z.number().int().min(0).max(MAX_SHARDS - 1),
    onHand: z.number().int(),
    reserved: z.number().int().min(0),
    safetyStock: z.number().int().min(0),
    available: z.number().int().meta({ description: 'on hand − reserved − safety stock (can be negative after a count found less than reserved).' }),
    updatedAt: Timestamp,
  })
  .meta({ id: 'StockPosition' });
export type StockPosition = z.infer<typeof StockPosition>;

export const SkuPolicy = z
  .object({
    backorder: z
      .enum(['allowed', 'not_allowed'])
      .default('not_allowed')
      .meta({ description: '`allowed`: a short order reserves what there is and waits for the rest. `not_allowed`: a short order is held, reserving nothing.' }),
    preorderUntil: Timestamp.optional().meta({ description: 'Until then the SKU takes backorders whatever `backorder` says (a pre-order).' }),
    shards: z.number().int().min(1).max(MAX_SHARDS).default(1).meta({ description: 'Hot-SKU mode: stock split over this many partitions (1 = off).' }),
    reorderPoint: z.number().int().min(0).default(0).meta({ description: 'A position at or below this available quantity is low stock.' }),
    channelBuffers: z
      .record(ChannelId, z.number().int().min(0))
      .default({})
      .meta({ description: 'Units held back from a channel (by channel id, the same rule as every channel id), e.g. { "amazon-us": 2 }.' }),
    weightGrams: z.number().int().min(1).max(1_000_000).optional().meta({ description: 'Shipping weight of one unit (carrier rates); the rule set\'s default weight otherwise.' }),
  })
  .meta({ id: 'SkuPolicy' });
export type SkuPolicy = z.infer<typeof SkuPolicy>;

export const DEFAULT_POLICY: SkuPolicy = SkuPolicy.parse({});

/**
 * The units a policy holds back from a channel. Channel ids are data, so the
 * buffers are read as own entries only: on a plain object `constructor` (a
 * well-formed channel id) would find Object's constructor.
 */
export function channelBuffer(policy: SkuPolicy, channelId: string): number {
  return Object.hasOwn(policy.channelBuffers, channelId) ? (policy.channelBuffers[channelId] ?? 0) : 0;
}

/**
 * A stored policy read back: buffers stored under keys that are not channel
 * ids (possible before channel ids were checked here) can apply to no channel
 * and are left out, so they cannot make the SKU's stock unreadable.
 */
export function storedPolicy(item: Record<string, unknown>): SkuPolicy {
  const buffers = item['channelBuffers'];
  if (!buffers || typeof buffers !== 'object' || Array.isArray(buffers)) return SkuPolicy.parse(item);
  const kept = Object.entries(buffers).filter(([channelId]) => ChannelId.safeParse(channelId).success);
  return SkuPolicy.parse({ ...item, channelBuffers: Object.fromEntries(kept) });
}

export function backorderable(policy: SkuPolicy, now: Date): boolean {
  return policy.backorder === 'allowed' || (policy.preorderUntil !== undefined && Date.parse(policy.preorderUntil) > now.getTime());
}

export const MovementType = z.enum([
  'receipt',
  'adjustment',
  'cycle_count',
  'safety_stock',
  'reservation',
  'release',
  'sale',
  'return_restock',
  'transfer_out',
  'transfer_in',
  'write_off',
  'shard_rebalance',
]);
export type MovementType = z.infer<typeof MovementType>;

const MovementId = MovementIdentifier.meta({
  description:
    'Your id for this movement, unique across all movements (for a purchase order line: `PO-1042-1`). The same id with the same movement again is applied once (`duplicate`); with another movement it is refused (`movement_id_reused`).',
});
const Quantity = z.number().int().min(1).max(10_000_000);
const common = {
  movementId: MovementId,
  sku: Sku,
  reason: z.string().max(500).optional(),
  reference: z.string().max(200).optional().meta({ description: 'Purchase order, count sheet, RMA…' }),
};

/** Movements people and systems send through the API and the CSV import (reservations and sales are the OMS's own). */
export const MovementInput = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('receipt'), locationId: Slug, quantity: Quantity, ...common }),
    z.strictObject({ type: z.literal('return_restock'), locationId: Slug, quantity: Quantity, ...common }),
    z.strictObject({
      type: z.literal('adjustment'),
      locationId: Slug,
      quantity: z.number().int().min(-10_000_000).max(10_000_000).refine((q) => q !== 0, 'An adjustment changes the quantity'),
      ...common,
      reason: z.string().min(1).max(500),
    }),
    z.strictObject({ type: z.literal('write_off'), locationId: Slug, quantity: Quantity, ...common, reason: z.string().min(1).max(500) }),
    z.strictObject({ type: z.literal('cycle_count'), locationId: Slug, onHand: z.number().int().min(0).max(10_000_000), ...common }),
    z.strictObject({ type: z.literal('safety_stock'), locationId: Slug, safetyStock: z.number().int().min(0).max(10_000_000), ...common }),
    z.strictObject({ type: z.literal('transfer'), fromLocationId: Slug, toLocationId: Slug, quantity: Quantity, ...common }),
  ])
  .meta({ id: 'MovementInput' });
export type MovementInput = z.infer<typeof MovementInput>;

/**
 * What a movement id stands for: everything that decides what the movement
 * does and what the ledger records of it — type, SKU, location(s), quantity
 * and reference — but not its `reason`, a note (the CSV import sets it from
 * `--reason`). The same id with the same content is the same movement (a
 * retry); with other content it is another movement, which is refused.
 */
export type MovementContent = DistributiveOmit<MovementInput, 'movementId' | 'reason'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function movementContent(movement: MovementInput): MovementContent {
  const { movementId: _movementId, reason: _reason, ...content } = movement;
  return content;
}

/**
 * The movement that holds an id, as far as the OMS knows it: its content
 * (markers written before ids were compared hold none, and their ledger
 * entries say the rest: the quantity of a count or a safety-stock setting is
 * not in them).
 */
export const HeldMovement = z
  .object({
    movementId: z.string(),
    recordedAt: Timestamp,
    type: z.enum(['receipt', 'return_restock', 'adjustment', 'write_off', 'cycle_count', 'safety_stock', 'transfer']),
    sku: z.string(),
    locationId: z.string().optional(),
    fromLocationId: z.string().optional(),
    toLocationId: z.string().optional(),
    quantity: z.number().int().optional(),
    onHand: z.number().int().optional(),
    safetyStock: z.number().int().optional(),
    reference: z.string().optional(),
  })
  .meta({ id: 'HeldMovement', description: 'The movement already recorded under a movement id.' });
export type HeldMovement = z.infer<typeof HeldMovement>;

/** `a receipt of 50 × MUG-1 at wh-east`: a held movement in words, for error messages. */
export function describeMovement(movement: Omit<HeldMovement, 'movementId' | 'recordedAt'>): string {
  const units = (quantity: number | undefined) => (quantity === undefined ? movement.sku : `${quantity} × ${movement.sku}`);
  const at = `at ${movement.locationId ?? '?'}`;
  switch (movement.type) {
    case 'receipt':
      return `a receipt of ${units(movement.quantity)} ${at}`;
    case 'return_restock':
      return `a return restock of ${units(movement.quantity)} ${at}`;
    case 'adjustment':
      return `an adjustment of ${movement.quantity === undefined ? movement.sku : `${movement.quantity > 0 ? '+' : ''}${movement.quantity} × ${movement.sku}`} ${at}`;
    case 'write_off':
      return `a write-off of ${units(movement.quantity)} ${at}`;
    case 'cycle_count':
      return `a cycle count of ${movement.sku} ${at}${movement.onHand === undefined ? '' : ` (${movement.onHand} on hand)`}`;
    case 'safety_stock':
      return `safety stock of ${movement.sku} ${at}${movement.safetyStock === undefined ? '' : ` set to ${movement.safetyStock}`}`;
    case 'transfer':
      return `a transfer of ${units(movement.quantity)} from ${movement.fromLocationId ?? '?'} to ${movement.toLocationId ?? '?'}`;
  }
}

/**
 * What the ledger entries of one movement (one id, one time) say it was:
 * for markers written before movement ids were compared. Undefined when the
 * entries are not of a movement callers send.
 */
export function movementFromLedger(entries: readonly StockMovement[]): Omit<HeldMovement, 'movementId' | 'recordedAt'> | undefined {
  const [first] = entries;
  if (!first) return undefined;
  const onHand = entries.reduce((sum, e) => sum + e.onHandDelta, 0);
  const reference = first.reference === undefined ? {} : { reference: first.reference };
  const out = entries.find((e) => e.type === 'transfer_out');
  const into = entries.find((e) => e.type === 'transfer_in');
  if (out || into) {
    return {
      type: 'transfer',
      sku: first.sku,
      ...(out ? { fromLocationId: out.locationId } : {}),
      ...(into ? { toLocationId: into.locationId } : {}),
      quantity: entries.filter((e) => e.type === 'transfer_in').reduce((sum, e) => sum + e.onHandDelta, 0),
      ...reference,
    };
  }
  const base = { sku: first.sku, locationId: first.locationId, ...reference };
  switch (first.type) {
    case 'receipt':
    case 'return_restock':
    case 'adjustment':
      return { type: first.type, ...base, quantity: onHand };
    case 'write_off':
      return { type: 'write_off', ...base, quantity: -onHand };
    case 'cycle_count':
    case 'safety_stock':
      return { type: first.type, ...base };
    default:
      return undefined;
  }
}

/** Whether `movement` is what the ledger says its id holds (fields the ledger cannot tell are taken to match). */
export function sameAsLedger(movement: MovementInput, held: Omit<HeldMovement, 'movementId' | 'recordedAt'>): boolean {
  if (movement.type !== held.type || movement.sku !== held.sku) return false;
  if ((movement.reference ?? undefined) !== held.reference) return false;
  switch (movement.type) {
    case 'transfer':
      return movement.fromLocationId === held.fromLocationId && movement.toLocationId === held.toLocationId && movement.quantity === held.quantity;
    case 'cycle_count':
    case 'safety_stock':
      return movement.locationId === held.locationId;
    default:
      return movement.locationId === held.locationId && movement.quantity === held.quantity;
  }
}

/** One ledger entry: what happened to one position, as deltas. */
export const StockMovement = z
  .object({
    movementId: z.string(),
    type: MovementType,
    sku: z.string(),
    locationId: z.string(),
    shard: z.number().int().min(0),
    onHandDelta: z.number().int(),
    reservedDelta: z.number().int(),
    safetyStockDelta: z.number().int(),
    reason: z.string().optional(),
    reference: z.string().optional(),
    actor: z.string(),
    at: Timestamp,
  })
  .meta({ id: 'StockMovement' });
export type StockMovement = z.infer<typeof StockMovement>;

/** A change to one position: the deltas, and what must hold for it to apply. */
export interface PositionChange {
  sku: string;
  locationId: string;
  shard: number;
  onHandDelta: number;
  reservedDelta: number;
  safetyStockDelta: number;
  /** Conditions, checked atomically by the store. */
  requires: {
    /** The position's available must cover this many units (reservations). */
    availableAtLeast?: number;
    onHandAtLeast?: number;
    reservedAtLeast?: number;
    /** Optimistic concurrency for absolute settings (cycle counts, safety stock). */
    onHandEquals?: number;
    reservedEquals?: number;
    safetyStockEquals?: number;
    /** The position must already exist (releases and sales of a shard that may have been merged). */
    exists?: boolean;
  };
  type: MovementType;
}

/** Sum of the positions of a SKU at a location (over its shards). */
export function total(positions: readonly Pick<StockPosition, 'onHand' | 'reserved' | 'safetyStock' | 'available'>[]) {
  return positions.reduce(
    (sum, p) => ({
      onHand: sum.onHand + p.onHand,
      reserved: sum.reserved + p.reserved,
      safetyStock: sum.safetyStock + p.safetyStock,
      available: sum.available + p.available,
    }),
    { onHand: 0, reserved: 0, safetyStock: 0, available: 0 },
  );
}

/**
 * The position changes one movement makes, given the current positions of
 * its SKU (needed for absolute movements and for spreading receipts over
 * shards). Pure.
 */
export function changesFor(movement: MovementInput, positions: readonly StockPosition[], shards: number): PositionChange[] {
  const at = (locationId: string) => positions.filter((p) => p.locationId === locationId);
  const base = (locationId: string) => at(locationId).find((p) => p.shard === 0);
  const change = (locationId: string, shard: number, type: MovementType, deltas: Partial<Pick<PositionChange, 'onHandDelta' | 'reservedDelta' | 'safetyStockDelta'>>, requires: PositionChange['requires'] = {}): PositionChange => ({
    sku: movement.sku,
    locationId,
    shard,
    onHandDelta: deltas.onHandDelta ?? 0,
    reservedDelta: deltas.reservedDelta ?? 0,
    safetyStockDelta: deltas.safetyStockDelta ?? 0,
    requires,
    type,
  });
  switch (movement.type) {
    case 'receipt':
    case 'return_restock':
      // Spread over the shards so every shard has units to reserve in hot-SKU mode.
      return spread(movement.quantity, shards).map((quantity, shard) => change(movement.locationId, shard, movement.type, { onHandDelta: quantity })).filter((c) => c.onHandDelta > 0);
    case 'adjustment':
      return movement.quantity > 0
        ? spread(movement.quantity, shards).map((q, shard) => change(movement.locationId, shard, 'adjustment', { onHandDelta: q })).filter((c) => c.onHandDelta > 0)
        : takeFrom(at(movement.locationId), -movement.quantity).map(([shard, q]) => change(movement.locationId, shard, 'adjustment', { onHandDelta: -q }, { onHandAtLeast: q }));
    case 'write_off':
      return takeFrom(at(movement.locationId), movement.quantity).map(([shard, q]) => change(movement.locationId, shard, 'write_off', { onHandDelta: -q }, { onHandAtLeast: q }));
    case 'transfer':
      return [
        ...takeFrom(at(movement.fromLocationId), movement.quantity).map(([shard, q]) => change(movement.fromLocationId, shard, 'transfer_out', { onHandDelta: -q }, { onHandAtLeast: q })),
        ...spread(movement.quantity, shards).map((q, shard) => change(movement.toLocationId, shard, 'transfer_in', { onHandDelta: q })).filter((c) => c.onHandDelta > 0),
      ];
    case 'cycle_count': {
      // A count is the truth for the whole location; each touched shard is guarded by the value it was read at.
      const positionsHere = at(movement.locationId);
      const delta = movement.onHand - total(positionsHere).onHand;
      // A count that finds what was expected is still recorded (the ledger shows when stock was last counted), and makes the position exist.
      if (delta === 0) return [change(movement.locationId, 0, 'cycle_count', { onHandDelta: 0 }, { onHandEquals: base(movement.locationId)?.onHand ?? 0 })];
      if (delta > 0) return [change(movement.locationId, 0, 'cycle_count', { onHandDelta: delta }, { onHandEquals: base(movement.locationId)?.onHand ?? 0 })];
      return takeFrom(positionsHere, -delta).map(([shard, q]) =>
        change(movement.locationId, shard, 'cycle_count', { onHandDelta: -q }, { onHandEquals: positionsHere.find((p) => p.shard === shard)?.onHand ?? 0 }),
      );
    }
    case 'safety_stock': {
      const current = base(movement.locationId)?.safetyStock ?? 0;
      const delta = movement.safetyStock - total(at(movement.locationId)).safetyStock;
      return delta === 0 ? [] : [change(movement.locationId, 0, 'safety_stock', { safetyStockDelta: delta }, { safetyStockEquals: current })];
    }
  }
}

/** `quantity` split over `shards` as evenly as possible: the first `quantity mod shards` shards get one more. */
export function spread(quantity: number, shards: number): number[] {
  const each = Math.floor(quantity / shards);
  const extra = quantity - each * shards;
  return Array.from({ length: shards }, (_, shard) => each + (shard < extra ? 1 : 0));
}

/**
 * Which shards give up `quantity` on-hand units, largest free stock first.
 * Asks for more than there is on shard 0 when the location cannot cover it,
 * so the store's condition refuses the movement.
 */
function takeFrom(positions: readonly StockPosition[], quantity: number): [number, number][] {
  const taken: [number, number][] = [];
  let remaining = quantity;
  for (const position of [...positions].sort((a, b) => b.onHand - b.reserved - (a.onHand - a.reserved))) {
    const free = Math.max(0, Math.min(position.onHand, remaining));
    if (free > 0) {
      taken.push([position.shard, free]);
      remaining -= free;
    }
    if (remaining === 0) break;
  }
  if (remaining > 0) {
    const zero = taken.find(([shard]) => shard === 0);
    if (zero) zero[1] += remaining;
    else taken.push([0, remaining]);
  }
  return taken;
}

/** Rebuilds positions from ledger entries: what a position must be if the ledger is right. */
export function rebuild(movements: readonly Pick<StockMovement, 'locationId' | 'shard' | 'onHandDelta' | 'reservedDelta' | 'safetyStockDelta'>[]) {
  const positions = new Map<string, { onHand: number; reserved: number; safetyStock: number }>();
  for (const m of movements) {
    const key = `${m.locationId}#${m.shard}`;
    const p = positions.get(key) ?? { onHand: 0, reserved: 0, safetyStock: 0 };
    positions.set(key, { onHand: p.onHand + m.onHandDelta, reserved: p.reserved + m.reservedDelta, safetyStock: p.safetyStock + m.safetyStockDelta });
  }
  return positions;
}
