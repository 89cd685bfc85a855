import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { formatMoney } from '#shared/domain/money.ts';
import type { Order, OrderDraft } from '#shared/domain/order.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoRefundRepository } from '#shared/store/refund-repository.ts';
import { DynamoIdempotencyRepository } from '#shared/store/idempotency-repository.ts';
import { issueInvoice } from '#shared/use-cases/invoices.ts';
import { capturePayment } from '#shared/use-cases/payments.ts';
import { issueRefund, refundsOfOrder, requestGoodwillRefund, type RefundDeps } from '#shared/use-cases/refunds.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { must } from '../support/fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

/** Refunds and credit notes against DynamoDB Local: exact money, once per key, never more than was taken. */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
let deps: RefundDeps;
/** A series of its own, so the numbers this file sees are its own. */
const SERIES = `CNT${newId().slice(-6)}`;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
  const ruleSet = { ...BUILT_IN_RULE_SET, invoicing: { ...BUILT_IN_RULE_SET.invoicing, creditNoteSeries: SERIES } };
  deps = {
    orders: world.orders,
    fulfillments: world.fulfillments,
    refunds: new DynamoRefundRepository(db, tableName),
    invoices: world.invoices,
    providers: world.deps.providers,
    ruleSetFor: async () => ruleSet,
    clock: world.deps.clock,
  };
});

const providerPaid: Partial<OrderDraft> = {
  channel: { channelId: 'web', channelType: 'web', externalOrderId: newId() },
  payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
};

/** An order of `quantity` units in one parcel, shipped, captured (provider orders) and invoiced, as completeShipment does it. */
async function shippedAndInvoiced(overrides: Partial<OrderDraft>, quantity = 1): Promise<Order> {
  const { order, parcels } = await world.routedOrder([{ sku: `RF-${newId()}`, quantity }], { ...overrides, ...(overrides.channel ? { channel: { ...overrides.channel, externalOrderId: newId() } } : {}) });
  const parcel = must(parcels[0]);
  const { applyFulfillmentEvent } = await import('#shared/use-cases/fulfillment.ts');
  await applyFulfillmentEvent(world.deps, { fulfillmentId: parcel.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
  await capturePayment(world.deps, { orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines, actor: 'test' });
  await issueInvoice(world.deps, { orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines, orderStatus: 'shipped', actor: 'test' });
  return must(await world.orders.get(order.orderId));
}

async function eventsOf(orderId: string) {
  return (await allItems(db, tableName))
    .filter((i) => i['entity'] === 'OutboxEvent')
    .map((i) => JSON.parse(String(i['detail'])) as { data: Record<string, unknown> })
    .filter((e) => e.data['orderId'] === orderId);
}

async function timelineOf(orderId: string) {
  return (await world.orders.timeline(orderId, { limit: 100 })).items;
}

describe('a refund through the payment provider', () => {
  it('refunds the returned unit and shipping from the capture, records it on the payment, issues a credit note, and answers the same key with the same refund, writing nothing', async () => {
    const order = await shippedAndInvoiced(providerPaid, 2);
    const sku = must(order.lines[0]).sku;
    const before = must(await world.fulfillments.payment(order.orderId));
    const refund = await issueRefund(deps, { orderId: order.orderId, key: `return:R-${order.orderId}`, kind: 'return', returnId: `R-${order.orderId}`, reason: 'damaged', lines: [{ sku, quantity: 1 }], shipping: true, fee: 10, actor: 'test' });
    const unit = 100;
    const shipping = order.totals.shipping + order.shipping.tax;
    expect(refund).toMatchObject({ status: 'refunded', mode: 'provider', provider: 'sandbox', amount: unit + shipping - 10, fee: 10, kind: 'return', returnId: `R-${order.orderId}` });
    expect(refund.providerRefunds).toHaveLength(1);
    expect(refund.providerRefunds[0]).toMatchObject({ captureId: must(before.captures[0]).captureId, amount: refund.amount, idempotencyKey: `refund:${order.orderId}:return:R-${order.orderId}:${must(before.captures[0]).captureId}` });
    expect(refund.providerRefunds[0]?.refundId).toMatch(/^sbx_ref_/);
    // The provider's own record of the capture says the same.
    const { Item: capture } = await db.send(new GetCommand({ TableName: tableName, Key: keys.sandboxAuthorization(must(before.captures[0]).captureId) }));
    expect(capture?.['refunded']).toBe(refund.amount);
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment).toMatchObject({ refunded: refund.amount, version: before.version + 1 });
    expect(payment.captures[0]?.refunded).toBe(refund.amount);

    const note = must(await deps.refunds.creditNote(must(refund.creditNoteId)));
    const [invoice] = await world.invoices.forOrder(order.orderId);
    expect(note).toMatchObject({ series: SERIES, orderId: order.orderId, refundId: refund.refundId, invoiceIds: [must(invoice).invoiceId], totals: { total: refund.amount, fee: 10, shipping: order.totals.shipping } });
    expect(note.lines).toEqual([expect.objectContaining({ sku, quantity: 1, amount: unit })]);
    expect(await deps.refunds.creditNotesOf(order.orderId)).toEqual([note]);

    const types = (await timelineOf(order.orderId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['refund_started', 'refund_issued', 'credit_note_issued']));
    const issued = (await timelineOf(order.orderId)).find((e) => e.type === 'refund_issued');
    expect(issued?.message).toContain(`Refund of ${formatMoney(refund.amount, order.currency)} (return: damaged; 1 × ${sku}; fee ${formatMoney(10, order.currency)} kept) refunded through sandbox; credit note ${note.creditNoteId}.`);
    const events = await eventsOf(order.orderId);
    expect(events.filter((e) => e.data['refundId'] === refund.refundId).map((e) => ('creditNoteId' in e.data && 'series' in e.data ? 'CreditNoteIssued' : 'RefundIssued')).sort()).toEqual(['CreditNoteIssued', 'RefundIssued']);

    const items = await allItems(db, tableName);
    const again = await issueRefund(deps, { orderId: order.orderId, key: `return:R-${order.orderId}`, kind: 'return', reason: 'damaged', lines: [{ sku, quantity: 1 }], shipping: true, fee: 10, actor: 'test' });
    expect(again).toEqual(refund);
    expect(await allItems(db, tableName)).toEqual(items);

    // The second unit: its share, no shipping again (already refunded), and then nothing is left.
    const second = await issueRefund(deps, { orderId: order.orderId, key: `return:R2-${order.orderId}`, kind: 'return', reason: 'changed_mind', lines: [{ sku, quantity: 1 }], shipping: true, actor: 'test' });
    expect(second).toMatchObject({ status: 'refunded', amount: unit });
    expect(second.shipping).toBeUndefined();
    expect(must(await world.fulfillments.payment(order.orderId)).refunded).toBe(payment.captured - 10);
    expect(await refundsOfOrder(deps, order.orderId)).toEqual([refund, second]);
  });

  it('refuses more than was captured minus earlier refunds with a 422 naming both figures, and writes nothing', async () => {
    const order = await shippedAndInvoiced(providerPaid);
    const payment = must(await world.fulfillments.payment(order.orderId));
    const items = await allItems(db, tableName);
    const error = await issueRefund(deps, { orderId: order.orderId, key: 'goodwill:too-much', kind: 'goodwill', reason: 'sorry', amount: payment.captured + 1, actor: 'test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const money = (n: number) => formatMoney(n, order.currency);
    expect((error as ValidationError).message).toBe(`A refund of ${money(payment.captured + 1)} exceeds the refundable ${money(payment.captured)} (captured ${money(payment.captured)}, refunded so far ${money(0)})`);
    expect((error as ValidationError).details).toEqual([{ in: 'body', path: 'amount', code: 'exceeds_refundable', message: `Refundable now: ${money(payment.captured)}; asked: ${money(payment.captured + 1)}` }]);
    expect(await allItems(db, tableName)).toEqual(items);
  });

  it('of units cancelled before they shipped is nothing_to_refund: the captures take only shipped units; no money, event or credit note', async () => {
    const { order } = await world.routedOrder([{ sku: `RF-${newId()}`, quantity: 3 }], { ...providerPaid, channel: { channelId: 'web', channelType: 'web', externalOrderId: newId() } });
    const before = must(await world.fulfillments.payment(order.orderId));
    const refund = await issueRefund(deps, { orderId: order.orderId, key: `cancel:${order.orderId}:1`, kind: 'cancellation', reason: 'customer asked', lines: [{ sku: must(order.lines[0]).sku, quantity: 2 }], actor: 'test' });
    expect(refund).toMatchObject({ status: 'nothing_to_refund', amount: 0, value: 200, mode: 'provider', creditNote: 'Nothing was captured for cancelled units: captures take only shipped units' });
    expect(await world.fulfillments.payment(order.orderId)).toEqual(before);
    expect((await eventsOf(order.orderId)).filter((e) => e.data['refundId'])).toEqual([]);
    expect((await timelineOf(order.orderId)).find((e) => e.type === 'refund_not_needed')?.message).toContain('Nothing was captured for cancelled units');
  });

  it('a provider call that fails after the provider refunded is finished by the very next call with the key (a workflow retry seconds later), never refunded twice', async () => {
    const order = await shippedAndInvoiced(providerPaid, 2);
    const sandbox = must(world.deps.providers['sandbox']);
    let calls = 0;
    // The provider refunds, but its answer is lost (a timeout): the caller sees an error.
    const flaky = {
      ...sandbox,
      refund: async (request: Parameters<typeof sandbox.refund>[0]) => {
        const answer = await sandbox.refund(request);
        if (++calls === 1) throw new Error('provider timed out');
        return answer;
      },
    };
    const flakyDeps: RefundDeps = { ...deps, providers: { sandbox: flaky } };
    const command = { orderId: order.orderId, key: `return:RX-${order.orderId}`, kind: 'return' as const, reason: 'damaged', lines: [{ sku: must(order.lines[0]).sku, quantity: 1 }], actor: 'test' };
    await expect(issueRefund(flakyDeps, command)).rejects.toThrow('provider timed out');
    expect(must(await deps.refunds.byKey(order.orderId, command.key)).status).toBe('pending');

    const refund = await issueRefund(flakyDeps, command);
    expect(refund).toMatchObject({ status: 'refunded', amount: 100 });
    expect(refund.creditNoteId).toBeDefined();
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment.refunded).toBe(100);
    const { Item: capture } = await db.send(new GetCommand({ TableName: tableName, Key: keys.sandboxAuthorization(must(payment.captures[0]).captureId) }));
    expect(capture?.['refunded']).toBe(100);
    expect((await eventsOf(order.orderId)).filter((e) => e.data['refundId'] === refund.refundId && e.data['status'] === 'refunded')).toHaveLength(1);
  });

  it('10 racing refunds of one order never refund more than the capture; the losers are told the refundable amount', async () => {
    const order = await shippedAndInvoiced(providerPaid, 4);
    const captured = must(await world.fulfillments.payment(order.orderId)).captured;
    const each = Math.ceil(captured / 4);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => issueRefund(deps, { orderId: order.orderId, key: `goodwill:race-${i}`, kind: 'goodwill', reason: 'race', amount: each, actor: 'test' })),
    );
    const won = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const lost = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
    expect(won.length).toBe(Math.floor(captured / each));
    expect(won.every((r) => r.status === 'refunded')).toBe(true);
    const total = won.reduce((s, r) => s + r.amount, 0);
    expect(total).toBeLessThanOrEqual(captured);
    for (const error of lost) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain(`exceeds the refundable ${formatMoney(captured - total, order.currency)}`);
    }
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment.refunded).toBe(total);
    expect(payment.captures.reduce((s, c) => s + (c.refunded ?? 0), 0)).toBe(total);
    const { Item: capture } = await db.send(new GetCommand({ TableName: tableName, Key: keys.sandboxAuthorization(must(payment.captures[0]).captureId) }));
    expect(capture?.['refunded']).toBe(total);
    // Credit note numbers stay gap-free under the race: one per refund, consecutive.
    const numbers = (await deps.refunds.creditNotesOf(order.orderId)).map((n) => n.number).sort((a, b) => a - b);
    expect(numbers).toHaveLength(won.length);
    expect(must(numbers.at(-1)) - must(numbers[0])).toBe(won.length - 1);
  });
});

describe('refunds without a provider', () => {
  it('of an order paid at the channel are recorded to_refund_at_channel with the channel reference, with a credit note', async () => {
    const order = await shippedAndInvoiced({});
    const payment = must(await world.fulfillments.payment(order.orderId));
    expect(payment.mode).toBe('channel');
    const refund = await issueRefund(deps, { orderId: order.orderId, key: `return:${order.orderId}`, kind: 'return', reason: 'size', lines: [{ sku: must(order.lines[0]).sku, quantity: 1 }], actor: 'test' });
    expect(refund).toMatchObject({ status: 'to_refund_at_channel', mode: 'channel', amount: 100, channelReference: must(payment.channelReference), providerRefunds: [] });
    expect(refund.creditNoteId).toMatch(new RegExp(`^${SERIES}-\\d{6}$`));
    expect(must(await world.fulfillments.payment(order.orderId)).refunded).toBe(100);
    const event = (await eventsOf(order.orderId)).find((e) => e.data['refundId'] === refund.refundId && e.data['status']);
    expect(event?.data).toMatchObject({ status: 'to_refund_at_channel', channelReference: payment.channelReference, amount: 100, creditNoteId: refund.creditNoteId });
  });

  it('of a cash-on-delivery order are to_refund_manually, bounded by what the carrier collected', async () => {
    const order = await shippedAndInvoiced({ payment: { state: 'cod' } });
    const refund = await issueRefund(deps, { orderId: order.orderId, key: 'goodwill:cod', kind: 'goodwill', reason: 'scratched', amount: 50, actor: 'test' });
    expect(refund).toMatchObject({ status: 'to_refund_manually', mode: 'cash_on_delivery', amount: 50 });
    const error = await issueRefund(deps, { orderId: order.orderId, key: 'goodwill:cod-2', kind: 'goodwill', reason: 'more', amount: order.totals.total, actor: 'test' }).catch((e: unknown) => e);
    expect((error as ValidationError).message).toContain(`exceeds the refundable ${formatMoney(order.totals.total - 50, order.currency)} (collected`);
  });

  it('of a cash-on-delivery order with one of two parcels shipped are bounded by what that parcel collects, not the whole order', async () => {
    const { order, parcels } = await world.routedOrder(
      [
        { sku: `RF-${newId()}`, quantity: 1, at: 'wh-cod-a' },
        { sku: `RF-${newId()}`, quantity: 1, at: 'wh-cod-b' },
      ],
      { payment: { state: 'cod' }, channel: { channelId: 'test', channelType: 'shopify', externalOrderId: newId() } },
    );
    expect(parcels).toHaveLength(2);
    const parcel = must(parcels[0]);
    const { applyFulfillmentEvent } = await import('#shared/use-cases/fulfillment.ts');
    await applyFulfillmentEvent(world.deps, { fulfillmentId: parcel.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
    const invoice = await issueInvoice(world.deps, { orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines, orderStatus: 'partially_shipped', actor: 'test' });
    expect(must(await world.orders.get(order.orderId)).status).toBe('partially_shipped');
    const [billed] = await world.invoices.forOrder(order.orderId);
    const collected = must(billed).totals.total;
    expect(collected).toBeLessThan(order.totals.total);
    const items = await allItems(db, tableName);
    const error = await issueRefund(deps, { orderId: order.orderId, key: 'goodwill:cod-partial', kind: 'goodwill', reason: 'sorry', amount: collected + 1, actor: 'test' }).catch((e: unknown) => e);
    expect(error, JSON.stringify(invoice)).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(`exceeds the refundable ${formatMoney(collected, order.currency)} (collected ${formatMoney(collected, order.currency)}`);
    expect(await allItems(db, tableName)).toEqual(items);
    const refund = await issueRefund(deps, { orderId: order.orderId, key: 'goodwill:cod-partial-2', kind: 'goodwill', reason: 'sorry', amount: collected, actor: 'test' });
    expect(refund).toMatchObject({ status: 'to_refund_manually', amount: collected });
  });

  it('of an order never invoiced (nothing shipped) get no credit note, and say so', async () => {
    const { order } = await world.routedOrder([{ sku: `RF-${newId()}`, quantity: 1 }]);
    const refund = await issueRefund(deps, { orderId: order.orderId, key: 'goodwill:early', kind: 'goodwill', reason: 'delay', amount: 20, actor: 'test' });
    expect(refund).toMatchObject({ status: 'to_refund_at_channel', amount: 20, creditNote: 'The order has no invoice (nothing shipped yet): no credit note' });
    expect(refund.creditNoteId).toBeUndefined();
    expect(await deps.refunds.creditNotesOf(order.orderId)).toEqual([]);
  });

  it('of an order with no payment recorded is a 409 (nothing paid), and an unknown order a 404', async () => {
    const order = await world.order([{ sku: `RF-${newId()}`, quantity: 1 }]);
    await expect(issueRefund(deps, { orderId: order.orderId, key: 'goodwill:x', kind: 'goodwill', reason: 'x', amount: 1, actor: 'test' })).rejects.toThrow(ConflictError);
    await expect(issueRefund(deps, { orderId: newId(), key: 'goodwill:x', kind: 'goodwill', reason: 'x', amount: 1, actor: 'test' })).rejects.toThrow(/does not exist/);
  });
});

describe('goodwill requests with an Idempotency-Key', () => {
  it('answer a replay with the same bytes, another body under the key with a 409, and give the key back after a refusal', async () => {
    const order = await shippedAndInvoiced({});
    const idem = { ...deps, idempotency: new DynamoIdempotencyRepository(db, tableName) };
    const request = (amount: number, key = 'gw-1') => requestGoodwillRefund(idem, { orderId: order.orderId, input: { amount, reason: 'late' }, rawBody: { amount, reason: 'late' }, idempotencyKey: key, actor: 'test' });
    const first = await request(25);
    expect(first.status).toBe(201);
    expect(JSON.parse(first.json)).toMatchObject({ key: 'goodwill:gw-1', kind: 'goodwill', amount: 25 });
    expect(await request(25)).toEqual(first);
    await expect(request(26)).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    await expect(request(1_000_000, 'gw-2')).rejects.toThrow(ValidationError);
    // Refused, so the key is free again for a corrected request.
    expect((await request(30, 'gw-2')).status).toBe(201);
  });
});
