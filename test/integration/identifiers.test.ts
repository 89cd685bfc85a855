import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { ChannelInput, applyChannelInput } from '#shared/domain/channel.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { apiEvent, call, lambdaContext } from '../support/api-events.ts';
import { fixture } from '../support/channel-fixtures.ts';
import { locationBody } from '../support/fixtures.ts';
import { TEST_TOKEN, allItems, useTestTable } from '../support/table.ts';

/**
 * Identifiers through the API as callers and channels send them: JSON
 * escapes can carry lone surrogates, text can carry invisible characters
 * and either Unicode normalisation; headers can carry anything a client
 * puts in them.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
const handlers: Record<string, unknown> = {};
const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const SECRET = 'ids-secret-0123456789abcdef0123456789';

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  for (const [name, module] of [
    ['putLocation', '#functions/locations/put-location.ts'],
    ['putChannel', '#functions/channels/put-channel.ts'],
    ['postMovements', '#functions/inventory/post-movements.ts'],
    ['getSkuInventory', '#functions/inventory/get-sku-inventory.ts'],
    ['placeOrder', '#functions/orders/place-order.ts'],
    ['getChannelOrder', '#functions/channels/get-channel-order.ts'],
    ['receiveWebhook', '#functions/webhooks/receive-webhook.ts'],
  ] as const) {
    handlers[name] = ((await import(/* @vite-ignore */ module)) as { handler: unknown }).handler;
  }
  expect((await send('putLocation', 'PUT', '/v1/locations/wh-ids', { locationId: 'wh-ids' }, locationBody())).status).toBe(201);
  expect((await send('putChannel', 'PUT', '/v1/channels/web-ids', { channelId: 'web-ids' }, { type: 'web', name: 'Web', settings: {} })).status).toBe(201);
  const channels = new DynamoChannelRepository(db, tableName);
  const { channel, secrets } = applyChannelInput(undefined, 'shopify-ids', ChannelInput.parse({ type: 'shopify', name: 'S', settings: { shopDomain: 'ids.myshopify.com' }, secrets: { webhookSecret: SECRET } }), new Date());
  await channels.save(channel, secrets, { expectedVersion: null, events: [] });
});

function send(handler: string, method: string, path: string, pathParameters: Record<string, string> | undefined, body?: unknown, headers: Record<string, string> = auth) {
  return call(
    handlers[handler],
    apiEvent({ method, path, ...(pathParameters ? { pathParameters } : {}), headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) }),
  );
}

const receipt = (movementId: string, sku: string, quantity: number) => ({ type: 'receipt', movementId, sku, locationId: 'wh-ids', quantity });
const inventory = (sku: string) => send('getSkuInventory', 'GET', `/v1/inventory/${encodeURIComponent(sku)}`, { sku });

describe('SKUs through the API', () => {
  it.each(['LONE\ud800', 'LONE\udc00', 'LONE\udfff'])('refuses a SKU with a lone surrogate (%j) with a 422 naming the field, storing nothing', async (sku) => {
    const before = await allItems(db, tableName);
    // The body as a client sends it: JSON.stringify writes a lone surrogate as a \u escape.
    const body = JSON.stringify(receipt(`lone-${sku.charCodeAt(4)}`, sku, 10));
    expect(body).toMatch(/\\ud[89a-f]/);
    const response = await send('postMovements', 'POST', '/v1/inventory/movements', undefined, body);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: { code: 'validation_failed', details: [{ in: 'body', path: 'sku', message: expect.stringMatching(/well-formed Unicode/) }] } });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('refuses a SKU with a zero-width space or a right-to-left override (look-alikes), with a 422 naming the field', async () => {
    for (const sku of ['MUG\u200b-1', '\u202eMUG-1', 'MUG\u00ad-1', '\ufeffMUG-1']) {
      const response = await send('postMovements', 'POST', '/v1/inventory/movements', undefined, receipt(`zw-${sku.length}-${sku.codePointAt(0)}`, sku, 1));
      expect(response).toMatchObject({ status: 422, body: { error: { details: [{ in: 'body', path: 'sku', message: expect.stringMatching(/invisible/) }] } } });
    }
  });

  it('keeps é composed and decomposed as one SKU, found by either spelling', async () => {
    expect((await send('postMovements', 'POST', '/v1/inventory/movements', undefined, receipt('nfc-1', 'CAF\u00c9-MUG', 3))).status).toBe(201);
    expect((await send('postMovements', 'POST', '/v1/inventory/movements', undefined, receipt('nfc-2', 'CAFE\u0301-MUG', 4))).status).toBe(201);
    for (const spelling of ['CAF\u00c9-MUG', 'CAFE\u0301-MUG']) {
      expect(await inventory(spelling)).toMatchObject({ status: 200, body: { sku: 'CAF\u00c9-MUG', total: { onHand: 7 } } });
    }
    const stock = (await allItems(db, tableName)).filter((item) => item['entity'] === 'StockPosition' && String(item['sku']).startsWith('CAF'));
    expect(stock.map((item) => item['sku'])).toEqual(['CAF\u00c9-MUG']);
  });
});

describe('a channel order whose SKU is not well-formed', () => {
  it('is refused by the webhook with a 422 naming the line, and nothing is stored (no merged SKU)', async () => {
    const payload = fixture<{ line_items: Record<string, unknown>[] }>('shopify-orders-create.json');
    (payload.line_items[0] as Record<string, unknown>)['sku'] = 'LONE\udc00';
    const body = JSON.stringify(payload);
    const before = await allItems(db, tableName);
    const response = await call(
      handlers['receiveWebhook'],
      apiEvent({
        method: 'POST',
        path: '/webhooks/shopify-ids',
        routeKey: 'POST /webhooks/{channelId}',
        pathParameters: { channelId: 'shopify-ids' },
        headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': 'ids.myshopify.com', 'x-shopify-hmac-sha256': hmacBase64(body, SECRET) },
        body,
      }),
    );
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: { details: [{ in: 'body', path: 'line_items.0.sku', message: expect.stringMatching(/well-formed Unicode/) }] } });
    expect(await allItems(db, tableName)).toEqual(before);
  });
});

describe('Idempotency-Key on POST /v1/orders', () => {
  const order = {
    channelId: 'web-ids',
    currency: 'USD',
    lines: [{ sku: 'MUG-IDS', title: 'Mug', quantity: 1, unitPrice: 1500 }],
    fulfillment: { type: 'carry_out', locationId: 'wh-ids' },
    payment: { state: 'paid', reference: 'till' },
  };
  const place = async (key: string, body: unknown = order) => {
    const handler = handlers['placeOrder'] as (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
    const result = await handler(apiEvent({ method: 'POST', path: '/v1/orders', headers: { ...auth, 'idempotency-key': key }, body: JSON.stringify(body) }), lambdaContext());
    return { status: result.statusCode, body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : undefined, raw: result.body };
  };

  it('takes every length the docs promise, up to 255 characters; the key is the order\'s external id, found by it', async () => {
    for (const length of [201, 255]) {
      const key = `k${length}-`.padEnd(length, 'x');
      const placed = await place(key);
      expect(placed.status, placed.raw).toBe(201);
      expect(placed.body).toMatchObject({ order: { channel: { externalOrderId: key } }, outcome: 'created' });
      expect((await place(key)).raw).toBe(placed.raw);
      const found = await send('getChannelOrder', 'GET', `/v1/channels/web-ids/orders/${key}`, { channelId: 'web-ids', externalOrderId: key });
      expect(found).toMatchObject({ status: 200, body: { channel: { externalOrderId: key } } });
    }
  });

  it('refuses a key over 255 characters with a 422 naming the header, and an external order id over 255 naming the field', async () => {
    expect(await place('k'.repeat(256))).toMatchObject({ status: 422, body: { error: { details: [{ in: 'header', path: 'idempotency-key' }] } } });
    const tooLong = await place('ext-256', { ...order, externalOrderId: 'e'.repeat(256) });
    expect(tooLong).toMatchObject({ status: 422, body: { error: { details: [{ in: 'body', path: 'externalOrderId' }] } } });
    expect((await place('ext-255', { ...order, externalOrderId: 'e'.repeat(255) })).status).toBe(201);
  });

  it.each([
    ['a tab', 'till-1\t2'],
    ['a DEL', 'till-1\u007f2'],
    ['a space', 'till 12'],
    ['a non-ASCII letter', 'till-é'],
    ['a zero-width space', 'till-\u200b12'],
  ])('refuses a key with %s: 400 with the JSON error naming the header, nothing written', async (_case, key) => {
    const before = await allItems(db, tableName);
    const response = await place(key);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { code: 'malformed_request', message: expect.stringContaining('Idempotency-Key'), details: [{ in: 'header', path: 'idempotency-key', message: expect.stringMatching(/visible ASCII/) }] },
    });
    expect(await allItems(db, tableName)).toEqual(before);
  });
});
