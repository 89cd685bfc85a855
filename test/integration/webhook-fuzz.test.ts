import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { ChannelInput, applyChannelInput } from '#shared/domain/channel.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { fixture } from '../support/channel-fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * Property: whatever arrives at a webhook route — garbage, JSON that is not an
 * order, an order with a required field broken, a bad signature — the answer
 * is a 4xx (or a 200 for a WooCommerce ping), never a 5xx, and nothing is
 * written.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let handler: unknown;
const SECRET = 'fuzz-secret-0123456789abcdef0123456789';

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  const channels = new DynamoChannelRepository(db, tableName);
  for (const [channelId, body] of [
    ['shopify-fz', { type: 'shopify', name: 'S', settings: { shopDomain: 'fz.myshopify.com' }, secrets: { webhookSecret: SECRET } }],
    ['woo-fz', { type: 'woocommerce', name: 'W', settings: { storeUrl: 'https://fz.example' }, secrets: { webhookSecret: SECRET } }],
  ] as const) {
    const { channel, secrets } = applyChannelInput(undefined, channelId, ChannelInput.parse(body), new Date());
    await channels.save(channel, secrets, { expectedVersion: null, events: [] });
  }
  handler = (await import('#functions/webhooks/receive-webhook.ts')).handler;
});

const routes = {
  'shopify-fz': {
    topicHeader: 'x-shopify-topic',
    topic: 'orders/create',
    signatureHeader: 'x-shopify-hmac-sha256',
    fixture: 'shopify-orders-create.json',
    // Shopify names the shop on every delivery; it must be the channel's.
    headers: { 'x-shopify-shop-domain': 'fz.myshopify.com' },
  },
  'woo-fz': { topicHeader: 'x-wc-webhook-topic', topic: 'order.created', signatureHeader: 'x-wc-webhook-signature', fixture: 'woocommerce-order-created.json', headers: {} },
} as const;
type ChannelKey = keyof typeof routes;

async function deliver(channelId: ChannelKey, body: string, signature: string | undefined, headers: Record<string, string> = routes[channelId].headers) {
  const route = routes[channelId];
  return call(
    handler,
    apiEvent({
      method: 'POST',
      path: `/webhooks/${channelId}`,
      routeKey: 'POST /webhooks/{channelId}',
      pathParameters: { channelId },
      headers: { [route.topicHeader]: route.topic, ...headers, ...(signature === undefined ? {} : { [route.signatureHeader]: signature }) },
      body,
    }),
  );
}

/** Required fields of each payload, and values none of them accepts. */
const requiredPaths: Record<ChannelKey, string[]> = {
  'shopify-fz': ['id', 'currency', 'created_at', 'total_price', 'line_items', 'line_items.0.sku', 'line_items.0.quantity', 'line_items.0.price', 'line_items.0.title'],
  'woo-fz': ['id', 'status', 'currency', 'date_created_gmt', 'total', 'line_items', 'line_items.0.sku', 'line_items.0.quantity', 'line_items.0.subtotal', 'line_items.0.total'],
};
const brokenValue = fc.constantFrom<unknown>(undefined, null, {}, [], true);

function breakField(document: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(document);
  const segments = path.split('.');
  const last = segments.pop() as string;
  const parent = segments.reduce<Record<string, unknown>>((node, segment) => node[segment] as Record<string, unknown>, copy);
  if (value === undefined) Reflect.deleteProperty(parent, last);
  else parent[last] = value;
  return copy;
}

describe.each(Object.keys(routes) as ChannelKey[])('POST /webhooks/%s under malformed input', (channelId) => {
  it('never answers 5xx and never writes, for thousands of hostile payloads', async () => {
    const before = await allItems(db, tableName);
    const statuses = new Map<number, number>();
    const seen = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const original = fixture<Record<string, unknown>>(routes[channelId].fixture);

    // Garbage and arbitrary JSON, correctly signed: it reaches the parser and the schema.
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.uint8Array().map((b) => Buffer.from(b).toString('latin1'))), async (body) => {
        const { status } = await deliver(channelId, body, hmacBase64(body, SECRET));
        seen(status);
        expect(status).toBeLessThan(500);
        expect([200, 400, 422]).toContain(status);
      }),
      { numRuns: 800 },
    );
    // The real order with one required field removed or of the wrong type: a 422 that names it.
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...requiredPaths[channelId]), brokenValue, async (path, value) => {
        const body = JSON.stringify(breakField(original, path, value));
        const response = await deliver(channelId, body, hmacBase64(body, SECRET));
        seen(response.status);
        expect(response.status).toBe(422);
        const details = (response.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
        expect(details.some((d) => d === path || d.startsWith(`${path}.`) || path.startsWith(d))).toBe(true);
      }),
      { numRuns: 400 },
    );
    // Anything with a missing or wrong signature: 401 before the body is even read.
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.option(fc.base64String({ minLength: 4, maxLength: 64 }), { nil: undefined }), async (body, signature) => {
        const { status } = await deliver(channelId, body, signature);
        seen(status);
        expect(status).toBe(401);
      }),
      { numRuns: 300 },
    );

    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    expect(await allItems(db, tableName)).toHaveLength(before.length);
  });
});

describe('POST /webhooks/shopify-fz from the wrong shop, or signed loosely', () => {
  const body = JSON.stringify(fixture<Record<string, unknown>>('shopify-orders-create.json'));
  const signature = hmacBase64(body, SECRET);

  it.each([
    ['another shop', { 'x-shopify-shop-domain': 'other.myshopify.com' }],
    ['a look-alike of the shop', { 'x-shopify-shop-domain': 'fz.myshopify.com.evil.example' }],
    ['no X-Shopify-Shop-Domain', {}],
    ['an empty X-Shopify-Shop-Domain', { 'x-shopify-shop-domain': '' }],
  ])('refuses a correctly signed delivery from %s: 401 with the JSON error, nothing written', async (_case, headers: Record<string, string>) => {
    const before = await allItems(db, tableName);
    const response = await deliver('shopify-fz', body, signature, headers);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: 'unauthorized', message: expect.stringContaining('X-Shopify-Shop-Domain') } });
    expect(await allItems(db, tableName)).toHaveLength(before.length);
  });

  it.each([
    ['junk before it', `!!${signature}`],
    ['whitespace inside it', `${signature.slice(0, 20)} ${signature.slice(20)}`],
    ['no padding', signature.replace(/=+$/, '')],
  ])('refuses the right digest with %s: 401, nothing written', async (_case, loose) => {
    const before = await allItems(db, tableName);
    expect((await deliver('shopify-fz', body, loose)).status).toBe(401);
    expect(await allItems(db, tableName)).toHaveLength(before.length);
  });

  it('takes the shop\'s domain in any letter case', async () => {
    const response = await deliver('shopify-fz', body, signature, { 'x-shopify-shop-domain': 'FZ.MyShopify.com', 'x-shopify-webhook-id': 'fz-case-1' });
    expect(response).toMatchObject({ status: 200, body: { outcome: 'stored', topic: 'orders/create' } });
  });
});
