import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '#shared/domain/clock.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { BUILT_IN_RULE_SET, RuleSetInput, type RuleSet } from '#shared/domain/routing.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoOrderHoldRepository } from '#shared/store/order-hold-repository.ts';
import { createFulfillments } from '#shared/use-cases/fulfillment.ts';
import { holdOrder, releaseDueHolds, releaseOrderHold, type HoldDeps } from '#shared/use-cases/holds.ts';
import { confirmPayment } from '#shared/use-cases/payments.ts';
import { reserveOrder, type ReservationDeps } from '#shared/use-cases/reservations.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { TEST_TOKEN, allItems, useTestTable } from '../support/table.ts';

/**
 * Holds by a person and by routing rules on DynamoDB Local: a held order
 * reserves but gets no fulfillment; releasing it goes on where it stands;
 * two people at once → one wins, the other 409; a bad request writes nothing.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
let holdDeps: HoldDeps;
let reserveDeps: ReservationDeps;
let handlers: { hold: unknown; release: unknown };
/** A clock the test moves (the `until` sweep). */
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName, clock);
  reserveDeps = { ...world.deps, unpaidReservationMinutes: 60 };
  holdDeps = { orders: world.orders, holds: new DynamoOrderHoldRepository(db, tableName), fulfillments: world.fulfillments, clock };
  await world.location('wh-holds', { capabilities: ['ship', 'pickup'] });
  handlers = {
    hold: (await import('#functions/orders/hold-order.ts')).handler,
    release: (await import('#functions/orders/release-order-hold.ts')).handler,
  };
});

const auth = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' };
const post = (what: 'hold' | 'release', orderId: string, body: unknown, headers: Record<string, string> = {}) =>
  call(
    handlers[what],
    apiEvent({ method: 'POST', path: `/v1/orders/${orderId}/${what}`, routeKey: `POST /v1/orders/{orderId}/${what}`, pathParameters: { orderId }, headers: { ...auth, ...headers }, body: JSON.stringify(body) }),
  );

async function reservedOrder(sku = `HOLD-${newId()}`) {
  await world.receive(sku, 'wh-holds', 5);
  const order = await world.order([{ sku, quantity: 1 }]);
  expect((await reserveOrder(reserveDeps, { orderId: order.orderId, actor: 'test' })).outcome).toBe('reserved');
  return must(await world.orders.get(order.orderId));
}

const outbox = async (detailType: string, orderId: string) =>
  (await allItems(db, tableName)).filter((i) => i['entity'] === 'OutboxEvent' && i['detailType'] === detailType && String(i['detail']).includes(orderId)).map((i) => JSON.parse(String(i['detail'])) as { metadata: { actor: string }; data: Record<string, unknown> });
const timeline = async (orderId: string) => (await world.orders.timeline(orderId, { limit: 100 })).items;

describe('a hold by a person', () => {
  it('keeps the reserved stock, creates no fulfillment while held, and releasing it hands the order to its location', async () => {
    const order = await reservedOrder();
    const held = await post('hold', order.orderId, { reason: 'fraud_review', by: 'Ana Lima', note: 'Card used in three countries today' }, { 'if-match': `"${order.version}"` });
    expect(held).toMatchObject({ status: 200, headers: { etag: `"${order.version + 1}"` }, body: { status: 'reserved', fulfillmentHold: { reason: 'fraud_review', note: 'Card used in three countries today', placedBy: { type: 'person', name: 'Ana Lima' } } } });
    expect((await world.inventory.reservation(order.orderId))?.allocations).toEqual([expect.objectContaining({ locationId: 'wh-holds', quantity: 1 })]);

    // The fulfillOrder workflow's steps skip a held order: not charged, not handed to a location.
    expect(await confirmPayment(world.deps, { orderId: order.orderId, actor: 'test' })).toMatchObject({ outcome: 'skipped', reason: 'order is held (fraud_review)' });
    expect(await createFulfillments(world.deps, { orderId: order.orderId, actor: 'test' })).toMatchObject({ outcome: 'skipped' });
    expect(await world.fulfillments.forOrder(order.orderId)).toEqual([]);

    const [heldEvent] = await outbox('OrderHeld', order.orderId);
    expect(heldEvent).toMatchObject({ metadata: { actor: 'person:Ana Lima' }, data: { orderId: order.orderId, orderStatus: 'reserved', hold: { reason: 'fraud_review' } } });

    const released = await post('release', order.orderId, { by: 'Bo Chen', note: 'Customer confirmed by phone' });
    expect(released).toMatchObject({ status: 200, body: { status: 'reserved' } });
    expect((released.body as Record<string, unknown>)['fulfillmentHold']).toBeUndefined();
    const [releasedEvent] = await outbox('OrderReleased', order.orderId);
    expect(releasedEvent).toMatchObject({
      metadata: { actor: 'person:Bo Chen' },
      data: { released: 'hold', reason: 'fraud_review', releasedBy: { type: 'person', name: 'Bo Chen' }, note: 'Customer confirmed by phone', resumes: 'fulfillment' },
    });
    const entries = (await timeline(order.orderId)).filter((e) => e.type.startsWith('hold_'));
    expect(entries.map((e) => [e.type, e.actor])).toEqual([
      ['hold_placed', 'person:Ana Lima'],
      ['hold_released', 'person:Bo Chen'],
    ]);
    expect(entries[0]?.message).toContain('Card used in three countries today');
    expect(entries[1]?.message).toContain('Customer confirmed by phone');

    // What the OrderReleased rule starts: the workflow again, which now creates the fulfillment.
    expect((await confirmPayment(world.deps, { orderId: order.orderId, actor: 'test' })).outcome).toBe('confirmed');
    expect(await createFulfillments(world.deps, { orderId: order.orderId, actor: 'test' })).toMatchObject({ outcome: 'created', orderStatus: 'routed' });
  });

  it('is refused with 409 naming the open fulfillments of an order already at a location, and writes nothing', async () => {
    const { order, parcels } = await world.routedOrder([{ sku: `HOLD-${newId()}`, quantity: 1 }]);
    const before = await allItems(db, tableName);
    const response = await post('hold', order.orderId, { reason: 'address_review', by: 'Ana Lima' });
    expect(response).toMatchObject({ status: 409, body: { error: { code: 'fulfillment_open', details: [{ path: 'fulfillments', message: expect.stringContaining(must(parcels[0]).fulfillmentId) }] } } });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('answers bad requests with a 4xx naming the problem and writes nothing', async () => {
    const order = await reservedOrder();
    const cancelled = await world.order([{ sku: `HOLD-${newId()}`, quantity: 1 }], { channelState: 'cancelled' });
    const before = await allItems(db, tableName);
    const cases: [Promise<{ status: number; body: unknown }>, number, Record<string, unknown>][] = [
      [post('hold', newId(), { reason: 'fraud_review', by: 'Ana' }), 404, { code: 'not_found' }],
      [post('hold', order.orderId, { reason: 'fraud_review', by: 'Ana' }, { 'if-match': `"${order.version + 5}"` }), 412, { code: 'precondition_failed' }],
      [post('hold', order.orderId, { reason: 'fraud_review', by: 'Ana', until: new Date(Date.now() - 60_000).toISOString() }), 422, { details: [{ path: 'until' }] }],
      [post('hold', order.orderId, { reason: 'other', by: 'Ana' }), 422, { details: [{ path: 'note' }] }],
      [post('hold', order.orderId, { reason: 'bored', by: 'Ana' }), 422, { details: [{ path: 'reason' }] }],
      [post('hold', order.orderId, { reason: 'fraud_review' }), 422, { details: [{ path: 'by' }] }],
      [post('hold', cancelled.orderId, { reason: 'fraud_review', by: 'Ana' }), 409, { code: 'not_holdable' }],
      [post('release', order.orderId, { by: 'Ana' }), 409, { code: 'not_held' }],
      [post('release', newId(), { by: 'Ana' }), 404, { code: 'not_found' }],
    ];
    for (const [response, status, error] of cases) expect(await response).toMatchObject({ status, body: { error } });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('lets one of two people holding at once win; the other gets a 409, and likewise for releasing', async () => {
    const order = await reservedOrder();
    const input = (by: string) => ({ orderId: order.orderId, input: { reason: 'customer_request' as const, by } });
    const holds = await Promise.allSettled([holdOrder(holdDeps, input('Ana')), holdOrder(holdDeps, input('Bo'))]);
    expect(holds.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [lost] = holds.filter((r) => r.status === 'rejected');
    expect(lost?.reason).toBeInstanceOf(ConflictError);
    expect((lost?.reason as ConflictError).code).toBe('already_held');
    expect(await outbox('OrderHeld', order.orderId)).toHaveLength(1);

    const releases = await Promise.allSettled([releaseOrderHold(holdDeps, { orderId: order.orderId, input: { by: 'Ana' } }), releaseOrderHold(holdDeps, { orderId: order.orderId, input: { by: 'Bo' } })]);
    expect(releases.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [second] = releases.filter((r) => r.status === 'rejected');
    expect((second?.reason as ConflictError).code).toBe('not_held');
    expect(await outbox('OrderReleased', order.orderId)).toHaveLength(1);
  });

  it('ends by itself at `until`: the sweep releases it and forgets the release date', async () => {
    const order = await reservedOrder();
    const until = new Date(clock.now().getTime() + 3_600_000).toISOString();
    await holdOrder(holdDeps, { orderId: order.orderId, input: { reason: 'customer_request', by: 'Ana', note: 'Ship after the move', until } });
    const dateItem = () => allItems(db, tableName).then((items) => items.find((i) => i['PK'] === keys.holdRelease(order.orderId).PK && i['SK'] === keys.holdRelease(order.orderId).SK));
    expect(await dateItem()).toMatchObject({ ...keys.holdReleaseDue(until, order.orderId), until });

    expect((await releaseDueHolds(holdDeps)).released).not.toContain(order.orderId);
    offsetMs = 2 * 3_600_000;
    try {
      expect((await releaseDueHolds(holdDeps)).released).toContain(order.orderId);
    } finally {
      offsetMs = 0;
    }
    expect((await world.orders.get(order.orderId))?.fulfillmentHold).toBeUndefined();
    expect(await dateItem()).toBeUndefined();
    const [event] = await outbox('OrderReleased', order.orderId);
    expect(event).toMatchObject({ metadata: { actor: 'schedule:hold-release' }, data: { releasedBy: { type: 'schedule' }, resumes: 'fulfillment' } });
    expect((await timeline(order.orderId)).at(-1)).toMatchObject({ type: 'hold_released', actor: 'schedule:hold-release', message: expect.stringContaining(`at its release date, ${until}`) });
  });
});

describe('releasing a money review', () => {
  it('needs a note, then sends the order on to reservation as received', async () => {
    const sku = `HOLD-${newId()}`;
    await world.receive(sku, 'wh-holds', 2);
    const broken = await world.order([{ sku, quantity: 1 }], {
      totals: { subtotal: 100, discount: 0, shipping: 0, tax: 0, total: 5000, taxesIncluded: false },
    });
    expect(broken).toMatchObject({ status: 'on_hold', hold: { reason: 'money_review' } });
    const before = await allItems(db, tableName);
    expect(await post('release', broken.orderId, { by: 'Ana Lima' })).toMatchObject({ status: 422, body: { error: { details: [{ path: 'note' }] } } });
    expect(await allItems(db, tableName)).toEqual(before);

    const released = await post('release', broken.orderId, { by: 'Ana Lima', note: 'The channel total includes a gift card; checked with the shop' });
    expect(released).toMatchObject({ status: 200, body: { status: 'received' } });
    expect((released.body as Record<string, unknown>)['hold']).toBeUndefined();
    const [event] = await outbox('OrderReleased', broken.orderId);
    expect(event).toMatchObject({ data: { released: 'money_review', reason: 'money_review', resumes: 'reservation', orderStatus: 'received' } });
    expect((await timeline(broken.orderId)).at(-1)).toMatchObject({ type: 'hold_released', actor: 'person:Ana Lima', message: expect.stringContaining('gift card') });
    expect((await reserveOrder(reserveDeps, { orderId: broken.orderId, actor: 'test' })).outcome).toBe('reserved');
  });
});

describe('a hold by a routing rule', () => {
  const ruleSet = (holds: unknown): RuleSet => ({ ...BUILT_IN_RULE_SET, ...RuleSetInput.parse({ rules: BUILT_IN_RULE_SET.rules, holds }), ruleSetId: 'default' });

  it('holds an order above the value threshold in its currency: reserved, not handed to a location, explained in the decision', async () => {
    const deps = { ...reserveDeps, ruleSetFor: async () => ruleSet([{ ruleId: 'big-orders', condition: { type: 'order_value_above', amounts: { USD: 1000, EUR: 5 } } }]) };
    const sku = `HOLD-${newId()}`;
    await world.receive(sku, 'wh-holds', 20);
    const big = await world.order([{ sku, quantity: 11 }]);
    expect(big.currency).toBe('USD');
    expect(await reserveOrder(deps, { orderId: big.orderId, actor: 'inventory' })).toMatchObject({ outcome: 'reserved' });
    const stored = must(await world.orders.get(big.orderId));
    expect(stored).toMatchObject({ status: 'reserved', fulfillmentHold: { reason: 'high_value', placedBy: { type: 'rule', ruleSetId: 'default', ruleId: 'big-orders' } } });
    const decision = must((await world.inventory.reservation(big.orderId))?.routing);
    expect(decision.holdRules).toEqual([{ ruleId: 'big-orders', result: 'held', message: expect.stringMatching(/^The order is worth \$\d+\.\d\d, above the \$10\.00 threshold\.$/) }]);
    const [event] = await outbox('OrderHeld', big.orderId);
    expect(event).toMatchObject({ metadata: { actor: 'rule:default/big-orders' }, data: { orderStatus: 'reserved', hold: { reason: 'high_value' } } });
    expect(await createFulfillments({ ...world.deps, ruleSetFor: deps.ruleSetFor }, { orderId: big.orderId, actor: 'test' })).toMatchObject({ outcome: 'skipped' });

    // A small order under the same rules is not held, and the decision says why.
    const small = await world.order([{ sku, quantity: 1 }]);
    await reserveOrder(deps, { orderId: small.orderId, actor: 'inventory' });
    expect((await world.orders.get(small.orderId))?.fulfillmentHold).toBeUndefined();
    expect((await world.inventory.reservation(small.orderId))?.routing?.holdRules?.[0]).toMatchObject({ result: 'not_held' });
  });

  it('holds an order billed to another country than it ships to', async () => {
    const deps = { ...reserveDeps, ruleSetFor: async () => ruleSet([{ ruleId: 'mismatch', condition: { type: 'country_mismatch' } }]) };
    const sku = `HOLD-${newId()}`;
    await world.receive(sku, 'wh-holds', 2);
    const base = await world.order([{ sku, quantity: 1 }]);
    const abroad = await world.order([{ sku, quantity: 1 }], { billingAddress: { ...must(base.billingAddress), country: 'DE' } });
    await reserveOrder(deps, { orderId: abroad.orderId, actor: 'inventory' });
    expect(await world.orders.get(abroad.orderId)).toMatchObject({ status: 'reserved', fulfillmentHold: { reason: 'country_mismatch', note: 'Rule mismatch: Billed to DE, shipped to US.' } });
  });
});
