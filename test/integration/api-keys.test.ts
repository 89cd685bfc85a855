import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#shared/domain/ids.ts';
import { keys } from '#shared/store/keys.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { TEST_TOKEN, allItems, useTestTable } from '../support/table.ts';

let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
const handlers: Record<string, unknown> = {};
const admin = { authorization: `Bearer ${TEST_TOKEN}` };
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
  for (const [name, module] of [
    ['createApiKey', '#functions/identity/create-api-key.ts'],
    ['listApiKeys', '#functions/identity/list-api-keys.ts'],
    ['revokeApiKey', '#functions/identity/revoke-api-key.ts'],
    ['putLocation', '#functions/locations/put-location.ts'],
    ['putChannel', '#functions/channels/put-channel.ts'],
    ['listLocations', '#functions/locations/list-locations.ts'],
    ['placeOrder', '#functions/orders/place-order.ts'],
    ['getOrderTimeline', '#functions/orders/get-order-timeline.ts'],
    ['cancelOrder', '#functions/orders/cancel-order.ts'],
    ['postFulfillmentEvent', '#functions/fulfillment/post-fulfillment-event.ts'],
  ] as const) {
    handlers[name] = ((await import(/* @vite-ignore */ module)) as { handler: unknown }).handler;
  }
});

function send(handler: string, method: string, path: string, options: { pathParameters?: Record<string, string>; body?: unknown; headers?: Record<string, string> } = {}) {
  return call(
    handlers[handler],
    apiEvent({
      method,
      path,
      ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
      headers: options.headers ?? admin,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    }),
  );
}

async function createKey(body: Record<string, unknown>, headers: Record<string, string> = admin) {
  return send('createApiKey', 'POST', '/v1/api-keys', { body, headers });
}

async function newKey(body: Record<string, unknown>): Promise<{ keyId: string; secret: string }> {
  const created = await createKey(body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const result = created.body as { key: { keyId: string }; secret: string };
  return { keyId: result.key.keyId, secret: result.secret };
}

const webOrder = (channelId: string) => ({
  channelId,
  currency: 'USD',
  lines: [{ sku: 'MUG-KEYS', title: 'Mug', quantity: 1, unitPrice: 1500 }],
  fulfillment: { type: 'carry_out', locationId: 'wh-keys' },
  payment: { state: 'paid', reference: 'till' },
});
const place = (channelId: string, headers: Record<string, string>) =>
  send('placeOrder', 'POST', '/v1/orders', { body: webOrder(channelId), headers: { ...headers, 'idempotency-key': newId() } });

describe('/v1/api-keys', () => {
  it('creates a key (201, secret once, oms_<keyId>_ form), stores only its hash, lists it without secrets, and the key works', async () => {
    const created = await createKey({ name: 'Analyst', scopes: ['read'] });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { key, secret } = created.body as { key: { keyId: string }; secret: string };
    expect(secret).toMatch(new RegExp(`^oms_${key.keyId}_[A-Za-z0-9_-]{43}$`));
    expect(key).toMatchObject({ name: 'Analyst', scopes: ['read'], status: 'active', createdBy: 'bootstrap' });
    expect(key).not.toHaveProperty('secretHash');

    const stored = (await allItems(db, tableName)).find((item) => item['PK'] === keys.apiKey(key.keyId).PK);
    expect(stored?.['secretHash']).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(-43));

    const listed = await send('listApiKeys', 'GET', '/v1/api-keys');
    expect(listed.status).toBe(200);
    const items = (listed.body as { items: Record<string, unknown>[] }).items;
    expect(items.find((i) => i['keyId'] === key.keyId)).toMatchObject({ name: 'Analyst', status: 'active' });
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(-43));
    expect(JSON.stringify(listed.body)).not.toContain('secretHash');

    expect((await send('listLocations', 'GET', '/v1/locations', { headers: bearer(secret) })).status).toBe(200);
  });

  it('refuses bad input with 422 naming the field, writing nothing', async () => {
    const before = await allItems(db, tableName);
    for (const [body, path] of [
      [{ name: 'x', scopes: ['superuser'] }, 'scopes.0'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: '', scopes: ['read'] }, 'name'],
      [{ name: 'x', scopes: ['read'], channels: ['web-1'] }, 'channels'],
      [{ name: 'x', scopes: ['orders:write'], locations: ['wh-1'] }, 'locations'],
      [{ name: 'x', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
    ] as const) {
      const response = await createKey(body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.body).toMatchObject({ error: { code: 'validation_failed', details: expect.arrayContaining([expect.objectContaining({ in: 'body', path })]) } });
    }
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('revokes: the key answers 401 at once (two keys valid during a rotation, then only the new one)', async () => {
    const old = await newKey({ name: 'WMS v1', scopes: ['read'] });
    const next = await newKey({ name: 'WMS v2', scopes: ['read'] });
    // Both work during the overlap, and the old one is cached by this container.
    for (const key of [old, next]) expect((await send('listLocations', 'GET', '/v1/locations', { headers: bearer(key.secret) })).status).toBe(200);

    const revoked = await send('revokeApiKey', 'DELETE', `/v1/api-keys/${old.keyId}`, { pathParameters: { keyId: old.keyId } });
    expect(revoked).toMatchObject({ status: 200, body: { keyId: old.keyId, status: 'revoked', revokedBy: 'bootstrap' } });

    const refused = await send('listLocations', 'GET', '/v1/locations', { headers: bearer(old.secret) });
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'unauthorized', message: expect.stringMatching(/not valid/) } } });
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="oms"');
    expect((await send('listLocations', 'GET', '/v1/locations', { headers: bearer(next.secret) })).status).toBe(200);

    // Again: unchanged, first revocation kept. Unknown: 404.
    expect((await send('revokeApiKey', 'DELETE', `/v1/api-keys/${old.keyId}`, { pathParameters: { keyId: old.keyId } })).body).toMatchObject({ status: 'revoked' });
    const unknown = newId();
    expect((await send('revokeApiKey', 'DELETE', `/v1/api-keys/${unknown}`, { pathParameters: { keyId: unknown } })).status).toBe(404);
  });

  it('401 for a missing, malformed, unknown or tampered key; an expired key too', async () => {
    const { keyId, secret } = await newKey({ name: 'Tamper', scopes: ['read'] });
    const tampered = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const headers of [{}, { authorization: 'Basic abc' }, bearer('oms_nope'), bearer(`oms_${newId()}_${'A'.repeat(43)}`), bearer(tampered)]) {
      const response = await send('listLocations', 'GET', '/v1/locations', { headers });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(response.body).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect(keyId).toHaveLength(26);
    const item = keys.apiKey(keyId);
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const expiring = await newKey({ name: 'Expiring', scopes: ['read'], expiresAt });
    const listed = (await send('listApiKeys', 'GET', '/v1/api-keys')).body as { items: Record<string, unknown>[] };
    expect(listed.items.find((k) => k['keyId'] === expiring.keyId)).toMatchObject({ expiresAt, status: 'active' });
    await db.send(new UpdateCommand({ TableName: tableName, Key: keys.apiKey(expiring.keyId), UpdateExpression: 'SET notAfter = :past', ExpressionAttributeValues: { ':past': '2001-01-01T00:00:00.000Z' } }));
    // A key this container has not cached: read fresh, expired.
    expect((await send('listLocations', 'GET', '/v1/locations', { headers: bearer(expiring.secret) })).status).toBe(401);
    expect(item.SK).toBe('APIKEY');
  });

  it('a read key gets 403 naming the scope on POST, and an admin-only route; keys cannot be created by a non-admin', async () => {
    const reader = await newKey({ name: 'Reader', scopes: ['read'] });
    const before = await allItems(db, tableName);
    const posted = await place('web-keys', bearer(reader.secret));
    expect(posted).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: expect.stringContaining('"orders:write"'), details: [{ path: 'scope', code: 'missing_scope' }] } } });
    expect(posted.headers['www-authenticate']).toBeUndefined();
    const created = await createKey({ name: 'Escalate', scopes: ['admin'] }, bearer(reader.secret));
    expect(created).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: expect.stringContaining('"admin"') } } });
    expect((await send('listApiKeys', 'GET', '/v1/api-keys', { headers: bearer(reader.secret) })).status).toBe(403);
    expect(await allItems(db, tableName)).toEqual(before);
  });
});

describe('scopes limited to channels and locations', () => {
  beforeAll(async () => {
    for (const locationId of ['wh-keys']) {
      await world.location(locationId, { capabilities: ['ship', 'pickup'] });
      await world.receive('MUG-KEYS', locationId, 100);
    }
    for (const [channelId, type] of [['web-1', 'web'], ['pos-2', 'pos'], ['web-keys', 'web']] as const) {
      const response = await send('putChannel', 'PUT', `/v1/channels/${channelId}`, { pathParameters: { channelId }, body: { type, name: channelId, settings: {} } });
      expect(response.status).toBe(201);
    }
  });

  it('an orders:write key for web-1 places for web-1 (its key on the timeline) but gets 403 for pos-2, writing nothing', async () => {
    const till = await newKey({ name: 'Web store', scopes: ['orders:write', 'read'], channels: ['web-1'] });
    const placed = await place('web-1', bearer(till.secret));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const orderId = (placed.body as { order: { orderId: string } }).order.orderId;
    const timeline = await send('getOrderTimeline', 'GET', `/v1/orders/${orderId}/timeline`, { pathParameters: { orderId }, headers: bearer(till.secret) });
    expect((timeline.body as { items: { actor: string }[] }).items.map((e) => e.actor)).toContain(`key:${till.keyId}`);

    const before = await allItems(db, tableName);
    const refused = await place('pos-2', bearer(till.secret));
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'forbidden', details: [{ path: 'channelId', code: 'channel_not_allowed' }] } } });
    expect(await allItems(db, tableName)).toEqual(before);

    // The bootstrap token places for any channel; the till cannot cancel a pos-2 order.
    const other = await place('pos-2', admin);
    expect(other.status).toBe(201);
    const otherId = (other.body as { order: { orderId: string } }).order.orderId;
    const cancel = await send('cancelOrder', 'POST', `/v1/orders/${otherId}/cancel`, { pathParameters: { orderId: otherId }, body: { reason: 'test' }, headers: bearer(till.secret) });
    expect(cancel).toMatchObject({ status: 403, body: { error: { code: 'forbidden', details: [{ path: 'channelId' }] } } });
    const own = await send('cancelOrder', 'POST', `/v1/orders/${orderId}/cancel`, { pathParameters: { orderId }, body: { reason: 'test' }, headers: bearer(till.secret) });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
  });

  it('a fulfillment:report key for location A gets 403 on location B\'s fulfillment and 200 on A\'s, the key named on the timeline', async () => {
    const a = `loc-a-${newId().slice(-6).toLowerCase()}`;
    const b = `loc-b-${newId().slice(-6).toLowerCase()}`;
    const { parcels: [atA] } = await world.routedOrder([{ sku: `KEY-A-${newId()}`, quantity: 1, at: a }]);
    const { parcels: [atB] } = await world.routedOrder([{ sku: `KEY-B-${newId()}`, quantity: 1, at: b }]);
    const fa = must(atA).fulfillmentId;
    const fb = must(atB).fulfillmentId;
    const wms = await newKey({ name: 'WMS A', scopes: ['fulfillment:report'], locations: [a] });
    const report = (fulfillmentId: string) =>
      send('postFulfillmentEvent', 'POST', `/v1/fulfillments/${fulfillmentId}/events`, { pathParameters: { fulfillmentId }, body: { type: 'accepted' }, headers: bearer(wms.secret) });

    const before = await allItems(db, tableName);
    const refused = await report(fb);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: expect.stringContaining(b), details: [{ path: 'locationId', code: 'location_not_allowed' }] } } });
    expect(await allItems(db, tableName)).toEqual(before);

    const accepted = await report(fa);
    expect(accepted).toMatchObject({ status: 200, body: { fulfillment: { fulfillmentId: fa, status: 'accepted' } } });
    const orderId = must(atA).orderId;
    const entries = await world.orders.timeline(orderId, { limit: 100 });
    expect(entries.items.map((e) => e.actor)).toContain(`key:${wms.keyId}`);
  });
});
