import { describe, expect, it } from 'vitest';
import { newId } from '#shared/domain/ids.ts';
import { ORDER_INDEX_SHARDS, keys, orderShard } from '#shared/store/keys.ts';
import { createTableInput, table } from '#shared/store/table.ts';

describe('keys', () => {
  it('gives each configuration entity its own partition and lists them through GSI1', () => {
    expect(keys.location('wh-boston')).toEqual({ PK: 'LOCATION#wh-boston', SK: 'LOCATION' });
    expect(keys.locationList('wh-boston')).toEqual({ GSI1PK: keys.locationListPartition, GSI1SK: 'wh-boston' });
    expect(keys.channel('shop')).toEqual({ PK: 'CHANNEL#shop', SK: 'CHANNEL' });
    expect(keys.channelSecrets('shop')).toEqual({ PK: 'CHANNEL#shop', SK: 'SECRETS' });
  });

  it('keeps the whole order aggregate in one partition; header and line chunks sort together', () => {
    const partition = keys.orderPartition('01J0');
    const inPartition = [keys.order('01J0'), keys.orderLines('01J0', 2), keys.timelineEntry('01J0', 't', 'e'), keys.orderSource('01J0', 't', 'h')];
    const others = [
      keys.timelineEntry('01J0', 't', 'e'),
      keys.orderSource('01J0', 't', 'h'),
      keys.reservation('01J0'),
      keys.shipment('01J0', 's1'),
      keys.fulfillment('01J0', '01J0-F1'),
      keys.payment('01J0'),
      keys.invoiceFor('01J0', 'order'),
      keys.notification('01J0', 'shipped', 's1', 'email'),
      keys.refund('01J0', 'return:R1'),
    ];
    for (const key of [...inPartition, ...others]) expect(key.PK).toBe(partition);
    expect(keys.orderLines('01J0', 2).SK < keys.orderLines('01J0', 10).SK).toBe(true);
    const { from, to } = keys.orderBodyRange;
    for (const sk of [keys.orderLines('01J0', 1).SK, keys.orderLines('01J0', 9999).SK, keys.order('01J0').SK]) {
      expect(sk >= from && sk <= to).toBe(true);
    }
    // Everything else in the partition stays outside the range every order read fetches.
    for (const { SK } of others) expect(SK >= from && SK <= to, SK).toBe(false);
  });

  it('buckets order indexes by month and spreads them over shards, so no index partition takes every order', () => {
    const indexes = keys.orderIndexes({ orderId: '01J0ABC3', channelId: 'shop', status: 'reserved', placedAt: '2026-11-27T09:00:00.000Z' });
    expect(indexes).toEqual({
      GSI1PK: 'ORDERS#2026-11#3',
      GSI1SK: '2026-11-27T09:00:00.000Z#01J0ABC3',
      GSI2PK: 'CHANNEL#shop#ORDERS#2026-11#3',
      GSI2SK: '2026-11-27T09:00:00.000Z#01J0ABC3',
      GSI3PK: 'STATUS#reserved#2026-11#3',
      GSI3SK: '2026-11-27T09:00:00.000Z#01J0ABC3',
    });
    const shards = new Set(Array.from({ length: 200 }, () => orderShard(newId())));
    expect([...shards].sort()).toEqual(Array.from({ length: ORDER_INDEX_SHARDS }, (_, i) => i));
    expect(keys.orderListPartition({ channelId: 'shop' }, '2026-11', 3)).toEqual({ index: 'GSI2', partition: indexes.GSI2PK });
    expect(keys.orderListPartition({ status: 'reserved' }, '2026-11', 3)).toEqual({ index: 'GSI3', partition: indexes.GSI3PK });
  });

  it('hashes caller-supplied values before they become part of a key', () => {
    expect(keys.idempotency('pos', 'a#b').PK).toMatch(/^IDEMPOTENCY#pos#[\w-]{32}$/);
    expect(keys.inboxDelivery('shop', 'x'.repeat(5000)).PK.length).toBeLessThan(100);
  });

  it('makes the channel order reference unique per channel and external id', () => {
    expect(keys.channelOrder('shop', '5821334503521')).toEqual({ PK: 'CHANNELORDER#shop#5821334503521', SK: 'CHANNELORDER' });
  });
});

describe('table definition', () => {
  it('declares exactly the key attributes the keys module writes', () => {
    const input = createTableInput('oms');
    expect(input.AttributeDefinitions?.map((a) => a.AttributeName).sort()).toEqual(
      ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'GSI3PK', 'GSI3SK'].sort(),
    );
    expect(input.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(input.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.ttlAttribute).toBe('expiresAt');
  });
});
