import { describe, expect, it } from 'vitest';
import { fixedClock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, InventoryConflictError } from '#shared/domain/errors.ts';
import { DEFAULT_POLICY, type MovementInput } from '#shared/domain/inventory.ts';
import type { Order } from '#shared/domain/order.ts';
import type { Reservation } from '#shared/domain/reservation.ts';
import type { InventoryRepository, SkuStock } from '#shared/ports.ts';
import { applyMovements, putSkuPolicy, type InventoryDeps } from '#shared/use-cases/inventory.ts';
import { releaseOrder } from '#shared/use-cases/reservations.ts';

// The use cases whose hand-written loops moved to retryOnConflict keep what each loop did on a lost race: these fakes lose every race, or the chosen ones.

const clock = fixedClock('2026-03-01T10:00:00.000Z');
const stock: SkuStock = { sku: 'MUG-1', policy: DEFAULT_POLICY, policyVersion: 0, positions: [{ sku: 'MUG-1', locationId: 'berlin', shard: 0, onHand: 3, reserved: 0, safetyStock: 0, available: 3, updatedAt: '2026-03-01T09:00:00.000Z' }] };

function inventoryDeps(commit: (attempt: number) => Promise<void>, extra: Partial<InventoryRepository> = {}): { deps: InventoryDeps; commits: () => number } {
  let commits = 0;
  const inventory = {
    stock: async () => stock,
    movementMarker: async () => undefined,
    commit: async () => commit(++commits),
    ...extra,
  } as unknown as InventoryRepository;
  return { deps: { inventory, locations: { get: async () => ({ locationId: 'berlin' }) as never }, clock }, commits: () => commits };
}

const writeOff: MovementInput = { type: 'write_off', movementId: 'wo-1', sku: 'MUG-1', locationId: 'berlin', quantity: 5, reason: 'broken' } as MovementInput;

describe('stock movements on lost races', () => {
  it('a movement that keeps losing is a `contention` result after 5 runs, not an error that drops the batch', async () => {
    const { deps, commits } = inventoryDeps(async () => { throw new InventoryConflictError('contention'); });
    const [result] = await applyMovements(deps, { movements: [writeOff], actor: 'test' });
    expect(result).toMatchObject({ movementId: 'wo-1', status: 'rejected', code: 'contention' });
    expect(commits()).toBe(5);
  });

  it('a shortage is read again once, then final: `insufficient_stock` after 2 runs', async () => {
    const change = { sku: 'MUG-1', locationId: 'berlin', shard: 0, requires: { onHandAtLeast: 5 } };
    const { deps, commits } = inventoryDeps(async () => { throw new InventoryConflictError('position', change); });
    const [result] = await applyMovements(deps, { movements: [writeOff], actor: 'test' });
    expect(result).toMatchObject({ status: 'rejected', code: 'insufficient_stock', reason: expect.stringContaining('berlin') });
    expect(commits()).toBe(2);
  });

  it('a movement id already applied answers `duplicate` at once (the first answer), without running again', async () => {
    const { deps, commits } = inventoryDeps(async () => { throw new InventoryConflictError('duplicate'); });
    const [result] = await applyMovements(deps, { movements: [writeOff], actor: 'test' });
    expect(result).toEqual({ movementId: 'wo-1', status: 'duplicate', sku: 'MUG-1' });
    expect(commits()).toBe(1);
  });

  it('a lost race then a win applies the movement once', async () => {
    const { deps, commits } = inventoryDeps(async (attempt) => { if (attempt === 1) throw new InventoryConflictError('contention'); });
    const [result] = await applyMovements(deps, { movements: [writeOff], actor: 'test' });
    expect(result).toEqual({ movementId: 'wo-1', status: 'applied', sku: 'MUG-1' });
    expect(commits()).toBe(2);
  });

  it('a SKU policy whose versioned write keeps losing ends in InventoryConflictError(contention) after 5 runs', async () => {
    let writes = 0;
    const { deps } = inventoryDeps(async () => undefined, { putPolicy: async () => { writes++; throw new ConcurrentModificationError('policy moved'); } });
    const error = await putSkuPolicy(deps, { sku: 'MUG-1', input: { shards: 1 }, actor: 'test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InventoryConflictError);
    expect((error as InventoryConflictError).kind).toBe('contention');
    expect(writes).toBe(5);
  });
});

describe('releasing an order on lost races', () => {
  const reservation = { orderId: 'o-1', status: 'active', allocations: [], backordered: [], sold: [], version: 3, createdAt: '2026-03-01T09:00:00.000Z', updatedAt: '2026-03-01T09:00:00.000Z' } as unknown as Reservation;
  const order = { orderId: 'o-1', status: 'cancelled', version: 4, channelCreatedAt: '2026-03-01T08:00:00.000Z', payment: { state: 'paid' } } as unknown as Order;

  it('runs 8 times (STOCK_TRANSACTION_ATTEMPTS), then a 409 naming the order; other errors at once', async () => {
    let commits = 0;
    const deps = {
      orders: { get: async () => order },
      inventory: { reservation: async () => reservation, commit: async () => { commits++; throw new InventoryConflictError('reservation'); } } as unknown as InventoryRepository,
      clock,
    };
    await expect(releaseOrder(deps as never, { orderId: 'o-1', reason: 'cancelled', actor: 'test' })).rejects.toThrow(new ConcurrentModificationError('Could not release order o-1: it kept changing'));
    expect(commits).toBe(8);
    commits = 0;
    deps.inventory.commit = async () => { commits++; throw new TypeError('bug'); };
    await expect(releaseOrder(deps as never, { orderId: 'o-1', reason: 'cancelled', actor: 'test' })).rejects.toThrow(TypeError);
    expect(commits).toBe(1);
  });
});
