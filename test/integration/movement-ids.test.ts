import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '#shared/domain/clock.ts';
import type { MovementInput } from '#shared/domain/inventory.ts';
import { keys } from '#shared/store/keys.ts';
import { applyMovements, getSkuInventory, listSkuMovements } from '#shared/use-cases/inventory.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { inventoryWorld } from '../support/inventory.ts';
import { TEST_TOKEN, useTestTable } from '../support/table.ts';

/**
 * Movement ids are global. The same id with the same movement is a retry
 * (answered `duplicate`, applied once); the same id with another movement
 * must never be answered `duplicate` and dropped: a merchant who uses the
 * purchase order number as the id would lose every line but the first.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof inventoryWorld>;
let postMovements: unknown;
const deps = () => ({ inventory: world.inventory, locations: world.locations, clock: systemClock });
const move = (...movements: MovementInput[]) => applyMovements(deps(), { movements, actor: 'test' });
const onHand = async (sku: string) => (await getSkuInventory(world, sku)).total.onHand;
const receipt = (movementId: string, sku: string, quantity: number, extra: Partial<MovementInput> = {}) =>
  ({ type: 'receipt', movementId, sku, locationId: 'wh-a', quantity, ...extra }) as MovementInput;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = inventoryWorld(db, tableName);
  await world.location('wh-a');
  await world.location('wh-b');
  postMovements = (await import('#functions/inventory/post-movements.ts')).handler;
});

/** As markers were written before movement ids were compared: no fingerprint, no content. */
async function makeLegacy(movementId: string) {
  await db.send(new UpdateCommand({ TableName: tableName, Key: keys.movementApplied(movementId), UpdateExpression: 'REMOVE fingerprint, content' }));
}

const post = (body: unknown) =>
  call(
    postMovements,
    apiEvent({ method: 'POST', path: '/v1/inventory/movements', headers: { authorization: `Bearer ${TEST_TOKEN}` }, body: JSON.stringify(body) }),
  );

describe('a movement id used again', () => {
  it('with the same movement is a duplicate, applied once (the reason text is a note and not compared)', async () => {
    expect(await move(receipt('PO-1001-1', 'SAME-1', 50, { reference: 'PO-1001', reason: 'first' }))).toMatchObject([{ status: 'applied' }]);
    expect(await move(receipt('PO-1001-1', 'SAME-1', 50, { reference: 'PO-1001', reason: 'typed again' }))).toEqual([
      { movementId: 'PO-1001-1', status: 'duplicate', sku: 'SAME-1' },
    ]);
    expect(await onHand('SAME-1')).toBe(50);
  });

  it('for another SKU is refused as movement_id_reused, naming the movement that holds the id, and applies nothing', async () => {
    await move(receipt('PO-1042', 'REUSE-A', 50));
    const [result] = await move(receipt('PO-1042', 'REUSE-B', 50));
    expect(result).toEqual({
      movementId: 'PO-1042',
      status: 'rejected',
      sku: 'REUSE-B',
      code: 'movement_id_reused',
      reason: expect.stringMatching(/^Movement id PO-1042 already holds a receipt of 50 × REUSE-A at wh-a, recorded \d{4}-.*PO-1042-1/),
      heldBy: { movementId: 'PO-1042', recordedAt: expect.any(String), type: 'receipt', sku: 'REUSE-A', locationId: 'wh-a', quantity: 50 },
    });
    await expect(getSkuInventory(world, 'REUSE-B')).rejects.toThrow(/no stock records/);
    expect(await onHand('REUSE-A')).toBe(50);
  });

  it.each([
    ['another quantity', receipt('ID-Q', 'REUSE-Q', 6)],
    ['another location', receipt('ID-Q', 'REUSE-Q', 5, { locationId: 'wh-b' })],
    ['another type', { type: 'return_restock', movementId: 'ID-Q', sku: 'REUSE-Q', locationId: 'wh-a', quantity: 5 } as MovementInput],
    ['another reference', receipt('ID-Q', 'REUSE-Q', 5, { reference: 'PO-2' })],
  ])('with %s is refused too', async (_case, movement) => {
    const [first] = await move(receipt('ID-Q', 'REUSE-Q', 5));
    expect(first?.status).toMatch(/applied|duplicate/);
    expect(await move(movement)).toMatchObject([{ status: 'rejected', code: 'movement_id_reused', heldBy: { sku: 'REUSE-Q', quantity: 5, locationId: 'wh-a' } }]);
    expect(await onHand('REUSE-Q')).toBe(5);
  });

  it('by concurrent movements: one is applied, every other one is refused, none is lost silently', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => move(receipt('RACE-1', `RACE-${i}`, i + 1))));
    const statuses = results.flat().map((r) => (r.status === 'rejected' ? r.code : r.status));
    expect(statuses.filter((s) => s === 'applied')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'movement_id_reused')).toHaveLength(7);
  });

  it('answers a single movement with 409 movement_id_reused whose details name the held movement, and a batch with a result each', async () => {
    expect((await post(receipt('PO-7-1', 'HTTP-A', 3))).status).toBe(201);
    expect(await post(receipt('PO-7-1', 'HTTP-A', 3))).toMatchObject({ status: 200, body: { results: [{ status: 'duplicate' }] } });
    const single = await post(receipt('PO-7-1', 'HTTP-B', 4));
    expect(single.status).toBe(409);
    expect(single.body).toMatchObject({
      error: {
        code: 'movement_id_reused',
        message: expect.stringContaining('a receipt of 3 × HTTP-A at wh-a'),
        details: [
          { in: 'body', path: 'movementId', code: 'movement_id_reused', message: expect.stringContaining('PO-7-1') },
          { path: 'heldBy.movementId', message: 'PO-7-1' },
          { path: 'heldBy.recordedAt', message: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) },
          { path: 'heldBy.type', message: 'receipt' },
          { path: 'heldBy.sku', message: 'HTTP-A' },
          { path: 'heldBy.locationId', message: 'wh-a' },
          { path: 'heldBy.quantity', message: '3' },
        ],
      },
    });
    const batch = await post({ movements: [receipt('PO-7-1', 'HTTP-A', 3), receipt('PO-7-1', 'HTTP-C', 9), receipt('PO-7-2', 'HTTP-C', 9)] });
    expect(batch).toMatchObject({
      status: 200,
      body: {
        results: [
          { status: 'duplicate' },
          { status: 'rejected', code: 'movement_id_reused', heldBy: { sku: 'HTTP-A', quantity: 3 } },
          { status: 'applied', sku: 'HTTP-C' },
        ],
      },
    });
    expect(await onHand('HTTP-C')).toBe(9);
  });
});

describe('a movement id held by a marker written before ids were compared', () => {
  it('is compared with the ledger entries of its SKU: the same movement is a duplicate, another quantity or location is refused', async () => {
    await move(receipt('OLD-1', 'LEGACY-1', 12, { reference: 'PO-9' }));
    await move({ type: 'transfer', movementId: 'OLD-2', sku: 'LEGACY-1', fromLocationId: 'wh-a', toLocationId: 'wh-b', quantity: 2 });
    await makeLegacy('OLD-1');
    await makeLegacy('OLD-2');
    expect(await move(receipt('OLD-1', 'LEGACY-1', 12, { reference: 'PO-9' }))).toMatchObject([{ status: 'duplicate' }]);
    expect(await move({ type: 'transfer', movementId: 'OLD-2', sku: 'LEGACY-1', fromLocationId: 'wh-a', toLocationId: 'wh-b', quantity: 2 })).toMatchObject([
      { status: 'duplicate' },
    ]);
    expect(await move(receipt('OLD-1', 'LEGACY-1', 13, { reference: 'PO-9' }))).toMatchObject([
      { status: 'rejected', code: 'movement_id_reused', heldBy: { movementId: 'OLD-1', type: 'receipt', sku: 'LEGACY-1', locationId: 'wh-a', quantity: 12, reference: 'PO-9' } },
    ]);
    expect(await move({ type: 'transfer', movementId: 'OLD-2', sku: 'LEGACY-1', fromLocationId: 'wh-b', toLocationId: 'wh-a', quantity: 2 })).toMatchObject([
      { status: 'rejected', code: 'movement_id_reused', heldBy: { type: 'transfer', fromLocationId: 'wh-a', toLocationId: 'wh-b', quantity: 2 } },
    ]);
    expect((await getSkuInventory(world, 'LEGACY-1')).locations.map((l) => [l.locationId, l.onHand])).toEqual([
      ['wh-a', 10],
      ['wh-b', 2],
    ]);
  });

  it('is taken to be the same movement when its ledger cannot tell (no entry under this SKU, or a count)', async () => {
    await move(receipt('OLD-3', 'LEGACY-3', 4), { type: 'cycle_count', movementId: 'OLD-4', sku: 'LEGACY-3', locationId: 'wh-b', onHand: 7 });
    await makeLegacy('OLD-3');
    await makeLegacy('OLD-4');
    expect(await move(receipt('OLD-3', 'LEGACY-OTHER', 4))).toMatchObject([{ status: 'duplicate' }]);
    expect(await move({ type: 'cycle_count', movementId: 'OLD-4', sku: 'LEGACY-3', locationId: 'wh-b', onHand: 8 })).toMatchObject([{ status: 'duplicate' }]);
    expect(await move({ type: 'cycle_count', movementId: 'OLD-4', sku: 'LEGACY-3', locationId: 'wh-a', onHand: 7 })).toMatchObject([
      { status: 'rejected', code: 'movement_id_reused' },
    ]);
    const ledger = await listSkuMovements(deps(), 'LEGACY-3', { limit: 10 });
    expect(ledger.items.map((m) => m.movementId).sort()).toEqual(['OLD-3', 'OLD-4']);
  });
});
