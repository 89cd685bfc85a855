import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/store/keys.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { locationBody, shopifyChannelBody } from '../support/fixtures.ts';
import { TEST_TOKEN, useTestTable } from '../support/table.ts';

/**
 * A SKU policy's `channelBuffers` is keyed by channel id. Channel ids are data:
 * validated like every channel id, stored and read as data, never looked up
 * on a plain object, where `constructor` finds Object's constructor and
 * `__proto__` is no key at all.
 */
const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const handlers: Record<string, unknown> = {};
let db: DynamoDBDocumentClient;
let tableName: string;

const request = (name: string, method: string, path: string, routeKey: string, pathParameters: Record<string, string>, body?: string) =>
  call(handlers[name], apiEvent({ method, path, routeKey, pathParameters, headers: auth, ...(body === undefined ? {} : { body }) }));
const putPolicy = (sku: string, body: string) => request('putSkuPolicy', 'PUT', `/v1/inventory/${sku}/policy`, 'PUT /v1/inventory/{sku}/policy', { sku }, body);
const getInventory = (sku: string) => request('getSkuInventory', 'GET', `/v1/inventory/${sku}`, 'GET /v1/inventory/{sku}', { sku });

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  for (const [name, module] of [
    ['putLocation', '#functions/locations/put-location.ts'],
    ['putChannel', '#functions/channels/put-channel.ts'],
    ['putListing', '#functions/channels/put-listing.ts'],
    ['postMovements', '#functions/inventory/post-movements.ts'],
    ['putSkuPolicy', '#functions/inventory/put-sku-policy.ts'],
    ['getSkuInventory', '#functions/inventory/get-sku-inventory.ts'],
  ] as const) {
    handlers[name] = ((await import(module)) as { handler: unknown }).handler;
  }
  const ok = (response: { status: number; body: unknown }) => expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  ok(await request('putLocation', 'PUT', '/v1/locations/wh-buf', 'PUT /v1/locations/{locationId}', { locationId: 'wh-buf' }, JSON.stringify(locationBody())));
  // `constructor` is a well-formed channel id: lowercase letters.
  ok(await request('putChannel', 'PUT', '/v1/channels/constructor', 'PUT /v1/channels/{channelId}', { channelId: 'constructor' }, JSON.stringify(shopifyChannelBody())));
  ok(await request('putListing', 'PUT', '/v1/channels/constructor/listings/BUF-1', 'PUT /v1/channels/{channelId}/listings/{sku}', { channelId: 'constructor', sku: 'BUF-1' }, JSON.stringify({ type: 'shopify', inventoryItemId: '1' })));
  ok(
    await call(
      handlers['postMovements'],
      apiEvent({ method: 'POST', path: '/v1/inventory/movements', routeKey: 'POST /v1/inventory/movements', headers: auth, body: JSON.stringify({ type: 'receipt', movementId: 'buf-receipt-1', sku: 'BUF-1', locationId: 'wh-buf', quantity: 10 }) }),
    ),
  );
});

describe('channel buffers of a SKU policy', () => {
  it('a channel without a buffer holds nothing back, whatever its id', async () => {
    const inventory = await getInventory('BUF-1');
    expect(inventory.status, JSON.stringify(inventory.body)).toBe(200);
    expect(inventory.body).toMatchObject({ policy: { channelBuffers: {} }, channels: [{ channelId: 'constructor', available: 10 }] });
  });

  it('stores a buffer for a channel whose id is also a property of every object, and applies it', async () => {
    const put = await putPolicy('BUF-1', '{"channelBuffers":{"constructor":3}}');
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ policy: { channelBuffers: { constructor: 3 } } });
    const inventory = await getInventory('BUF-1');
    expect(inventory.status, JSON.stringify(inventory.body)).toBe(200);
    expect(inventory.body).toMatchObject({ policy: { channelBuffers: { constructor: 3 } }, channels: [{ channelId: 'constructor', available: 7 }] });
  });

  it.each([
    ['__proto__', '{"channelBuffers":{"__proto__":5}}', 'channelBuffers.__proto__'],
    ['a nested __proto__ next to a good key', '{"channelBuffers":{"shopify-us":1,"__proto__":{"x":1}}}', 'channelBuffers.__proto__'],
    ['an id with upper case and a space', '{"channelBuffers":{"Bad Id":5}}', 'channelBuffers.Bad Id'],
    ['an id with the key separator', '{"channelBuffers":{"a#b":5}}', 'channelBuffers.a#b'],
    ['an empty id', '{"channelBuffers":{"":5}}', 'channelBuffers.'],
  ])('refuses %s as a channel id with 422 naming it, and writes nothing', async (_case, body, path) => {
    const refused = await putPolicy('BUF-1', body);
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body).toMatchObject({ error: { code: 'validation_failed', details: expect.arrayContaining([expect.objectContaining({ in: 'body', path })]) } });
    expect((await getInventory('BUF-1')).body).toMatchObject({ policy: { channelBuffers: { constructor: 3 } } });
  });

  it('reads a policy stored before channel ids were checked, leaving out buffers no channel can have', async () => {
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.skuPolicy('BUF-OLD'), entity: 'SkuPolicy', sku: 'BUF-OLD', backorder: 'not_allowed', shards: 1, reorderPoint: 0, channelBuffers: { 'Bad Id': 1, 'amazon-us': 2 }, highestShard: 1, version: 1 },
      }),
    );
    const inventory = await getInventory('BUF-OLD');
    expect(inventory.status, JSON.stringify(inventory.body)).toBe(200);
    expect((inventory.body as { policy: { channelBuffers: unknown } }).policy.channelBuffers).toEqual({ 'amazon-us': 2 });
  });
});
