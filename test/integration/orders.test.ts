import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { fixedClock, systemClock } from '#shared/domain/clock.ts';
import type { OrderDraft } from '#shared/domain/order.ts';
import type { OrderSource } from '#shared/ports.ts';
import { DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { captureOrder } from '#shared/use-cases/capture-order.ts';
import { fixture } from '../support/channel-fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

let db: DynamoDBDocumentClient;
let tableName: string;
let orders: DynamoOrderRepository;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  orders = new DynamoOrderRepository(db, tableName);
});

const base = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shop' });
const draft = (overrides: Partial<OrderDraft> & { id?: string } = {}): OrderDraft => {
  const { id, ...rest } = overrides;
  return { ...base, ...rest, channel: { ...base.channel, ...(id ? { externalOrderId: id } : {}) } };
};
let deliveries = 0;
const source = (): OrderSource => ({
  deliveryId: `d-${++deliveries}`,
  via: 'webhook',
  receivedAt: new Date().toISOString(),
  headers: {},
  contentType: 'application/json',
  body: '{}',
});
const capture = (d: OrderDraft) => captureOrder({ orders, clock: systemClock }, { draft: d, source: source(), actor: 'channel:shop' });

describe('captureOrder against DynamoDB Local', () => {
  it('creates exactly one order from 20 concurrent captures of the same channel order', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => capture(draft({ id: 'concurrent-1' }))));
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'unchanged')).toHaveLength(19);
    expect(new Set(results.map((r) => r.order.orderId)).size).toBe(1);
    const items = await allItems(db, tableName);
    expect(items.filter((i) => i['entity'] === 'Order' && (i['channel'] as { externalOrderId: string }).externalOrderId === 'concurrent-1')).toHaveLength(1);
    expect(items.filter((i) => i['entity'] === 'OutboxEvent' && String(i['detail']).includes('concurrent-1'))).toHaveLength(1);
    const orderId = results[0]?.order.orderId ?? '';
    expect((await orders.sources(orderId, { limit: 100 })).items).toHaveLength(20);
  });

  it('answers a redelivery of the same delivery as a duplicate and writes nothing', async () => {
    const first = source();
    await captureOrder({ orders, clock: systemClock }, { draft: draft({ id: 'redelivered' }), source: first, actor: 'channel:shop' });
    const before = await allItems(db, tableName);
    const again = await captureOrder({ orders, clock: systemClock }, { draft: draft({ id: 'redelivered' }), source: first, actor: 'channel:shop' });
    expect(again.outcome).toBe('duplicate');
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('refuses changes and a cancellation after shipment, saying so on the timeline and in the event', async () => {
    const shipped = draft({ id: 'shipped-1', channelState: 'shipped' });
    const { order } = await capture(shipped);
    expect(order.status).toBe('shipped');
    const later = { ...shipped, channelUpdatedAt: '2026-10-20T00:00:00.000Z', channelState: 'cancelled' as const, shippingAddress: { country: 'US', lines: ['Elsewhere 1'] } };
    const result = await capture(later);
    expect(result.outcome).toBe('updated');
    const stored = await orders.get(order.orderId);
    expect(stored).toMatchObject({ status: 'shipped', shippingAddress: { lines: ['88 Tremont St', 'Apt 4'] } });
    const timeline = (await orders.timeline(order.orderId, { limit: 50 })).items.map((e) => e.type);
    expect(timeline).toEqual(['received', 'cancellation_refused', 'update_refused']);
    const events = (await allItems(db, tableName)).filter((i) => i['entity'] === 'OutboxEvent' && String(i['detail']).includes(order.orderId));
    expect(events.map((e) => e['detailType']).sort()).toEqual(['OrderReceived', 'OrderUpdated']);
    expect(String(events.find((e) => e['detailType'] === 'OrderUpdated')?.['detail'])).toContain('"refused":["status","shippingAddress"]');
  });

  it('ignores an older state than the one applied, on the timeline', async () => {
    const { order } = await capture(draft({ id: 'stale-1', channelUpdatedAt: '2026-10-15T00:00:00.000Z' }));
    const result = await capture(draft({ id: 'stale-1', channelUpdatedAt: '2026-10-14T00:00:00.000Z', notes: 'older' }));
    expect(result.outcome).toBe('stale');
    expect((await orders.get(order.orderId))?.notes).toBe(base.notes);
    expect((await orders.timeline(order.orderId, { limit: 10 })).items.map((e) => e.type)).toEqual(['received', 'channel_update_ignored']);
  });

  it('keeps orders of any size: lines are stored in chunks and read back in order', async () => {
    const [first] = base.lines;
    if (!first) throw new Error('the fixture has lines');
    const lines = Array.from({ length: 120 }, (_, i) => ({ ...first, lineId: `L${i}`, sku: `SKU-${i}` }));
    const { order } = await capture(draft({ id: 'big-1', lines }));
    expect((await orders.get(order.orderId))?.lines.map((l) => l.lineId)).toEqual(lines.map((l) => l.lineId));
    const shorter = draft({ id: 'big-1', lines: lines.slice(0, 10), channelUpdatedAt: '2026-10-15T00:00:00.000Z' });
    await capture(shorter);
    expect((await orders.get(order.orderId))?.lines).toHaveLength(10);
    const chunks = (await allItems(db, tableName)).filter((i) => i['entity'] === 'OrderLines' && i['PK'] === `ORDER#${order.orderId}`);
    expect(chunks).toHaveLength(1);
  });
});

describe('listing orders', () => {
  it('pages newest first across months and shards, each order once, with channel and status filters', async () => {
    const placed = ['2026-06-03', '2026-06-20', '2026-07-01', '2026-07-15', '2026-07-31', '2026-08-02', '2026-08-10', '2026-08-11', '2026-08-30'];
    for (const [i, day] of placed.entries()) {
      const at = `${day}T12:00:00.000Z`;
      const channelId = i % 2 === 0 ? 'list-a' : 'list-b';
      await captureOrder(
        { orders, clock: fixedClock(at) },
        {
          draft: { ...draft({ id: `list-${i}`, channelCreatedAt: at, channelUpdatedAt: at, channelState: i % 3 === 0 ? 'cancelled' : 'open' }), channel: { ...base.channel, channelId, externalOrderId: `list-${i}` } },
          source: source(),
          actor: 'test',
        },
      );
    }
    const window = { from: '2026-06-01T00:00:00.000Z', to: '2026-08-31T23:59:59.000Z' };
    const read = async (filter: { channelId?: string; status?: string }, limit: number) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await orders.list({ ...window, ...filter }, { limit, cursor });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((o) => o.channelCreatedAt.slice(0, 10)));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 50);
      return seen;
    };
    expect(await read({}, 2)).toEqual([...placed].reverse());
    expect(await read({}, 4)).toEqual([...placed].reverse());
    expect(await read({ channelId: 'list-a' }, 2)).toEqual(placed.filter((_, i) => i % 2 === 0).reverse());
    expect(await read({ status: 'cancelled' }, 1)).toEqual(placed.filter((_, i) => i % 3 === 0).reverse());
    expect(await read({ channelId: 'list-b', status: 'cancelled' }, 1)).toEqual(placed.filter((_, i) => i % 2 === 1 && i % 3 === 0).reverse());
  });
});
