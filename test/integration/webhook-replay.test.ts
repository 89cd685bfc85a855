import { createHmac } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { ChannelInput, applyChannelInput } from '#shared/domain/channel.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { DynamoCustomerRepository } from '#shared/store/customer-repository.ts';
import { DynamoInboxRepository, INBOX_ENTITY, INBOX_ERASED_ENTITY } from '#shared/store/inbox-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { captureDelivery } from '#shared/use-cases/capture-delivery.ts';
import { bodyDigestKey } from '#shared/use-cases/receive-webhook.ts';
import { receiveCarrierWebhook } from '#shared/use-cases/tracking.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { fixtureText } from '../support/channel-fixtures.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * Webhook replay (docs/security.md, threat model): a channel signs the body,
 * not the delivery id header, so whoever captured one validly signed delivery
 * can send it again under a new delivery id. The inbox item is keyed by the
 * body's digest, so that replay — like the channel's own retry, which resends
 * the same body — answers 200 `duplicate` and writes nothing; a genuine new
 * delivery about the same order has another body (its updated_at moved) and
 * is stored. Erasure empties the inbox item but keeps its key, so a replay
 * after erasure still stores nothing. The carrier webhook (no delivery id at
 * all) dedupes on the scan itself.
 */
type Json = Record<string, unknown>;
const SECRET = 'replay-test-secret-0123456789abcdef0123';
let db: DynamoDBDocumentClient;
let tableName: string;
let handler: unknown;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  const channels = new DynamoChannelRepository(db, tableName);
  for (const [channelId, body] of [
    ['shopify-replay', { type: 'shopify', name: 'S', settings: { shopDomain: 'replay.myshopify.com' }, secrets: { webhookSecret: SECRET } }],
    ['woo-replay', { type: 'woocommerce', name: 'W', settings: { storeUrl: 'https://replay.example' }, secrets: { webhookSecret: SECRET } }],
  ] as const) {
    const { channel, secrets } = applyChannelInput(undefined, channelId, ChannelInput.parse(body), new Date());
    await channels.save(channel, secrets, { expectedVersion: null, events: [] });
  }
  handler = (await import('#functions/webhooks/receive-webhook.ts')).handler;
});

async function deliver(channelId: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: Json }> {
  const reply = await call(
    handler,
    apiEvent({ method: 'POST', path: `/webhooks/${channelId}`, routeKey: 'POST /webhooks/{channelId}', pathParameters: { channelId }, headers: { 'content-type': 'application/json', ...headers }, body }),
  );
  return reply as { status: number; body: Json };
}

const shopifyHeaders = (body: string, webhookId: string) => ({
  'x-shopify-topic': 'orders/updated',
  'x-shopify-shop-domain': 'replay.myshopify.com',
  'x-shopify-webhook-id': webhookId,
  'x-shopify-hmac-sha256': hmacBase64(body, SECRET),
});
const wooHeaders = (body: string, deliveryId: string) => ({ 'x-wc-webhook-topic': 'order.updated', 'x-wc-webhook-delivery-id': deliveryId, 'x-wc-webhook-signature': hmacBase64(body, SECRET) });
const inboxItems = async () => (await allItems(db, tableName)).filter((item) => item['entity'] === INBOX_ENTITY);

/** A fixture order under a fresh external id, so each test has its own. */
function shopifyBody(externalId: number, updatedAt: string): string {
  const order = JSON.parse(fixtureText('shopify-orders-create.json')) as Json;
  return JSON.stringify({ ...order, id: externalId, admin_graphql_api_id: `gid://shopify/Order/${externalId}`, name: `#R${externalId}`, updated_at: updatedAt });
}

describe('channel webhooks: replays of a signed body', () => {
  it('Shopify: the channel\'s retry and a replay under a new X-Shopify-Webhook-Id are 200 duplicate with nothing written; a new body is stored', async () => {
    const body = shopifyBody(7100000001, '2026-10-10T10:00:00-04:00');
    const first = await deliver('shopify-replay', shopifyHeaders(body, 'wh-original'), body);
    expect(first).toMatchObject({ status: 200, body: { outcome: 'stored', deliveryId: 'wh-original' } });
    const stored = (await inboxItems()).filter((item) => item['channelId'] === 'shopify-replay');
    expect(stored).toEqual([expect.objectContaining({ ...keys.inboxDelivery('shopify-replay', bodyDigestKey(body)), deliveryId: 'wh-original' })]);

    const before = await allItems(db, tableName);
    const retry = await deliver('shopify-replay', shopifyHeaders(body, 'wh-original'), body);
    const replay = await deliver('shopify-replay', shopifyHeaders(body, 'wh-attacker-1'), body);
    expect(retry).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect(replay).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect(await allItems(db, tableName)).toEqual(before);

    // The shop's next change of the same order: another body (updated_at moved), not lost.
    const next = shopifyBody(7100000001, '2026-10-10T11:30:00-04:00');
    expect(await deliver('shopify-replay', shopifyHeaders(next, 'wh-next'), next)).toMatchObject({ status: 200, body: { outcome: 'stored', deliveryId: 'wh-next' } });
    expect((await allItems(db, tableName)).length).toBe(before.length + 1);
  });

  it('WooCommerce: the same signed body under a new X-WC-Webhook-Delivery-ID is 200 duplicate with nothing written; an updated order is stored', async () => {
    const order = JSON.parse(fixtureText('woocommerce-order-created.json')) as Json;
    const body = JSON.stringify({ ...order, id: 880001, number: '880001', date_modified_gmt: '2026-10-10T14:00:00' });
    expect(await deliver('woo-replay', wooHeaders(body, '501'), body)).toMatchObject({ status: 200, body: { outcome: 'stored' } });
    const before = await allItems(db, tableName);
    expect(await deliver('woo-replay', wooHeaders(body, '501'), body)).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect(await deliver('woo-replay', wooHeaders(body, '9999'), body)).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect(await allItems(db, tableName)).toEqual(before);

    const updated = JSON.stringify({ ...order, id: 880001, number: '880001', status: 'completed', date_modified_gmt: '2026-10-10T15:00:00' });
    expect(await deliver('woo-replay', wooHeaders(updated, '502'), updated)).toMatchObject({ status: 200, body: { outcome: 'stored' } });
    expect((await allItems(db, tableName)).length).toBe(before.length + 1);
  });

  it('a tampered body under the captured signature is still a 401 that writes nothing', async () => {
    const body = shopifyBody(7100000002, '2026-10-10T10:00:00-04:00');
    const headers = shopifyHeaders(body, 'wh-tamper');
    const before = await allItems(db, tableName);
    expect(await deliver('shopify-replay', headers, body.replace('"#R7100000002"', '"#R7100000003"'))).toMatchObject({ status: 401 });
    expect(await allItems(db, tableName)).toEqual(before);
  });
});

describe('erasure and replays', () => {
  it('empties the inbox item of an erased delivery but keeps its key: the same signed body replayed later stores nothing and brings nothing back', async () => {
    const body = shopifyBody(7100000010, '2026-10-11T09:00:00-04:00');
    expect(await deliver('shopify-replay', shopifyHeaders(body, 'wh-erase'), body)).toMatchObject({ status: 200, body: { outcome: 'stored' } });
    const key = keys.inboxDelivery('shopify-replay', bodyDigestKey(body));
    const world = fulfillmentWorld(db, tableName);
    const captured = await captureDelivery({ inbox: new DynamoInboxRepository(db, tableName), orders: world.orders, clock: systemClock }, key);
    expect(captured.outcome).toBe('created');
    const orderId = must(captured.orderId);

    // What eraseCustomer hands the repository for this order's source: its delivery id and its body's digest.
    await new DynamoCustomerRepository(db, tableName).rewriteOrderItems(orderId, {
      put: [],
      remove: [],
      inbox: [
        { channelId: 'shopify-replay', deliveryId: 'wh-erase' },
        { channelId: 'shopify-replay', deliveryId: bodyDigestKey(body) },
      ],
    });
    const emptied = (await allItems(db, tableName)).find((item) => item['PK'] === key.PK && item['SK'] === key.SK);
    expect(emptied).toMatchObject({ entity: INBOX_ERASED_ENTITY, deliveryId: 'wh-erase', expiresAt: expect.any(Number) as number });
    expect(Object.keys(must(emptied)).filter((name) => ['body', 'headers', 'correlationId'].includes(name))).toEqual([]);
    // No item appeared for the delivery id key, which never held this body.
    expect((await allItems(db, tableName)).filter((item) => item['PK'] === keys.inboxDelivery('shopify-replay', 'wh-erase').PK)).toEqual([]);
    expect(await new DynamoInboxRepository(db, tableName).get(key)).toBeUndefined();

    const before = await allItems(db, tableName);
    expect(await deliver('shopify-replay', shopifyHeaders(body, 'wh-after-erasure'), body)).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect(await allItems(db, tableName)).toEqual(before);
  });
});

describe('carrier webhooks: a replayed scan', () => {
  it('is answered unchanged and writes nothing (the signed body is the whole delivery; no header id to vary)', async () => {
    const world = fulfillmentWorld(db, tableName);
    const { parcel } = await world.shippedParcel();
    const carrier = must(parcel.carrier, 'a label');
    const secret = 'carrier-replay-secret-0123456789abcdef';
    const deps = { ...world.deps, carrierIds: [carrier.carrierId], secret: async () => secret };
    const raw = Buffer.from(JSON.stringify({ trackingNumber: carrier.trackingNumber, status: 'in_transit', occurredAt: new Date().toISOString() }));
    const signature = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
    expect(await receiveCarrierWebhook(deps, { carrierId: carrier.carrierId, rawBody: raw, signature })).toMatchObject({ outcome: 'applied' });
    const before = await allItems(db, tableName);
    expect(await receiveCarrierWebhook(deps, { carrierId: carrier.carrierId, rawBody: raw, signature })).toMatchObject({ outcome: 'unchanged' });
    expect(await allItems(db, tableName)).toEqual(before);
  });
});
