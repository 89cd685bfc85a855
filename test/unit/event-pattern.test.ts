import { describe, expect, it } from 'vitest';
import { matchesPattern } from '#infra/local/event-pattern.ts';

const event = {
  source: 'oms.orders',
  'detail-type': 'OrderReceived',
  detail: { channel: { type: 'shopify' }, total: 124.63, tags: ['vip', 'gift'], note: null, sku: 'TEE-ORG-M-BLK' },
};

describe('matchesPattern (EventBridge semantics)', () => {
  it.each([
    [{ source: ['oms.orders'] }, true],
    [{ source: ['oms.inventory'] }, false],
    [{ source: ['oms.orders'], 'detail-type': ['OrderReceived', 'OrderCancelled'] }, true],
    [{ detail: { channel: { type: ['shopify'] } } }, true],
    [{ detail: { channel: { type: ['ebay'] } } }, false],
    [{ detail: { tags: ['gift'] } }, true],
    [{ detail: { note: [null] } }, true],
    [{ detail: { sku: [{ prefix: 'TEE-' }] } }, true],
    [{ detail: { sku: [{ suffix: '-BLK' }] } }, true],
    [{ detail: { sku: [{ prefix: { 'equals-ignore-case': 'tee-' } }] } }, true],
    [{ detail: { sku: [{ 'equals-ignore-case': 'tee-org-m-blk' }] } }, true],
    [{ detail: { sku: [{ wildcard: 'TEE-*-BLK' }] } }, true],
    [{ detail: { sku: [{ 'anything-but': ['TEE-ORG-M-BLK'] }] } }, false],
    [{ detail: { sku: [{ 'anything-but': { prefix: 'MUG' } }] } }, true],
    [{ detail: { total: [{ numeric: ['>', 100, '<=', 200] }] } }, true],
    [{ detail: { total: [{ numeric: ['<', 100] }] } }, false],
    [{ detail: { coupon: [{ exists: false }] } }, true],
    [{ detail: { coupon: [{ exists: true }] } }, false],
    [{ detail: { sku: [{ exists: true }] } }, true],
    [{ detail: { missing: ['x'] } }, false],
    [{ $or: [{ source: ['nope'] }, { detail: { total: [{ numeric: ['=', 124.63] }] } }] }, true],
  ])('%j → %s', (pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('matches DynamoDB stream records the way the outbox pipe filter does', () => {
    const filter = { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['OutboxEvent'] } } } };
    expect(matchesPattern(filter, { eventName: 'INSERT', dynamodb: { NewImage: { entity: { S: 'OutboxEvent' } } } })).toBe(true);
    expect(matchesPattern(filter, { eventName: 'REMOVE', dynamodb: { OldImage: { entity: { S: 'OutboxEvent' } } } })).toBe(false);
    expect(matchesPattern(filter, { eventName: 'INSERT', dynamodb: { NewImage: { entity: { S: 'Location' } } } })).toBe(false);
  });

  it('rejects operators it does not know instead of guessing', () => {
    expect(() => matchesPattern({ detail: { ip: [{ cidr: '10.0.0.0/8' }] } }, { detail: { ip: '10.0.0.1' } })).toThrow(/Unsupported/);
  });
});
