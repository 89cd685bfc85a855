import { beforeAll, describe, expect, it } from 'vitest';
import { ChannelChanged } from '#events/channel-changed.ts';
import { LocationChanged } from '#events/location-changed.ts';
import { ChannelInput, applyChannelInput } from '#shared/domain/channel.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { LocationInput, applyLocationInput, assessLocationReadiness } from '#shared/domain/location.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { DynamoLocationRepository } from '#shared/store/location-repository.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { locationBody, shopifyChannelBody } from '../support/fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

let db: DynamoDBDocumentClient;
let tableName: string;
let locations: DynamoLocationRepository;
let channels: DynamoChannelRepository;
const now = new Date('2026-11-27T10:00:00.000Z');
const ctx = { occurredAt: now, actor: 'test' };

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  locations = new DynamoLocationRepository(db, tableName);
  channels = new DynamoChannelRepository(db, tableName);
});

const newLocation = (id: string) => applyLocationInput(undefined, id, LocationInput.parse(locationBody()), now).location;

describe('DynamoLocationRepository', () => {
  it('writes the location and its event in one transaction', async () => {
    const location = newLocation('wh-tx');
    const event = LocationChanged.create({ change: 'created', location }, ctx);
    await locations.save(location, { expectedVersion: null, events: [event] });

    expect(await locations.get('wh-tx')).toEqual(location);
    const outbox = (await allItems(db, tableName)).filter((item) => item['entity'] === 'OutboxEvent');
    expect(outbox.map((item) => JSON.parse(item['detail'] as string).metadata.eventId)).toContain(event.eventId);
    const stored = outbox.find((item) => item['PK'] === `EVENT#${event.eventId}`);
    expect(stored?.['expiresAt']).toBeGreaterThan(now.getTime() / 1000);
  });

  it('writes neither the change nor its event when the version condition fails', async () => {
    const location = newLocation('wh-race');
    await locations.save(location, { expectedVersion: null, events: [] });
    const before = await allItems(db, tableName);
    const secondCreate = LocationChanged.create({ change: 'created', location }, ctx);
    await expect(locations.save(location, { expectedVersion: null, events: [secondCreate] })).rejects.toBeInstanceOf(
      ConcurrentModificationError,
    );
    const staleUpdate = { ...location, name: 'stale', version: 2 };
    await expect(locations.save(staleUpdate, { expectedVersion: 5, events: [] })).rejects.toBeInstanceOf(ConcurrentModificationError);
    expect(await allItems(db, tableName)).toHaveLength(before.length);
  });

  it('lets exactly one of many concurrent creators win', async () => {
    const location = newLocation('wh-concurrent');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        locations.save(location, { expectedVersion: null, events: [LocationChanged.create({ change: 'created', location }, ctx)] }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ConcurrentModificationError)).toBe(true);
    const events = (await allItems(db, tableName)).filter(
      (item) => item['entity'] === 'OutboxEvent' && (item['detail'] as string).includes('"wh-concurrent"'),
    );
    expect(events).toHaveLength(1);
  });

  it('lists by id, page by page, through GSI1', async () => {
    for (const id of ['list-a', 'list-b', 'list-c']) await locations.save(newLocation(id), { expectedVersion: null, events: [] });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await locations.list({ limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((l) => l.locationId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.filter((id) => id.startsWith('list-'))).toEqual(['list-a', 'list-b', 'list-c']);
    expect([...seen].sort()).toEqual(seen);
  });

  it('records readiness only for the version it assessed', async () => {
    const location = newLocation('wh-ready');
    await locations.save(location, { expectedVersion: null, events: [] });
    expect(await locations.recordReadiness('wh-ready', assessLocationReadiness(location, now))).toBe(true);
    expect((await locations.get('wh-ready'))?.readiness?.status).toBe('ready');
    const stale = { ...assessLocationReadiness(location, now), checkedVersion: 7 };
    expect(await locations.recordReadiness('wh-ready', stale)).toBe(false);
  });
});

describe('DynamoChannelRepository', () => {
  it('stores secrets in their own item that no read of the channel returns', async () => {
    const { channel, secrets } = applyChannelInput(undefined, 'shop-a', ChannelInput.parse(shopifyChannelBody()), now);
    await channels.save(channel, secrets, { expectedVersion: null, events: [ChannelChanged.create({ change: 'created', channel }, ctx)] });

    expect(JSON.stringify(await channels.get('shop-a'))).not.toContain('shpss_super_secret_value_0123456789abcdef');
    expect(JSON.stringify(await channels.list({ limit: 10 }))).not.toContain('shpss_super_secret_value_0123456789abcdef');
    expect(await channels.getSecrets('shop-a')).toEqual({ webhookSecret: 'shpss_super_secret_value_0123456789abcdef' });
    const outbox = (await allItems(db, tableName)).filter((item) => item['entity'] === 'OutboxEvent');
    expect(JSON.stringify(outbox)).not.toContain('shpss_super_secret_value_0123456789abcdef');
    const secretItem = (await allItems(db, tableName)).find((item) => item['SK'] === 'SECRETS');
    expect(Object.keys(secretItem ?? {}).filter((k) => k.startsWith('GSI'))).toEqual([]);
  });

  it('leaves stored secrets alone when saving without them', async () => {
    const existing = await channels.getWithSecrets('shop-a');
    if (!existing) throw new Error('the channel saved above is missing');
    const renamed = { ...existing.channel, name: 'Renamed', version: existing.channel.version + 1 };
    await channels.save(renamed, undefined, { expectedVersion: existing.channel.version, events: [] });
    expect(await channels.getWithSecrets('shop-a')).toMatchObject({
      channel: { name: 'Renamed', version: 2 },
      secrets: { webhookSecret: 'shpss_super_secret_value_0123456789abcdef' },
    });
  });
});
