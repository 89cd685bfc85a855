import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OrderDraft } from '#shared/domain/order.ts';
import { ReturnRequestInput } from '#shared/domain/return.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { DynamoIdempotencyRepository } from '#shared/store/idempotency-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoRefundRepository } from '#shared/store/refund-repository.ts';
import { DynamoReturnPolicyRepository, DynamoReturnRepository } from '#shared/store/return-repository.ts';
import { applyFulfillmentEvent } from '#shared/use-cases/fulfillment.ts';
import { issueRefund } from '#shared/use-cases/refunds.ts';
import { createReturnLabel, getReturn, putReturnPolicy, receiveReturn, refundReturn, requestReturn, restockReturn, type ReturnDeps } from '#shared/use-cases/returns.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { must } from '../support/fixtures.ts';
import { useTestTable } from '../support/table.ts';

/**
 * What a return costs to write, and the money that must stay exact while
 * it is cut: the return item stays small (its label document in an item of
 * its own, its history read from the order's timeline) because every step
 * rewrites it into two list indexes; the restocking fee of a later return
 * of the same line is a percentage of exactly what that refund gives back.
 */
let world: ReturnType<typeof fulfillmentWorld>;
let deps: ReturnDeps;
let db: Awaited<ReturnType<typeof useTestTable>>['db'];
let tableName: string;
let refunds: DynamoRefundRepository;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
  refunds = new DynamoRefundRepository(db, tableName);
  const refundDeps = { orders: world.orders, fulfillments: world.fulfillments, refunds, invoices: world.invoices, providers: world.deps.providers, ruleSetFor: async () => BUILT_IN_RULE_SET, clock: world.deps.clock };
  deps = {
    orders: world.orders,
    returns: new DynamoReturnRepository(db, tableName),
    policies: new DynamoReturnPolicyRepository(db, tableName),
    inventory: world.inventory,
    fulfillments: world.fulfillments,
    locations: world.locations,
    allLocations: async () => [must(await world.locations.get('wh-parcels')), must(await world.locations.get('returns-east'))],
    carriers: world.deps.carriers,
    documents: world.deps.documents,
    idempotency: new DynamoIdempotencyRepository(db, tableName),
    issueRefund: (command) => issueRefund(refundDeps, command),
    clock: world.deps.clock,
  };
  await world.location('returns-east', { capabilities: ['returns'], geo: { lat: 42.36, lon: -71.06 } });
  await putReturnPolicy(deps, {
    policyId: 'default',
    input: {
      windowDays: 30,
      reasons: [
        { reason: 'damaged', needsApproval: false, restockingFee: false },
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

/** A shipped order of one line; `line` overrides its price, discount and tax (the order's totals follow). */
async function shippedOrder(quantity: number, line: { unitPrice: number; discount: number; tax: number } = { unitPrice: 100, discount: 0, tax: 0 }) {
  const sku = `RC-${randomUUID().slice(0, 8)}`;
  const subtotal = line.unitPrice * quantity;
  const overrides: Partial<OrderDraft> = {
    lines: [{ lineId: 'L1', sku, title: sku, quantity, unitPrice: line.unitPrice, subtotal, discount: line.discount, tax: line.tax, requiresShipping: true }],
  };
  const base = await world.order([{ sku, quantity }]);
  overrides.totals = { subtotal, discount: line.discount, shipping: base.totals.shipping, tax: line.tax + base.shipping.tax, total: subtotal - line.discount + line.tax + base.totals.shipping + base.shipping.tax, taxesIncluded: false };
  const { order, parcels } = await world.routedOrder([{ sku, quantity }], overrides);
  await applyFulfillmentEvent(world.deps, { fulfillmentId: must(parcels[0]).fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
  return { orderId: order.orderId, lineId: must(order.lines[0]).lineId };
}

async function request(orderId: string, input: Record<string, unknown>): Promise<string> {
  const result = await requestReturn(deps, { orderId, input: ReturnRequestInput.parse(input), rawBody: input, idempotencyKey: randomUUID(), actor: 'test' });
  return (JSON.parse(result.json) as { returnId: string }).returnId;
}

/** Size of a stored item as DynamoDB bills it (attribute names and values). */
function billedSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(value).replace(/^-/, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + billedSize(v) + 1, 3);
  return Object.entries(value as Record<string, unknown>).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + billedSize(v) + 1, 3);
}

describe('the cost of a return, on DynamoDB Local', () => {
  it('takes the restocking fee of a later return of the same line from exactly what that refund gives back', async () => {
    // 3 units at 1000 with a discount of 2: the units' shares of the discount are 0, 1 and 1 (cumulative floors), so they are worth 1000, 999 and 999.
    const { orderId, lineId } = await shippedOrder(3, { unitPrice: 1000, discount: 2, tax: 0 });
    for (let i = 0; i < 2; i++) {
      const returnId = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'changed_mind' }] });
      await receiveReturn(deps, { returnId, input: { lines: [{ lineId, condition: 'resellable' }] }, actor: 'test' });
      await restockReturn(deps, { returnId, actor: 'test' });
      await refundReturn(deps, { returnId, actor: 'test' });
    }
    const made = await refunds.forOrder(orderId);
    expect(made.map((r) => r.lines.reduce((sum, l) => sum + l.amount, 0))).toEqual([1000, 999]);
    // 10 % of each refund's own lines: 100, then 99 — not 100 again (the first unit's value), which would refund 899.
    expect(made.map((r) => r.fee)).toEqual([100, 99]);
    expect(made.map((r) => r.amount)).toEqual([900, 900]);
    for (const r of made) expect(r.fee).toBe(Math.floor((r.lines.reduce((sum, l) => sum + l.amount, 0) * 10) / 100));
  });

  it('keeps the label document and the history out of the return item every step rewrites (under 2 KB, from 3–4 KB)', async () => {
    const { orderId, lineId } = await shippedOrder(1);
    const returnId = await request(orderId, { lines: [{ lineId, quantity: 1, reason: 'damaged' }], customerNote: 'The handle came off' });
    expect(await createReturnLabel(deps, { returnId, actor: 'test' })).toMatchObject({ outcome: 'created' });
    await receiveReturn(deps, { returnId, input: { lines: [{ lineId, condition: 'damaged' }] }, actor: 'test' });
    await restockReturn(deps, { returnId, actor: 'test' });
    await refundReturn(deps, { returnId, actor: 'test' });

    const stored = must((await db.send(new GetCommand({ TableName: tableName, Key: keys.return(orderId, returnId) }))).Item);
    expect(stored['timeline']).toBeUndefined();
    expect(stored['label']).toMatchObject({ labelFormat: 'ZPL', trackingNumber: expect.any(String) });
    expect((stored['label'] as Record<string, unknown>)['label']).toBeUndefined();
    expect(billedSize(stored)).toBeLessThan(2048);
    // The label document is in the document store, under the return's key, and in no item of the table.
    expect((stored['label'] as Record<string, unknown>)['labelRef']).toBe(`labels/${orderId}/${returnId}.zpl`);
    expect((await db.send(new GetCommand({ TableName: tableName, Key: keys.returnLabel(orderId, returnId) }))).Item).toBeUndefined();
    const document = must(await deps.documents.get(`labels/${orderId}/${returnId}.zpl`));
    expect(new TextDecoder().decode(document.body)).toMatch(/^\^XA/);
    expect(document.contentType).toBe('text/plain; charset=utf-8');

    // GET /v1/returns/{id} reads the whole return: the label document (from the store) and the history, from the order's timeline entries about it.
    const whole = await getReturn(deps, returnId);
    expect(whole.label?.label).toBe(new TextDecoder().decode(document.body));
    expect(whole.timeline.map((e) => e.type)).toEqual(['requested', 'approved', 'label_created', 'received', 'restocked', 'refunded']);
    expect(whole.timeline[0]?.message).toContain(`Return ${returnId} requested`);
    // The steps' own read is the small item.
    expect(await deps.returns.get(returnId)).toMatchObject({ timeline: [], label: { trackingNumber: whole.label?.trackingNumber } });
    expect((await deps.returns.get(returnId))?.label?.label).toBeUndefined();
  });
});
