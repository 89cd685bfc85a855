import { describe, expect, it } from 'vitest';
import { keys } from '#shared/store/keys.ts';
import { createTableInput, table } from '#shared/store/table.ts';

describe('keys', () => {
  it('gives each configuration entity its own partition and lists them through GSI1', () => {
    expect(keys.location('wh-boston')).toEqual({ PK: 'LOCATION#wh-boston', SK: 'LOCATION' });
    expect(keys.locationList('wh-boston')).toEqual({ GSI1PK: keys.locationListPartition, GSI1SK: 'wh-boston' });
    expect(keys.channel('shop')).toEqual({ PK: 'CHANNEL#shop', SK: 'CHANNEL' });
    expect(keys.channelSecrets('shop')).toEqual({ PK: 'CHANNEL#shop', SK: 'SECRETS' });
  });

  it('keeps the whole order aggregate in one partition, lines in order', () => {
    const partition = keys.orderPartition('01J0');
    for (const key of [keys.order('01J0'), keys.orderLine('01J0', 2), keys.reservation('01J0', 'SKU', 'wh'), keys.shipment('01J0', 's1')]) {
      expect(key.PK).toBe(partition);
    }
    expect(keys.orderLine('01J0', 2).SK < keys.orderLine('01J0', 10).SK).toBe(true);
  });

  it('buckets order indexes by day, so no index partition holds every order', () => {
    const indexes = keys.orderIndexes({ orderId: '01J0', channelId: 'shop', status: 'reserved', createdAt: '2026-11-27T09:00:00.000Z' });
    expect(indexes).toEqual({
      GSI1PK: 'ORDERS#2026-11-27',
      GSI1SK: '2026-11-27T09:00:00.000Z#01J0',
      GSI2PK: 'CHANNEL#shop#ORDERS#2026-11-27',
      GSI2SK: '2026-11-27T09:00:00.000Z#01J0',
      GSI3PK: 'STATUS#reserved#2026-11-27',
      GSI3SK: '2026-11-27T09:00:00.000Z#01J0',
    });
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
