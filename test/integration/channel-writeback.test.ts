import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { WritebackError, cancelledLines, carrierName, shipmentLines, type ChannelAction, type ChannelReceipt, type ChannelSyncRecord } from '#shared/domain/channel-writeback.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import type { Order } from '#shared/domain/order.ts';
import type { ChannelWriter } from '#shared/ports.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { DynamoChannelSyncActionRepository } from '#shared/store/channel-sync-action-repository.ts';
import { DynamoRefundRepository } from '#shared/store/refund-repository.ts';
import { putChannel } from '#shared/use-cases/channels.ts';
import { WritebackRetryLater, channelSyncOf, retryWriteback, writeBack, type WritebackDeps, type WritebackTrigger } from '#shared/use-cases/channel-writeback.ts';
import { listOrders } from '#shared/use-cases/orders.ts';
import { issueRefund } from '#shared/use-cases/refunds.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { matchesPattern } from '#infra/local/event-pattern.ts';
import { rules } from '#infra/topology/rules.ts';
import { must, shopifyChannelBody } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * Channel write-back on DynamoDB Local, with a recording channel client:
 * one call per action however often (and however concurrently) its event is
 * delivered; transient failures stay pending until the last delivery, then
 * fail visibly; a refusal fails at once; failed actions are listed and can be
 * retried by a person, which sends the same action again.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
let actions: DynamoChannelSyncActionRepository;

/** A channel client that records what it is asked and answers what the test says. */
class RecordingWriter implements ChannelWriter {
  readonly calls: ChannelAction[] = [];
  answer: (action: ChannelAction) => Promise<ChannelReceipt> = async (action) => ({ reference: `ref-${action.actionId}` });
  async send(action: ChannelAction): Promise<ChannelReceipt> {
    this.calls.push(action);
    return this.answer(action);
  }
}

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
  actions = new DynamoChannelSyncActionRepository(db, tableName);
});

async function channel(overrides: { settings?: Record<string, unknown>; noToken?: boolean } = {}): Promise<string> {
  const channelId = `shop-${newId().slice(-8).toLowerCase()}`;
  const channels = new DynamoChannelRepository(db, tableName);
  const body = shopifyChannelBody();
  await putChannel(
    { channels, clock: systemClock },
    {
      channelId,
      input: { ...body, settings: { ...body.settings, ...overrides.settings }, secrets: { ...body.secrets, ...(overrides.noToken ? {} : { adminAccessToken: 'shpat_test' }) } } as typeof body,
      actor: 'test',
    },
  );
  return channelId;
}

function depsWith(writer: RecordingWriter, failures: ChannelSyncRecord[] = []): WritebackDeps {
  return {
    orders: world.orders,
    fulfillments: world.fulfillments,
    refunds: new DynamoRefundRepository(db, tableName),
    channels: new DynamoChannelRepository(db, tableName),
    actions,
    writerFor: () => writer,
    clock: systemClock,
    onFailed: (record) => failures.push(record),
  };
}

/** A Shopify order of two lines, shipped in one parcel with a sandbox label. */
async function shippedOrder(channelId: string): Promise<{ order: Order; trigger: WritebackTrigger }> {
  const { order, parcel } = await world.shippedParcel({ channel: { channelId, channelType: 'shopify', externalOrderId: String(Date.now()) + newId().slice(-4) } });
  const label = must(parcel.carrier, 'a label');
  return {
    order,
    trigger: { kind: 'shipment', orderId: order.orderId, shipmentId: parcel.fulfillmentId, lines: parcel.lines, carrier: label.carrierId, trackingNumber: label.trackingNumber, completesOrder: true },
  };
}

const options = (finalAttempt = false) => ({ finalAttempt, actor: 'writeback' });

describe('a shipment written back', () => {
  it('is sent once with the channel lines, carrier and tracking, recorded sent with the reference and on the timeline; a redelivery sends nothing', async () => {
    const channelId = await channel();
    const writer = new RecordingWriter();
    const deps = depsWith(writer);
    const { order, trigger } = await shippedOrder(channelId);

    const first = await writeBack(deps, trigger, options());
    expect(first).toMatchObject({ outcome: 'sent', actionId: `shipment:${(trigger as { shipmentId: string }).shipmentId}` });
    expect(writer.calls).toHaveLength(1);
    const sent = must(writer.calls[0]);
    expect(sent).toMatchObject({
      kind: 'shipment',
      order: { orderId: order.orderId, channelId, channelType: 'shopify', externalOrderId: order.channel.externalOrderId },
      lines: [{ lineId: must(order.lines[0]).lineId, quantity: 1 }],
      trackingNumber: (trigger as { trackingNumber: string }).trackingNumber,
      completesOrder: true,
      notifyCustomer: true,
    });
    expect(sent.kind === 'shipment' && sent.trackingUrl).toMatch(/^https?:\/\//);

    expect(await writeBack(deps, trigger, options())).toMatchObject({ outcome: 'already', status: 'sent' });
    expect(writer.calls).toHaveLength(1);

    const [record] = await channelSyncOf(deps, order.orderId);
    expect(record).toMatchObject({ status: 'sent', attempts: 1, reference: `ref-${sent.actionId}`, kind: 'shipment', channelId });
    expect(record?.claimedUntil).toBeUndefined();
    const timeline = (await world.orders.timeline(order.orderId, { limit: 100 })).items;
    expect(timeline.filter((e) => e.type === 'channel_synced')).toHaveLength(1);
  });

  it('is sent once when ten deliveries of the event race: the others wait for the claim and then find it sent', async () => {
    const channelId = await channel();
    const writer = new RecordingWriter();
    writer.answer = async (action) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { reference: `ref-${action.actionId}` };
    };
    const deps = depsWith(writer);
    const { trigger } = await shippedOrder(channelId);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => writeBack(deps, trigger, options())));
    expect(writer.calls).toHaveLength(1);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'sent')).toHaveLength(1);
    // The rest either saw it in flight (retried later by the queue) or already sent.
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(WritebackRetryLater);
      else expect(['sent', 'already']).toContain(result.value.outcome);
    }
    expect(await writeBack(deps, trigger, options())).toMatchObject({ outcome: 'already', status: 'sent' });
    expect(writer.calls).toHaveLength(1);
  });
});

describe('a refund owed at the channel', () => {
  it('is sent with its amount and reason, and the refund becomes refunded with the channel id for it', async () => {
    const writer = new RecordingWriter();
    writer.answer = async () => ({ reference: 'gid://shopify/Refund/777' });
    const deps = depsWith(writer);
    const { order } = await shippedOrder(await channel());
    const refunds = new DynamoRefundRepository(db, tableName);
    const refund = await issueRefund(
      { orders: world.orders, fulfillments: world.fulfillments, refunds, invoices: world.invoices, providers: world.deps.providers, ruleSetFor: async () => BUILT_IN_RULE_SET, clock: systemClock },
      { orderId: order.orderId, key: `goodwill:${newId()}`, kind: 'goodwill', reason: 'late delivery', amount: 150, actor: 'test' },
    );
    expect(refund.status).toBe('to_refund_at_channel');
    expect(await writeBack(deps, { kind: 'refund', orderId: order.orderId, refundId: refund.refundId, status: refund.status }, options())).toMatchObject({ outcome: 'sent' });
    expect(must(writer.calls[0])).toMatchObject({ kind: 'refund', actionId: `refund:${refund.refundId}`, amount: 150, reason: 'goodwill', restock: false, order: { currency: order.currency } });
    const settled = must((await refunds.forOrder(order.orderId)).find((r) => r.refundId === refund.refundId));
    expect(settled).toMatchObject({ status: 'refunded', refundedAtChannel: { reference: 'gid://shopify/Refund/777', at: expect.any(String) } });
    // A provider refund (or one already settled) is nothing for the channel.
    expect(await writeBack(deps, { kind: 'refund', orderId: order.orderId, refundId: refund.refundId, status: 'refunded' }, options())).toMatchObject({ outcome: 'skipped' });
    expect(writer.calls).toHaveLength(1);
  });
});

describe('what a channel cannot be told by API', () => {
  it('is recorded failed with what a person must do (listed, not alarmed), and the refund stays owed', async () => {
    const writer = new RecordingWriter();
    writer.answer = async () => ({ manual: true, note: 'issue the refund in Seller Central' });
    const failures: ChannelSyncRecord[] = [];
    const deps = depsWith(writer, failures);
    const { order } = await shippedOrder(await channel());
    const refunds = new DynamoRefundRepository(db, tableName);
    const refund = await issueRefund(
      { orders: world.orders, fulfillments: world.fulfillments, refunds, invoices: world.invoices, providers: world.deps.providers, ruleSetFor: async () => BUILT_IN_RULE_SET, clock: systemClock },
      { orderId: order.orderId, key: `goodwill:${newId()}`, kind: 'goodwill', reason: 'damaged box', amount: 99, actor: 'test' },
    );
    expect(await writeBack(deps, { kind: 'refund', orderId: order.orderId, refundId: refund.refundId, status: refund.status }, options())).toMatchObject({ outcome: 'failed', message: 'issue the refund in Seller Central' });
    const [record] = await channelSyncOf(deps, order.orderId);
    expect(record).toMatchObject({ status: 'failed', lastError: { retryable: false, message: 'issue the refund in Seller Central' } });
    expect(failures).toEqual([]);
    expect(must((await refunds.forOrder(order.orderId)).find((r) => r.refundId === refund.refundId)).status).toBe('to_refund_at_channel');
    const listed = await listOrders({ orders: world.orders, channelSync: actions }, { channelSync: 'failed' }, { limit: 50 });
    expect(listed.items.map((o) => o.orderId)).toContain(order.orderId);
  });
});

describe('failures', () => {
  it('a transient failure stays pending with the channel answer until the last delivery, then fails, is alarmed, listed and can be retried by a person', async () => {
    const channelId = await channel();
    const writer = new RecordingWriter();
    const failures: ChannelSyncRecord[] = [];
    const deps = depsWith(writer, failures);
    const { order, trigger } = await shippedOrder(channelId);
    writer.answer = async () => {
      throw new WritebackError('Shopify fulfillmentCreate failed with HTTP 503: upstream unavailable', true, 503);
    };

    await expect(writeBack(deps, trigger, options())).rejects.toBeInstanceOf(WritebackRetryLater);
    let [record] = await channelSyncOf(deps, order.orderId);
    expect(record).toMatchObject({ status: 'pending', attempts: 1, lastError: { status: 503, retryable: true, message: expect.stringContaining('upstream unavailable') } });
    expect(record?.claimedUntil).toBeUndefined();

    expect(await writeBack(deps, trigger, options(true))).toMatchObject({ outcome: 'failed' });
    [record] = await channelSyncOf(deps, order.orderId);
    expect(record).toMatchObject({ status: 'failed', attempts: 2, failedAt: expect.any(String) });
    expect(failures.map((f) => f.actionId)).toEqual([must(record).actionId]);
    const timeline = (await world.orders.timeline(order.orderId, { limit: 100 })).items;
    expect(must(timeline.find((e) => e.type === 'channel_sync_failed')).message).toContain('Still failing after 2 attempts');

    // A failed action is not sent again by a redelivery, only by a person.
    expect(await writeBack(deps, trigger, options())).toMatchObject({ outcome: 'already', status: 'failed' });
    expect(writer.calls).toHaveLength(2);

    const listed = await listOrders({ orders: world.orders, channelSync: actions }, { channelSync: 'failed' }, { limit: 50 });
    expect(listed.items.map((o) => o.orderId)).toContain(order.orderId);

    writer.answer = async () => ({ reference: 'gid://shopify/Fulfillment/1' });
    const pending = await retryWriteback(deps, { orderId: order.orderId, actionId: must(record).actionId, actor: 'api' });
    expect(pending.status).toBe('pending');
    const retryEvents = (await allItems(db, tableName)).filter(
      (i) => i['detailType'] === 'ChannelSyncRetryRequested' && String(i['detail']).includes(order.orderId),
    );
    expect(retryEvents).toHaveLength(1);
    await expect(retryWriteback(deps, { orderId: order.orderId, actionId: must(record).actionId, actor: 'api' })).rejects.toMatchObject({ code: 'not_failed' });

    expect(await writeBack(deps, { kind: 'retry', orderId: order.orderId, actionId: must(record).actionId }, options())).toMatchObject({ outcome: 'sent', reference: 'gid://shopify/Fulfillment/1' });
    expect(writer.calls).toHaveLength(3);
    expect(must(writer.calls[2])).toEqual(must(writer.calls[0]));
    const after = await listOrders({ orders: world.orders, channelSync: actions }, { channelSync: 'failed' }, { limit: 50 });
    expect(after.items.map((o) => o.orderId)).not.toContain(order.orderId);
  });

  it('a refusal (revoked token) fails at once with the channel message, never retried by itself', async () => {
    const channelId = await channel();
    const writer = new RecordingWriter();
    const deps = depsWith(writer);
    const { order, trigger } = await shippedOrder(channelId);
    writer.answer = async () => {
      throw new WritebackError('Shopify answered HTTP 401: [API] Invalid API key or access token', false, 401);
    };
    expect(await writeBack(deps, trigger, options())).toMatchObject({ outcome: 'failed', message: expect.stringContaining('Invalid API key') });
    const [record] = await channelSyncOf(deps, order.orderId);
    expect(record).toMatchObject({ status: 'failed', attempts: 1, lastError: { status: 401, retryable: false } });
  });

  it('?channelSync=failed is not combined with other filters (422 naming them)', async () => {
    await expect(listOrders({ orders: world.orders, channelSync: actions }, { channelSync: 'failed', status: 'shipped' }, { limit: 10 })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('what is not written back', () => {
  it('nothing for a channel with write-back off, without its API token, or for a pickup without tracking; no record is written', async () => {
    const writer = new RecordingWriter();
    const deps = depsWith(writer);
    const off = await shippedOrder(await channel({ settings: { writeBack: false } }));
    expect(await writeBack(deps, off.trigger, options())).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('write-back is off') });
    const noToken = await shippedOrder(await channel({ noToken: true }));
    expect(await writeBack(deps, noToken.trigger, options())).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('no adminAccessToken secret') });
    const untracked = await shippedOrder(await channel());
    expect(await writeBack(deps, { ...untracked.trigger, trackingNumber: undefined } as WritebackTrigger, options())).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('no tracking number') });
    expect(writer.calls).toHaveLength(0);
    expect(await channelSyncOf(deps, off.order.orderId)).toEqual([]);
    expect(await channelSyncOf(deps, noToken.order.orderId)).toEqual([]);
    expect(await channelSyncOf(deps, untracked.order.orderId)).toEqual([]);
  });

  it('a cancellation by the channel itself is not routed to the write-back queue; one made in the OMS is, and is sent with its reason classified', async () => {
    const rule = must(rules.find((r) => r.id === 'CancellationWritesBackToChannel'));
    const event = (actor: string) => ({ source: 'oms.orders', 'detail-type': 'OrderCancelled', detail: { metadata: { actor }, data: { order: { channel: { channelType: 'shopify' } } } } });
    expect(matchesPattern(rule.pattern as Record<string, unknown>, event('channel:shopify-us'))).toBe(false);
    expect(matchesPattern(rule.pattern as Record<string, unknown>, event('api'))).toBe(true);
    expect(rule.target).toEqual({ queue: 'writeback', message: 'event' });

    const writer = new RecordingWriter();
    const deps = depsWith(writer);
    const { order } = await shippedOrder(await channel());
    expect(await writeBack(deps, { kind: 'cancellation', orderId: order.orderId, reason: 'payment declined (card_declined)' }, { finalAttempt: false, actor: 'api' })).toMatchObject({ outcome: 'sent', actionId: 'cancel' });
    expect(must(writer.calls[0])).toMatchObject({ kind: 'cancellation', reason: 'unpaid', paidAtChannel: expect.any(Boolean) });
  });
});

describe('an Amazon order', () => {
  it('carries its marketplace to the channel (a channel selling in several marketplaces confirms each in its own)', async () => {
    const writer = new RecordingWriter();
    const deps = depsWith(writer);
    const { order, trigger } = await shippedOrder(await channel());
    await world.orders.update(
      { ...order, channel: { ...order.channel, marketplaceId: 'A2EUQ1WTGCTBG2' }, version: order.version + 1 },
      { previous: order, timeline: [], events: [] },
    );
    await writeBack(deps, trigger, options());
    expect(must(writer.calls[0]).order.marketplaceId).toBe('A2EUQ1WTGCTBG2');
  });
});

describe('cancelled lines', () => {
  it('are the units each changed line lost, for the channel (added or grown lines are not)', () => {
    expect(
      cancelledLines([
        { lineId: '11', sku: 'A', before: 3, after: 1 },
        { lineId: '12', sku: 'B', before: 2, after: 0 },
        { lineId: '13', sku: 'C', before: 1, after: 2 },
      ]),
    ).toEqual([
      { lineId: '11', sku: 'A', quantity: 2 },
      { lineId: '12', sku: 'B', quantity: 2 },
    ]);
  });
});

describe('carrier names', () => {
  it('come from the OMS carrier id, EasyPost carriers included', () => {
    expect(carrierName('easypost-usps')).toBe('USPS');
    expect(carrierName('easypost-fedex')).toBe('FedEx');
    expect(carrierName('ups')).toBe('UPS');
    expect(carrierName('parcelco')).toBe('ParcelCo');
    expect(carrierName('acme-freight')).toBe('acme-freight');
  });
});

describe('shipment lines', () => {
  it('fill the order lines of a SKU in order, after what earlier shipments took', () => {
    const lines = [
      { lineId: '11', sku: 'A', quantity: 2 },
      { lineId: '12', sku: 'B', quantity: 1 },
      { lineId: '13', sku: 'A', quantity: 3 },
    ];
    expect(shipmentLines(lines, [], [{ sku: 'A', quantity: 3 }])).toEqual([
      { lineId: '11', sku: 'A', quantity: 2 },
      { lineId: '13', sku: 'A', quantity: 1 },
    ]);
    expect(shipmentLines(lines, [{ sku: 'A', quantity: 3 }], [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }])).toEqual([
      { lineId: '12', sku: 'B', quantity: 1 },
      { lineId: '13', sku: 'A', quantity: 2 },
    ]);
  });
});
