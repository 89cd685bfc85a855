import { createHash } from 'node:crypto';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { InventoryConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { Sku } from '#shared/domain/order.ts';
import {
  SkuPolicy,
  changesFor,
  describeMovement,
  movementContent,
  movementFromLedger,
  sameAsLedger,
  spread,
  total,
  type HeldMovement,
  type MovementInput,
  type PositionChange,
  type StockMovement,
  type StockPosition,
} from '#shared/domain/inventory.ts';
import { newId } from '#shared/domain/ids.ts';
import type { InventoryRepository, LocationRepository, Page, PageRequest } from '#shared/ports.ts';
import type * as z from 'zod';
import { channelStatus } from './availability.ts';
import { isInventoryConflict, retryOnConflict } from './retry.ts';

export interface InventoryDeps {
  inventory: InventoryRepository;
  locations: Pick<LocationRepository, 'get'>;
  clock: Clock;
}

export type MovementResult =
  | { movementId: string; status: 'applied'; sku: string }
  | { movementId: string; status: 'duplicate'; sku: string }
  | { movementId: string; status: 'rejected'; sku: string; code: RejectionCode; reason: string; unknownLocations?: string[]; heldBy?: HeldMovement };

/**
 * Why a movement was refused: the request names something that does not
 * exist or cannot be, its id already holds another movement, or stock does
 * not allow it now.
 */
export type RejectionCode = 'unknown_location' | 'same_location' | 'movement_id_reused' | 'insufficient_stock' | 'contention';

/**
 * Applies stock movements (receipts, adjustments, counts, transfers,
 * write-offs, safety stock), each on its own and at most once per movement id.
 * Movement ids are global: the same id with the same movement is a retry
 * (`duplicate`, nothing applied again); with another movement it is refused
 * (`movement_id_reused`, naming the movement that holds it), never dropped.
 * Absolute movements (counts) are guarded by the values they were computed
 * from, and recomputed if stock moved meanwhile; a movement that would take
 * more than is on hand is rejected with the reason.
 */
export async function applyMovements(deps: InventoryDeps, command: { movements: MovementInput[]; actor: string }): Promise<MovementResult[]> {
  const knownLocations = new Map<string, boolean>();
  const locationExists = async (locationId: string) => {
    if (!knownLocations.has(locationId)) knownLocations.set(locationId, Boolean(await deps.locations.get(locationId)));
    return knownLocations.get(locationId) === true;
  };
  const results: MovementResult[] = [];
  for (const movement of command.movements) {
    const locations = movement.type === 'transfer' ? [movement.fromLocationId, movement.toLocationId] : [movement.locationId];
    const unknown = [];
    for (const locationId of locations) if (!(await locationExists(locationId))) unknown.push(locationId);
    if (unknown.length > 0) {
      results.push({ movementId: movement.movementId, status: 'rejected', sku: movement.sku, code: 'unknown_location', reason: `Unknown location ${unknown.join(', ')}`, unknownLocations: unknown });
      continue;
    }
    if (movement.type === 'transfer' && movement.fromLocationId === movement.toLocationId) {
      results.push({ movementId: movement.movementId, status: 'rejected', sku: movement.sku, code: 'same_location', reason: 'A transfer needs two different locations' });
      continue;
    }
    results.push(await applyOne(deps, movement, command.actor));
  }
  return results;
}

async function applyOne(deps: InventoryDeps, movement: MovementInput, actor: string): Promise<MovementResult> {
  const content = movementContent(movement);
  const fingerprint = createHash('sha256').update(canonicalJson(content)).digest('base64url');
  // 5 runs: a movement writes one SKU's positions; a hot SKU's reservations keep moving them.
  return retryOnConflict(async (attempt) => {
    const stock = await deps.inventory.stock(movement.sku);
    const changes = changesFor(movement, stock.positions, stock.policy.shards);
    try {
      await deps.inventory.commit({
        changes,
        ledgerId: movement.movementId,
        movementId: movement.movementId,
        movement: { fingerprint, content },
        actor,
        at: deps.clock.now().toISOString(),
        reason: movement.reason,
        reference: movement.reference,
        reorderPoint: stock.policy.reorderPoint,
        events: [],
      });
      return { movementId: movement.movementId, status: 'applied', sku: movement.sku };
    } catch (error) {
      if (!(error instanceof InventoryConflictError)) throw error;
      if (error.kind === 'duplicate') {
        const heldBy = await anotherMovement(deps, movement, fingerprint);
        if (!heldBy) return { movementId: movement.movementId, status: 'duplicate', sku: movement.sku };
        return {
          movementId: movement.movementId,
          status: 'rejected',
          sku: movement.sku,
          code: 'movement_id_reused',
          reason: `Movement id ${movement.movementId} already holds ${describeMovement(heldBy)}, recorded ${heldBy.recordedAt}; give each movement its own id (for a purchase order, its number and line: PO-1042-1)`,
          heldBy,
        };
      }
      const optimistic = error.change?.requires['onHandEquals'] !== undefined || error.change?.requires['safetyStockEquals'] !== undefined;
      // Another movement landed first: recompute from fresh stock (rethrown: the helper runs the step again). A shortage is final once stock was read fresh.
      if (error.kind === 'contention' || optimistic || attempt === 1) throw error;
      return {
        movementId: movement.movementId,
        status: 'rejected',
        sku: movement.sku,
        code: 'insufficient_stock',
        reason: `Not enough on hand at ${error.change?.locationId ?? '?'} for this ${movement.type.replace('_', ' ')}`,
      };
    }
  }, {
    attempts: 5,
    retryOn: isInventoryConflict,
    orElse: (): MovementResult => ({ movementId: movement.movementId, status: 'rejected', sku: movement.sku, code: 'contention', reason: 'Stock kept changing; retry the movement' }),
  });
}

/**
 * The movement that holds `movement`'s id when it is another one, else
 * undefined (a retry). The marker's fingerprint decides; a marker written
 * before ids were compared has none, and is compared with its ledger entries
 * under this SKU — when there are none (another SKU, or a safety-stock
 * setting that changed nothing), it is taken to be the same movement.
 */
async function anotherMovement(deps: InventoryDeps, movement: MovementInput, fingerprint: string): Promise<HeldMovement | undefined> {
  const marker = await deps.inventory.movementMarker(movement.movementId);
  if (!marker || marker.fingerprint === fingerprint) return undefined;
  if (marker.fingerprint !== undefined && marker.content) {
    return { movementId: marker.movementId, recordedAt: marker.at, ...marker.content };
  }
  const stock = await deps.inventory.stock(movement.sku);
  const shards = Math.max(1, ...stock.positions.map((p) => p.shard + 1), stock.policy.shards);
  const held = movementFromLedger(await deps.inventory.movementEntries(movement.sku, shards, marker.movementId, marker.at));
  if (!held || sameAsLedger(movement, held)) return undefined;
  return { movementId: marker.movementId, recordedAt: marker.at, ...held };
}

export interface LocationStock {
  locationId: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  available: number;
  shards?: number;
}

/** `GET /v1/inventory/{sku}`: per location, in total, and what each listing channel should show and was last sent. */
export async function getSkuInventory(deps: Pick<InventoryDeps, 'inventory'> & Parameters<typeof channelStatus>[0], requested: string) {
  const sku = stockedSku(requested);
  const stock = await deps.inventory.stock(sku);
  const channels = await channelStatus(deps, stock);
  if (stock.positions.length === 0 && stock.policyVersion === 0 && channels.length === 0) throw new NotFoundError(`SKU ${sku} has no stock records`);
  return { sku, policy: stock.policy, locations: byLocation(stock.positions), total: total(stock.positions), channels };
}

/** The SKU a path names, normalised as SKUs are stored (NFC); one that could never have been stored has no stock records. */
function stockedSku(sku: string): string {
  const parsed = Sku.safeParse(sku);
  if (!parsed.success) throw new NotFoundError(`SKU ${sku} has no stock records`);
  return parsed.data;
}

export function byLocation(positions: readonly StockPosition[]): LocationStock[] {
  const grouped = new Map<string, StockPosition[]>();
  for (const p of positions) grouped.set(p.locationId, [...(grouped.get(p.locationId) ?? []), p]);
  return [...grouped.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([locationId, shards]) => ({ locationId, ...total(shards), ...(shards.length > 1 ? { shards: shards.length } : {}) }));
}

/** `GET /v1/inventory?locationId=&lowStock=`: SKUs at a location (shards summed). */
export async function listLocationStock(
  deps: Pick<InventoryDeps, 'inventory' | 'locations'>,
  query: PageRequest & { locationId: string; lowStock?: boolean },
): Promise<Page<{ sku: string } & Omit<LocationStock, 'locationId'> & { locationId: string }>> {
  if (!(await deps.locations.get(query.locationId))) throw new NotFoundError(`Location ${query.locationId} does not exist`);
  const page = await deps.inventory.positionsAt(query.locationId, query);
  const bySku = new Map<string, StockPosition[]>();
  for (const p of page.items) bySku.set(p.sku, [...(bySku.get(p.sku) ?? []), p]);
  return {
    items: [...bySku.entries()].map(([sku, shards]) => ({ sku, locationId: query.locationId, ...total(shards), ...(shards.length > 1 ? { shards: shards.length } : {}) })),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}

export async function listSkuMovements(deps: Pick<InventoryDeps, 'inventory'>, requested: string, page: PageRequest): Promise<Page<StockMovement>> {
  const sku = stockedSku(requested);
  const stock = await deps.inventory.stock(sku);
  const shards = Math.max(1, ...stock.positions.map((p) => p.shard + 1), stock.policy.shards);
  return deps.inventory.movements(sku, shards, page);
}

/**
 * Sets a SKU's policy. Changing `shards` moves stock between partitions and
 * keeps every total: merged shards give their on-hand and reservations back
 * to shard 0; new shards receive an even share of shard 0's free units. Each
 * move is a `shard_rebalance` movement in the ledger.
 */
export async function putSkuPolicy(deps: InventoryDeps, command: { sku: string; input: z.input<typeof SkuPolicy>; actor: string }) {
  const valid = Sku.safeParse(command.sku);
  if (!valid.success) {
    throw new ValidationError('Not a valid SKU', [{ in: 'path', path: 'sku', message: valid.error.issues[0]?.message ?? 'Not a valid SKU' }]);
  }
  const sku = valid.data;
  const policy = SkuPolicy.parse(command.input);
  return retryOnConflict(async () => {
    const stock = await deps.inventory.stock(sku);
    const highestShard = Math.max(stock.policy.shards, policy.shards, ...stock.positions.map((p) => p.shard + 1));
    await deps.inventory.putPolicy(sku, policy, stock.policyVersion, highestShard);
    const rebalance = rebalanceChanges(stock.positions, policy.shards);
    if (rebalance.length > 0) {
      await deps.inventory.commit({ changes: rebalance, ledgerId: `rebalance:${newId()}`, actor: command.actor, at: deps.clock.now().toISOString(), reason: `shards ${stock.policy.shards} → ${policy.shards}`, events: [] });
    }
    if (policy.reorderPoint !== stock.policy.reorderPoint) await deps.inventory.setReorderPoint(stock.positions, policy.reorderPoint);
    return { sku, policy };
  }, {
    attempts: 5,
    // The policy write is versioned (a ConcurrentModificationError), the rebalance is a stock transaction.
    retryOn: (error) => isInventoryConflict(error) || (error as Error).name === 'ConcurrentModificationError',
    exhausted: () => new InventoryConflictError('contention'),
  });
}

/**
 * Moves between shard partitions so that shards ≥ `shards` are empty and,
 * when there are several shards, free units are spread evenly. Conditions pin
 * each moved quantity to what was read, so a concurrent reservation makes the
 * rebalance retry rather than lose units.
 */
export function rebalanceChanges(positions: readonly StockPosition[], shards: number): PositionChange[] {
  const changes: PositionChange[] = [];
  const locations = new Set(positions.map((p) => p.locationId));
  for (const locationId of locations) {
    const here = positions.filter((p) => p.locationId === locationId);
    const base = here.find((p) => p.shard === 0);
    let baseOnHand = base?.onHand ?? 0;
    let baseReserved = base?.reserved ?? 0;
    for (const shard of here.filter((p) => p.shard >= shards && (p.onHand !== 0 || p.reserved !== 0))) {
      changes.push(move(shard, -shard.onHand, -shard.reserved, { onHandEquals: shard.onHand, reservedEquals: shard.reserved, exists: true }));
      baseOnHand += shard.onHand;
      baseReserved += shard.reserved;
    }
    if (shards > 1) {
      const kept = here.filter((p) => p.shard > 0 && p.shard < shards);
      const free = baseOnHand - baseReserved - (base?.safetyStock ?? 0) + kept.reduce((sum, p) => sum + p.onHand - p.reserved, 0);
      const share = spread(Math.max(0, free), shards);
      let fromBase = 0;
      for (let shard = 1; shard < shards; shard++) {
        const current = kept.find((p) => p.shard === shard);
        const delta = (share[shard] ?? 0) - ((current?.onHand ?? 0) - (current?.reserved ?? 0));
        if (delta > 0) {
          changes.push(move({ sku: here[0]?.sku ?? '', locationId, shard } as StockPosition, delta, 0, { onHandEquals: current?.onHand ?? 0 }));
          fromBase += delta;
        } else if (delta < 0) {
          // Only free units move: a reservation that landed meanwhile fails this and the rebalance is recomputed.
          changes.push(move(current as StockPosition, delta, 0, { onHandEquals: current?.onHand ?? 0, availableAtLeast: -delta }));
          fromBase += delta;
        }
      }
      baseOnHand -= fromBase;
    }
    const baseDelta = baseOnHand - (base?.onHand ?? 0);
    const reservedDelta = baseReserved - (base?.reserved ?? 0);
    if (baseDelta !== 0 || reservedDelta !== 0) {
      const availableDelta = baseDelta - reservedDelta;
      changes.push(
        move({ sku: here[0]?.sku ?? '', locationId, shard: 0 } as StockPosition, baseDelta, reservedDelta, {
          onHandEquals: base?.onHand ?? 0,
          ...(availableDelta < 0 ? { availableAtLeast: -availableDelta } : {}),
        }),
      );
    }
  }
  return changes;
}

function move(position: Pick<StockPosition, 'sku' | 'locationId' | 'shard'>, onHandDelta: number, reservedDelta: number, requires: PositionChange['requires']): PositionChange {
  return { sku: position.sku, locationId: position.locationId, shard: position.shard, onHandDelta, reservedDelta, safetyStockDelta: 0, requires, type: 'shard_rebalance' };
}
