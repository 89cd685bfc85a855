import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { DynamoIdempotencyRepository } from '#shared/store/idempotency-repository.ts';
import { DynamoRefundRepository } from '#shared/store/refund-repository.ts';
import { DynamoReturnPolicyRepository, DynamoReturnRepository } from '#shared/store/return-repository.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { issueRefund } from '#shared/use-cases/refunds.ts';
import { recordTracking } from '#shared/use-cases/tracking.ts';
import {
  approveReturn,
  closeReturn,
  createReturnLabel,
  expireReturns,
  getReturn,
  listReturns,
  putReturnPolicy,
  receiveReturn,
  refundReturn,
  rejectReturn,
  requestReturn,
  restockReturn,
  settleReturn,
  type ReturnDeps,
} from '#shared/use-cases/returns.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { must } from '../support/fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * Returns on DynamoDB Local through the use cases: the policy's rules
 * (returnable units, reasons, window, approval), the order and return
 * timelines, the label and the carrier's scans, concurrency (one of two
 * staff wins), the receipt, restock and write-off, the refund, the close
 * and the expiry sweep — and every refused request writes nothing.
 */
let world: ReturnType<typeof fulfillmentWorld>;
let deps: ReturnDeps;
let db: Awaited<ReturnType<typeof useTestTable>>['db'];
let tableName: string;
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName, clock);
  const returns = new DynamoReturnRepository(db, tableName);
  const refundDeps = {
    orders: world.orders,
    fulfillments: world.fulfillments,
    refunds: new DynamoRefundRepository(db, tableName),
    invoices: world.invoices,
    providers: world.deps.providers,
    ruleSetFor: async () => BUILT_IN_RULE_SET,
    clock,
  };
  deps = {
    orders: world.orders,
    returns,
    policies: new DynamoReturnPolicyRepository(db, tableName),
    inventory: world.inventory,
    fulfillments: world.fulfillments,
    locations: world.locations,
    allLocations: async () => [must(await world.locations.get('wh-parcels')), must(await world.locations.get('returns-east'))],
    carriers: world.deps.carriers,
    documents: world.deps.documents,
    idempotency: new DynamoIdempotencyRepository(db, tableName),
    issueRefund: (command) => issueRefund(refundDeps, command),
    clock,
  };
  await world.location('returns-east', { capabilities: ['returns'] });
  await putReturnPolicy(deps, {
    policyId: 'default',
    input: {
      windowDays: 30,
      reasons: [
        { reason: 'damaged', needsApproval: true, restockingFee: false },
        { reason: 'size', needsApproval: false, restockingFee: false },
        { reason: 'changed_mind', needsApproval: false, restockingFee: true },
      ],
      returnShippingPaidBy: 'merchant',
      restockingFeePercent: 10,
      receivingLocation: { strategy: 'nearest' },
      receiveWithinDays: 14,
      refundShipping: false,
    },
    actor: 'test',
  });
}, 60_000);

async function shippedOrder(quantity = 2) {
  const { order, parcels } = await world.routedOrder([{ sku: `RT-${randomUUID().slice(0, 8)}`, quantity }]);
  const { applyFulfillmentEvent } = await import('#shared/use-cases/fulfillment.ts');
  await applyFulfillmentEvent(world.deps, { fulfillmentId: must(parcels[0]).fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
  const line = must(order.lines[0]);
  return { orderId: order.orderId, lineId: line.lineId, sku: line.sku };
}

const request = async (orderId: string, input: Record<string, unknown>, key = randomUUID()) => {
  const { ReturnRequestInput } = await import('#shared/domain/return.ts');
  const result = await requestReturn(deps, { orderId, input: ReturnRequestInput.parse(input), rawBody: input, idempotencyKey: key, actor: 'test' });
  return { status: result.status, body: JSON.parse(result.json) as { returnId: string; status: string } };
};

describe('returns on DynamoDB Local', () => {
  it('refuses over-returning, unknown lines, reasons outside the policy and a closed window, naming the field and writing nothing', async () => {
    const { orderId, lineId } = await shippedOrder(2);
    const before = await allItems(db, tableName);
    const refused = async (input: Record<string, unknown>) => {
      const error = await request(orderId, input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).details;
    };
    expect(await refused({ lines: [{ lineId, quantity: 3, reason: 'size' }] })).toEqual([expect.objectContaining({ path: 'lines.0.quantity', code: 'over_returned' })]);
    expect(await refused({ lines: [{ lineId: 'L77', quantity: 1, reason: 'size' }] })).toEqual([expect.objectContaining({ path: 'lines.0.lineId', code: 'unknown_line' })]);
    expect(await refused({ lines: [{ lineId, quantity: 1, reason: 'wrong_item' }] })).toEqual([expect.objectContaining({ path: 'lines.0.reason', code: 'unknown_reason' })]);
    offsetMs = 31 * 86_400_000;
    try {
      const details = await refused({ lines: [{ lineId, quantity: 1, reason: 'size' }] });
      expect(details).toEqual([expect.objectContaining({ code: 'return_window_closed', message: expect.stringMatching(/^Returns were accepted until \d{4}-/) })]);
    } finally {
      offsetMs = 0;
    }
    expect(await allItems(db, tableName)).toHaveLength(before.length);
  });

  it('refuses returning units that never shipped', async () => {
    const { order } = await world.routedOrder([{ sku: `RT-UNSHIPPED-${randomUUID().slice(0, 6)}`, quantity: 1 }]);
    const error = await request(order.orderId, { lines: [{ lineId: must(order.lines[0]).lineId, quantity: 1, reason: 'size' }] }).catch((e: unknown) => e);
    expect((error as ValidationError).details).toEqual([expect.objectContaining({ path: 'lines.0.quantity', code: 'not_shipped' })]);
  });

  it('takes a return through approval (one of two staff wins), label, scan, receipt, restock, write-off, refund and close, on both timelines', async () => {
    const { orderId, lineId, sku } = await shippedOrder(2);
    const { body } = await request(orderId, { lines: [{ lineId, quantity: 2, reason: 'damaged' }], customerNote: 'one cracked' });
    expect(body).toMatchObject({ returnId: `${orderId}-R1`, status: 'requested' });
    const returnId = body.returnId;

    const results = await Promise.allSettled([approveReturn(deps, { returnId, actor: 'ann' }), approveReturn(deps, { returnId, actor: 'bob' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);

    const label = await createReturnLabel(deps, { returnId, actor: 'test' });
    expect(label).toMatchObject({ outcome: 'created', trackingNumber: expect.stringMatching(/^(PC|SW)\d{12}$/) });
    expect(await createReturnLabel(deps, { returnId, actor: 'test' })).toMatchObject({ outcome: 'skipped', trackingNumber: label.trackingNumber });
    const record = await getReturn(deps, returnId);
    const scanned = await recordTracking({ ...world.deps, returns: deps.returns }, { carrierId: must(record.label).carrierId, trackingNumber: must(label.trackingNumber), status: 'in_transit', occurredAt: new Date().toISOString() });
    expect(scanned).toMatchObject({ outcome: 'applied', shipmentId: returnId });
    expect((await getReturn(deps, returnId)).status).toBe('in_transit');

    // Receipt: one unit resellable is not expressible per unit, so a line has one condition; this line is damaged.
    const receipt = { lines: [{ lineId, condition: 'damaged' as const }] };
    const receipts = await Promise.allSettled([receiveReturn(deps, { returnId, input: receipt, actor: 'ann' }), receiveReturn(deps, { returnId, input: receipt, actor: 'bob' })]);
    expect(receipts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const stockBefore = await world.inventory.stock(sku);
    expect(await restockReturn(deps, { returnId, actor: 'test' })).toMatchObject({ outcome: 'restocked', restocked: 0, writtenOff: 2 });
    expect(await restockReturn(deps, { returnId, actor: 'test' })).toMatchObject({ outcome: 'skipped' });
    const stockAfter = await world.inventory.stock(sku);
    expect(stockAfter.positions.reduce((s, p) => s + p.available, 0)).toBe(stockBefore.positions.reduce((s, p) => s + p.available, 0));

    expect(await closeReturn(deps, { returnId, actor: 'test' })).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/refund/) });
    const refunded = await refundReturn(deps, { returnId, actor: 'test' });
    expect(refunded).toMatchObject({ outcome: 'refunded', refundId: expect.any(String) });
    expect(await refundReturn(deps, { returnId, actor: 'test' })).toMatchObject({ outcome: 'skipped' });
    expect(await closeReturn(deps, { returnId, actor: 'test' })).toEqual({ outcome: 'closed' });
    const closed = await getReturn(deps, returnId);
    expect(closed.timeline.map((e) => e.type)).toEqual(['requested', 'approved', 'label_created', 'in_transit', 'received', 'restocked', 'refunded', 'closed']);
    const orderTimeline = (await world.orders.timeline(orderId, { limit: 100 })).items.map((e) => e.type);
    expect(orderTimeline).toEqual(expect.arrayContaining(['return_requested', 'return_approved', 'return_label_created', 'return_in_transit', 'return_received', 'return_restocked', 'return_refunded', 'return_closed']));

    // Approving or receiving a closed return: 409 naming its status, nothing written.
    const before = await allItems(db, tableName);
    await expect(approveReturn(deps, { returnId, actor: 'test' })).rejects.toMatchObject({ code: 'invalid_transition' });
    await expect(receiveReturn(deps, { returnId, input: receipt, actor: 'test' })).rejects.toMatchObject({ code: 'invalid_transition' });
    expect(await allItems(db, tableName)).toHaveLength(before.length);
  });

  it('settles a received return in one step (restock, refund, close) with one write of the return, and a retry after a crash in the middle restocks and refunds once', async () => {
    const { orderId, lineId, sku } = await shippedOrder(1);
    const { body } = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'size' }] });
    const returnId = body.returnId;
    const received = await receiveReturn(deps, { returnId, input: { lines: [{ lineId, condition: 'resellable' }] }, actor: 'test' });
    const returnItems = async () => (await allItems(db, tableName)).filter((i) => i['PK'] === `ORDER#${orderId}` && i['SK'] === `RETURN#${returnId}`);

    // The stock and the refund are done, then the return's write fails (the Lambda dies): nothing on the return moved.
    let crash = true;
    const crashing: ReturnDeps = {
      ...deps,
      returns: {
        ...deps.returns,
        get: (id) => deps.returns.get(id),
        ledger: (id) => deps.returns.ledger(id),
        save: async (...args) => {
          if (crash) {
            crash = false;
            throw new Error('Lambda timed out');
          }
          return deps.returns.save(...args);
        },
      },
    };
    await expect(settleReturn(crashing, { returnId, actor: 'test' })).rejects.toThrow('Lambda timed out');
    expect(must((await returnItems())[0])['version']).toBe(received.version);
    const afterCrash = (await world.inventory.stock(sku)).positions.find((p) => p.locationId === 'returns-east');
    expect(afterCrash).toMatchObject({ onHand: 1, available: 1 });

    // The workflow's retry finishes: the same movement and refund key move and refund nothing twice; the return is written once, closed.
    const settled = await settleReturn(crashing, { returnId, actor: 'test' });
    expect(settled).toMatchObject({ outcome: 'settled', restocked: 1, writtenOff: 0, refund: { refundId: expect.any(String), status: expect.any(String) } });
    expect((await world.inventory.stock(sku)).positions.find((p) => p.locationId === 'returns-east')).toMatchObject({ onHand: 1, available: 1 });
    const refunds = (await allItems(db, tableName)).filter((i) => i['PK'] === `ORDER#${orderId}` && i['entity'] === 'Refund');
    expect(refunds).toHaveLength(1);
    const [item] = await returnItems();
    expect(item).toMatchObject({ status: 'closed', version: received.version + 1, restockedAt: expect.any(String), closedAt: expect.any(String), refund: { refundId: must(refunds[0])['refundId'] } });
    const closed = await getReturn(deps, returnId);
    expect(closed.timeline.map((e) => e.type)).toEqual(['requested', 'approved', 'received', 'restocked', 'refunded', 'closed']);

    // Settled: a third run changes nothing.
    const before = await allItems(db, tableName);
    expect(await settleReturn(deps, { returnId, actor: 'test' })).toEqual({ outcome: 'skipped', reason: 'the return is closed' });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('records a carrier scan that does not change the return without writing the return item, once each, and shows every scan', async () => {
    const { orderId, lineId } = await shippedOrder(1);
    const { body } = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'size' }] });
    const returnId = body.returnId;
    const label = await createReturnLabel(deps, { returnId, actor: 'test' });
    const carrierId = must((await getReturn(deps, returnId)).label).carrierId;
    const scan = (status: 'in_transit' | 'out_for_delivery' | 'exception', occurredAt: string) =>
      recordTracking({ ...world.deps, returns: deps.returns }, { carrierId, trackingNumber: must(label.trackingNumber), status, occurredAt });
    const t0 = Date.now();
    expect(await scan('in_transit', new Date(t0).toISOString())).toMatchObject({ outcome: 'applied' });
    const moved = must(await deps.returns.get(returnId));
    expect(moved).toMatchObject({ status: 'in_transit', version: 3 });

    const before = await allItems(db, tableName);
    expect(await scan('out_for_delivery', new Date(t0 + 60_000).toISOString())).toMatchObject({ outcome: 'recorded' });
    const after = await allItems(db, tableName);
    // Two new items: the scan and its timeline entry; the return item is as it was.
    expect(after).toHaveLength(before.length + 2);
    expect(must(await deps.returns.get(returnId))).toEqual(moved);
    expect(after.filter((i) => String(i['SK']).startsWith(`RETURNSCAN#${returnId}#`)).map((i) => i['status'])).toEqual(['in_transit', 'out_for_delivery']);

    // The same scan again (a carrier's retry), or the first one again: unchanged, nothing written.
    expect(await scan('out_for_delivery', new Date(t0 + 60_000).toISOString())).toMatchObject({ outcome: 'unchanged' });
    expect(await scan('in_transit', new Date(t0).toISOString())).toMatchObject({ outcome: 'unchanged' });
    expect(await allItems(db, tableName)).toHaveLength(after.length);

    const details = await getReturn(deps, returnId);
    expect(details.tracking).toEqual({ status: 'out_for_delivery', events: [{ status: 'in_transit', at: new Date(t0).toISOString() }, { status: 'out_for_delivery', at: new Date(t0 + 60_000).toISOString() }] });
    expect(details.timeline.map((e) => e.type)).toEqual(['requested', 'approved', 'label_created', 'in_transit', 'tracking']);
  });

  it('restocks resellable units to available at the receiving location', async () => {
    const { orderId, lineId, sku } = await shippedOrder(1);
    const { body } = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'size' }] });
    expect(body.status).toBe('approved');
    await receiveReturn(deps, { returnId: body.returnId, input: { lines: [{ lineId, condition: 'resellable' }] }, actor: 'test' });
    await restockReturn(deps, { returnId: body.returnId, actor: 'test' });
    const stock = await world.inventory.stock(sku);
    expect(stock.positions.find((p) => p.locationId === 'returns-east')).toMatchObject({ onHand: 1, available: 1 });
  });

  it('refuses a receipt naming a line not in the return, or leaving one out, and writes nothing', async () => {
    const { orderId, lineId } = await shippedOrder(1);
    const { body } = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'size' }] });
    const before = await allItems(db, tableName);
    const error = await receiveReturn(deps, { returnId: body.returnId, input: { lines: [{ lineId: 'L9', condition: 'resellable' }] }, actor: 'test' }).catch((e: unknown) => e);
    expect((error as ValidationError).details.map((d) => d.path)).toEqual(['lines.0.lineId', 'lines']);
    expect(await allItems(db, tableName)).toHaveLength(before.length);
  });

  it('gives a rejected or expired return\'s units back, and the expiry sweep closes approved returns nothing came back for', async () => {
    const { orderId, lineId } = await shippedOrder(1);
    const first = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'damaged' }] });
    await rejectReturn(deps, { returnId: first.body.returnId, reason: 'Photo shows no damage', actor: 'test' });
    const second = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'size' }] });
    expect(second.body).toMatchObject({ returnId: `${orderId}-R2`, status: 'approved' });
    offsetMs = 15 * 86_400_000;
    try {
      const { expired } = await expireReturns(deps, { actor: 'test', hoursBack: 24 * 16 });
      expect(expired).toContain(second.body.returnId);
    } finally {
      offsetMs = 0;
    }
    expect((await getReturn(deps, second.body.returnId)).status).toBe('expired');
    const third = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'size' }] });
    expect(third.body.returnId).toBe(`${orderId}-R3`);
    const listed = await listReturns(deps, { orderId }, { limit: 10 });
    expect(listed.items.map((r) => r.status)).toEqual(['rejected', 'expired', 'approved']);
    const byStatus = await listReturns(deps, { status: 'expired' }, { limit: 100 });
    expect(byStatus.items.map((r) => r.returnId)).toContain(second.body.returnId);
    await expect(listReturns(deps, { status: 'expired' }, { limit: 1, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(ValidationError);
    await expect(getReturn(deps, 'nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('replays the first answer for the same Idempotency-Key and refuses the key with another body', async () => {
    const { orderId, lineId } = await shippedOrder(2);
    const key = randomUUID();
    const first = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'size' }] }, key);
    expect(await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'size' }] }, key)).toEqual(first);
    await expect(request(orderId, { lines: [{ lineId, quantity: 2, reason: 'size' }] }, key)).rejects.toMatchObject({ code: 'idempotency_key_reused' });
  });
});
