import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { paymentProviders } from '#shared/adapters/dependencies.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { PaymentProviderError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import type { Order, OrderDraft } from '#shared/domain/order.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import type { PaymentProvider } from '#shared/ports.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoRefundRepository } from '#shared/store/refund-repository.ts';
import { applyFulfillmentEvent } from '#shared/use-cases/fulfillment.ts';
import { issueInvoice } from '#shared/use-cases/invoices.ts';
import { capturePayment } from '#shared/use-cases/payments.ts';
import { finishPendingRefunds, issueRefund, type RefundDeps } from '#shared/use-cases/refunds.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { TEST_TOKEN, allItems, useTestTable } from '../support/table.ts';

/**
 * Provider refunds that nobody finished: the deadline sweep finishes a
 * refund still pending a minute after it was recorded (same per-capture
 * idempotency keys: refunded once), a provider that refuses for good makes
 * it `failed` and gives the amount back to the payment's limit, and the
 * goodwill route answers a provider's failure 503/502, never 500.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
let deps: RefundDeps;
let handler: unknown;
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName, clock);
  deps = {
    orders: world.orders,
    fulfillments: world.fulfillments,
    refunds: new DynamoRefundRepository(db, tableName),
    invoices: world.invoices,
    providers: world.deps.providers,
    ruleSetFor: async () => BUILT_IN_RULE_SET,
    clock,
  };
  handler = (await import('#functions/refunds/create-refund.ts')).handler;
});

afterEach(() => {
  offsetMs = 0;
  vi.restoreAllMocks();
});

const sandbox = () => must(world.deps.providers['sandbox']);
const providerPaid: Partial<OrderDraft> = { payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' } };

/** A card-paid order of `quantity` units (100 each), shipped, captured and invoiced. */
async function shippedAndInvoiced(quantity = 2): Promise<Order> {
  const { order, parcels } = await world.routedOrder([{ sku: `PR-${newId()}`, quantity }], { ...providerPaid, channel: { channelId: 'web', channelType: 'web', externalOrderId: newId() } });
  const parcel = must(parcels[0]);
  await applyFulfillmentEvent(world.deps, { fulfillmentId: parcel.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
  await capturePayment(world.deps, { orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines, actor: 'test' });
  await issueInvoice(world.deps, { orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines, orderStatus: 'shipped', actor: 'test' });
  return must(await world.orders.get(order.orderId));
}

/** A provider whose refunds fail with `error` (after refunding at the provider when `after` is true: its answer is lost). */
function failing(error: Error, options: { after?: boolean } = {}): PaymentProvider {
  const real = sandbox();
  return {
    authorize: (r) => real.authorize(r),
    capture: (r) => real.capture(r),
    void: (r) => real.void(r),
    refund: async (request) => {
      if (options.after) await real.refund(request);
      throw error;
    },
  };
}

async function refundItem(orderId: string, key: string) {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: keys.refund(orderId, key), ConsistentRead: true }));
  return must(Item);
}

async function captureAtProvider(captureId: string) {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: keys.sandboxAuthorization(captureId), ConsistentRead: true }));
  return must(Item);
}

async function eventsOf(orderId: string, detailType: string) {
  return (await allItems(db, tableName))
    .filter((i) => i['entity'] === 'OutboxEvent' && i['detailType'] === detailType)
    .map((i) => JSON.parse(String(i['detail'])) as { metadata: { actor: string }; data: Record<string, unknown> })
    .filter((e) => e.data['orderId'] === orderId);
}

async function sweepAfter(ms: number) {
  offsetMs = ms;
  try {
    return await finishPendingRefunds(deps);
  } finally {
    offsetMs = 0;
  }
}

describe('a provider refund left pending', () => {
  it('is filed for the sweep while pending, finished by the sweep after a minute with the same idempotency keys — refunded once — and leaves the index', async () => {
    const order = await shippedAndInvoiced();
    const command = { orderId: order.orderId, key: `goodwill:${newId()}`, kind: 'goodwill' as const, reason: 'late', amount: 150, actor: 'test' };
    // The provider refunds but its answer is lost; nobody calls again with the key.
    const error = await issueRefund({ ...deps, providers: { sandbox: failing(new Error('socket hang up'), { after: true }) } }, command).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentProviderError);
    expect(error).toMatchObject({ code: 'payment_provider_unavailable', retryable: true });
    expect((error as Error).message).toContain('socket hang up');
    const pending = await refundItem(order.orderId, command.key);
    expect(pending).toMatchObject({ status: 'pending', amount: 150 });
    const due = new Date(Date.parse(String(pending['createdAt'])) + 60_000).toISOString();
    expect(pending).toMatchObject(keys.pendingRefundDue(due, order.orderId, String(pending['refundId'])));
    expect(must(await world.fulfillments.payment(order.orderId)).refunded).toBe(150);

    // Not a minute old yet: the sweep leaves it to its caller.
    expect((await finishPendingRefunds(deps)).refunded).not.toContain(pending['refundId']);
    expect((await refundItem(order.orderId, command.key))['status']).toBe('pending');

    const swept = await sweepAfter(2 * 60_000);
    expect(swept.refunded).toContain(pending['refundId']);
    const done = await refundItem(order.orderId, command.key);
    expect(done).toMatchObject({ status: 'refunded', amount: 150, creditNoteId: expect.any(String) });
    expect(done['GSI2PK']).toBeUndefined();
    expect(done['GSI2SK']).toBeUndefined();
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment.refunded).toBe(150);
    // The provider refunded the capture once, though it was called twice with the key.
    expect((await captureAtProvider(must(payment.captures[0]).captureId))['refunded']).toBe(150);
    const issued = await eventsOf(order.orderId, 'RefundIssued');
    expect(issued).toHaveLength(1);
    expect(issued[0]?.metadata.actor).toBe('schedule:refund-sweep');
    // Done: the next sweeps find nothing of it.
    expect(Object.values(await sweepAfter(3 * 60_000)).flat()).not.toContain(pending['refundId']);
  });

  it('stays pending while the provider cannot answer, filed again under the sweep’s hour for the next run', async () => {
    const order = await shippedAndInvoiced();
    const command = { orderId: order.orderId, key: `goodwill:${newId()}`, kind: 'goodwill' as const, reason: 'late', amount: 40, actor: 'test' };
    await expect(issueRefund({ ...deps, providers: { sandbox: failing(new Error('ECONNRESET')) } }, command)).rejects.toMatchObject({ code: 'payment_provider_unavailable' });
    const { refundId } = await refundItem(order.orderId, command.key);
    const later = 3 * 3_600_000;
    offsetMs = later;
    const swept = await finishPendingRefunds({ ...deps, providers: { sandbox: failing(new Error('ECONNRESET')) } });
    const now = new Date(Date.now() + later).toISOString();
    expect(swept.stillPending).toContain(refundId);
    const item = await refundItem(order.orderId, command.key);
    expect(item['status']).toBe('pending');
    expect(String(item['GSI2PK'])).toBe(`REFUNDPENDING#${now.slice(0, 13)}`);
    // The provider is back: the next run finishes it.
    offsetMs = later + 5 * 60_000;
    expect((await finishPendingRefunds(deps)).refunded).toContain(refundId);
    expect((await refundItem(order.orderId, command.key))['status']).toBe('refunded');
  });

  it('becomes failed when the provider refuses it for good: the amount goes back to the payment’s limit in the same transaction, the refund says why, timeline and RefundFailed', async () => {
    const order = await shippedAndInvoiced();
    const before = must(await world.fulfillments.payment(order.orderId));
    const captureId = must(before.captures[0]).captureId;
    const command = { orderId: order.orderId, key: `goodwill:${newId()}`, kind: 'goodwill' as const, reason: 'late', amount: 60, actor: 'test' };
    await expect(issueRefund({ ...deps, providers: { sandbox: failing(new Error('ETIMEDOUT')) } }, command)).rejects.toMatchObject({ code: 'payment_provider_unavailable' });
    expect(must(await world.fulfillments.payment(order.orderId)).refunded).toBe(60);
    // Meanwhile the capture was refunded in full at the provider (its dashboard): it refuses anything more.
    await sandbox().refund({ captureId, amount: before.captured, idempotencyKey: `dashboard:${newId()}` });

    const swept = await sweepAfter(2 * 60_000);
    const failed = await refundItem(order.orderId, command.key);
    expect(swept.failed).toContain(failed['refundId']);
    expect(failed).toMatchObject({ status: 'failed', amount: 60, failure: { code: 'amount_too_large', notRefunded: 60 }, creditNote: 'The provider refused the refund: no credit note' });
    expect(String((failed['failure'] as { message: string }).message)).toContain('would exceed the captured');
    expect((failed['providerRefunds'] as { declined?: unknown }[])[0]?.declined).toMatchObject({ code: 'amount_too_large' });
    expect(failed['GSI2PK']).toBeUndefined();
    expect(failed['creditNoteId']).toBeUndefined();
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment.refunded).toBe(0);
    expect(payment.captures[0]?.refunded ?? 0).toBe(0);
    expect(payment.version).toBe(before.version + 2);
    const entry = (await world.orders.timeline(order.orderId, { limit: 100 })).items.find((e) => e.type === 'refund_failed');
    expect(entry?.message).toContain('refused by sandbox');
    expect(entry?.message).toContain('(amount_too_large)');
    expect(await eventsOf(order.orderId, 'RefundIssued')).toEqual([]);
    expect(await eventsOf(order.orderId, 'RefundFailed')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ refundId: failed['refundId'], amount: 60, notRefunded: 60, code: 'amount_too_large', provider: 'sandbox' }) }),
    ]);
    // The same key answers the failed refund; nothing more is written.
    const items = await allItems(db, tableName);
    expect(await issueRefund(deps, command)).toMatchObject({ status: 'failed', refundId: failed['refundId'] });
    expect(await allItems(db, tableName)).toEqual(items);
  });
});

describe('POST /v1/orders/{orderId}/refunds when the provider fails', () => {
  const post = (orderId: string, key: string, body: unknown) =>
    call(
      handler,
      apiEvent({
        method: 'POST',
        path: `/v1/orders/${orderId}/refunds`,
        routeKey: 'POST /v1/orders/{orderId}/refunds',
        pathParameters: { orderId },
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      }),
    );

  it('answers 503 with the error body while the provider cannot answer (the refund stays pending for the sweep), then 201 when the same request comes back', async () => {
    const order = await shippedAndInvoiced();
    vi.spyOn(must(paymentProviders()['sandbox']), 'refund').mockRejectedValueOnce(new Error('connect ECONNREFUSED'));
    const key = `gw-${newId()}`;
    const unavailable = await post(order.orderId, key, { amount: 30, reason: 'late' });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('30');
    expect(unavailable.body).toMatchObject({ error: { code: 'payment_provider_unavailable', message: expect.stringContaining('stays pending'), details: [{ path: 'refundId' }] } });
    expect((await refundItem(order.orderId, `goodwill:${key}`))['status']).toBe('pending');

    const again = await post(order.orderId, key, { amount: 30, reason: 'late' });
    expect(again).toMatchObject({ status: 201, body: { status: 'refunded', amount: 30 } });
    expect(must(await world.fulfillments.payment(order.orderId)).refunded).toBe(30);
  });

  it('answers 502 refund_failed naming the provider’s code when it refuses for good, the same for the same key, writing nothing the second time', async () => {
    const order = await shippedAndInvoiced();
    const payment = must(await world.fulfillments.payment(order.orderId));
    await sandbox().refund({ captureId: must(payment.captures[0]).captureId, amount: payment.captured, idempotencyKey: `dashboard:${newId()}` });
    const key = `gw-${newId()}`;
    const refused = await post(order.orderId, key, { amount: 30, reason: 'late' });
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ error: { code: 'refund_failed', details: [{ in: 'body', path: 'amount', code: 'amount_too_large' }] } });
    expect((refused.body as { error: { message: string } }).error.message).toContain('can be refunded again');
    expect(must(await world.fulfillments.payment(order.orderId)).refunded).toBe(0);
    const items = await allItems(db, tableName);
    const replay = await post(order.orderId, key, { amount: 30, reason: 'late' });
    expect(replay.status).toBe(502);
    expect((replay.body as { error: unknown }).error).toMatchObject({ code: 'refund_failed', message: (refused.body as { error: { message: string } }).error.message });
    expect((await allItems(db, tableName)).filter((i) => i['entity'] !== 'Idempotency')).toEqual(items.filter((i) => i['entity'] !== 'Idempotency'));
  });
});
