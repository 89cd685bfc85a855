import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShopifyOrder, shopifyToDraft, shopifyWebhooks } from '#shared/channels/shopify.ts';
import { ChannelInput, applyChannelInput } from '#shared/domain/channel.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { complianceRequestId } from '#shared/domain/compliance.ts';
import { customerIdOf } from '#shared/domain/customer.ts';
import type { Order, OrderDraft } from '#shared/domain/order.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { DynamoComplianceRepository } from '#shared/store/compliance-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { captureOrder } from '#shared/use-cases/capture-order.ts';
import { handleComplianceRequest, type ComplianceDeps } from '#shared/use-cases/compliance.ts';
import { storeComplianceRequest } from '#shared/use-cases/store-compliance-request.ts';
import { fixture, fixtureText } from '../support/channel-fixtures.ts';
import { must } from '../support/fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * The compliance use cases on DynamoDB Local: a shop redaction works through
 * the channel's orders in bounded runs, saving its position after each (the
 * saved position is what starts the next run), survives a duplicate run,
 * and at the end removes the channel's secrets; a customer redaction finds
 * orders by the Shopify order ids it names even when their e-mail differs,
 * and never reaches another channel's orders.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let deps: ComplianceDeps;
let channels: DynamoChannelRepository;
let compliance: DynamoComplianceRepository;
const SHOP = 'big-shop.myshopify.com';

const base = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'big-shop' });
function draft(channelId: string, externalOrderId: string, email: string): OrderDraft {
  return { ...base, channel: { ...base.channel, channelId, externalOrderId }, customer: { ...base.customer, email } };
}
async function capture(d: OrderDraft): Promise<Order> {
  const source = { deliveryId: `d-${d.channel.channelId}-${d.channel.externalOrderId}`, via: 'webhook' as const, receivedAt: new Date().toISOString(), headers: {}, contentType: 'application/json', body: '{}' };
  return (await captureOrder({ orders: deps.orders, clock: systemClock }, { draft: d, source, actor: 'test' })).order;
}
async function store(channelId: string, topic: 'shop/redact' | 'customers/redact', body: Record<string, unknown>) {
  const channel = must(await channels.get(channelId), channelId);
  const rawBody = Buffer.from(JSON.stringify(body));
  const stored = await storeComplianceRequest(deps, { channel, topic, rawBody, receivedAt: new Date().toISOString() });
  return keys.complianceRequest(channelId, stored.requestId);
}

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  const { customerDeps } = await import('#shared/adapters/dependencies.ts');
  channels = new DynamoChannelRepository(db, tableName);
  compliance = new DynamoComplianceRepository(db, tableName);
  deps = { ...customerDeps(), compliance, channels, shopRedact: { ordersPerRun: 2, pageSize: 2 } };
  for (const [channelId, shopDomain] of [['big-shop', SHOP], ['small-shop', 'small-shop.myshopify.com']] as const) {
    const input = ChannelInput.parse({ type: 'shopify', name: channelId, settings: { shopDomain }, secrets: { webhookSecret: 'compliance-integration-secret-0123456789' } });
    const { channel, secrets } = applyChannelInput(undefined, channelId, input, new Date());
    await channels.save(channel, secrets, { expectedVersion: null, events: [] });
  }
});

describe('Shopify compliance requests on DynamoDB Local', () => {
  it('classifies the three compliance topics (verified with the app secret the fixtures were signed with)', () => {
    for (const name of ['customers-data-request', 'customers-redact', 'shop-redact']) {
      const { request } = fixture<{ request: { headers: Record<string, string>; body: unknown } }>(`writeback/shopify-webhook-${name}.json`);
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
      const rawBody = Buffer.from(JSON.stringify(request.body));
      expect(shopifyWebhooks.verify({ headers, rawBody }, { webhookSecret: 'fixture-app-secret-not-real' })).toBe(true);
      expect(shopifyWebhooks.verify({ headers, rawBody }, { webhookSecret: 'another-secret' })).toBe(false);
      expect(shopifyWebhooks.classify({ headers, rawBody })).toEqual({ kind: 'compliance', topic: headers['x-shopify-topic'], deliveryKey: headers['x-shopify-webhook-id'] });
    }
    expect(fixtureText('writeback/shopify-webhook-shop-redact.json')).toContain('shop/redact');
    expect(complianceRequestId('shop/redact', Buffer.from('{}'))).toMatch(/^cr_[0-9a-f]{32}$/);
  });

  it('a customer redaction erases the orders the request names on its channel, even under another e-mail, and no other channel\'s', async () => {
    const named = await capture(draft('small-shop', '9001', 'old.address@example.com'));
    const indexed = await capture(draft('small-shop', '9002', 'Ana@Example.com'));
    const elsewhere = await capture(draft('big-shop', '9001', 'ana@example.com'));
    const key = await store('small-shop', 'customers/redact', {
      shop_domain: 'small-shop.myshopify.com',
      customer: { id: 1, email: 'ana@example.com' },
      orders_to_redact: [9001],
    });
    expect(await handleComplianceRequest(deps, key)).toMatchObject({ outcome: 'completed' });
    expect((await deps.orders.get(named.orderId))?.erasure).toBeDefined();
    expect((await deps.orders.get(indexed.orderId))?.erasure).toBeDefined();
    expect((await deps.orders.get(elsewhere.orderId))?.customer.email).toBe('ana@example.com');
    // One erasure per customer on their own audit trail, each naming the channel and the request.
    const request = must(await compliance.get(key), 'the request');
    for (const email of ['old.address@example.com', 'ana@example.com']) {
      const record = must(await deps.customers.erasures(customerIdOf(email)), email);
      expect(record.erasures).toEqual([expect.objectContaining({ requestedBy: 'channel:small-shop', requestId: request.requestId })]);
    }
    expect(request.result?.orderIds.sort()).toEqual([named.orderId, indexed.orderId].sort());
    // Handled again (a duplicate message): nothing more.
    const before = await allItems(db, tableName);
    expect(await handleComplianceRequest(deps, key)).toMatchObject({ outcome: 'already_completed' });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('a shop redaction erases every order of the channel in bounded runs, each resumed from the saved position, then removes the secrets', async () => {
    const ours = [];
    for (let i = 0; i < 6; i++) ours.push(await capture(draft('big-shop', `70${i}`, i % 2 ? 'same@example.com' : `buyer${i}@example.com`)));
    const all = [...ours.map((order) => order.orderId), must((await deps.orders.findByChannelRef('big-shop', '9001'))?.orderId)];
    const other = must(await deps.orders.findByChannelRef('small-shop', '9002'));
    const key = await store('big-shop', 'shop/redact', { shop_id: 1, shop_domain: SHOP });

    const outcomes: string[] = [];
    const seen: number[] = [];
    for (let run = 0; run < 10; run++) {
      const { outcome } = await handleComplianceRequest(deps, key);
      outcomes.push(outcome);
      const request = must(await compliance.get(key));
      seen.push(request.progress?.ordersSeen ?? 0);
      if (outcome === 'completed') break;
      expect(request).toMatchObject({ status: 'in_progress' });
      expect(request.progress?.cursor).toBeDefined();
      // Secrets stay until the last page is done.
      expect((await channels.getWithSecrets('big-shop'))?.secrets).toHaveProperty('webhookSecret');
      if (run === 1) {
        // Two runs of the same position at once (a redelivered message): one saves, the other gives way.
        const twice = await Promise.all([handleComplianceRequest(deps, key), handleComplianceRequest(deps, key)]);
        expect(twice.map((r) => r.outcome).sort()).toEqual(['continued', 'superseded']);
        seen.push(must(await compliance.get(key)).progress?.ordersSeen ?? 0);
      }
    }
    // 7 orders, 2 a run: positions saved after 2, 4 and 6 (the third by the pair above), then the last order; a run may
    // also end after walking its bounded number of (empty) older months, saving its position there.
    expect(outcomes.at(-1)).toBe('completed');
    expect(outcomes.slice(0, -1).every((outcome) => outcome === 'continued')).toBe(true);
    expect(seen.slice(0, 3)).toEqual([2, 4, 6]);
    expect(seen.slice(3).every((count) => count === 7)).toBe(true);
    for (const orderId of all) expect((await deps.orders.get(orderId))?.customer).toEqual({ name: 'Erased customer' });
    expect((await deps.orders.get(other.orderId))?.erasure).toBeDefined(); // erased by the earlier customer redaction, untouched since
    const request = must(await compliance.get(key));
    // (How many of them each run erased depends on which of the pair got there first: the total is at most 7.)
    expect(request).toMatchObject({ status: 'completed', progress: { ordersSeen: 7 }, result: { secretsRemoved: true } });
    expect(request.progress?.ordersErased).toBeLessThanOrEqual(7);
    const channel = must(await channels.getWithSecrets('big-shop'));
    expect(channel.secrets).toEqual({});
    expect(channel.channel).toMatchObject({ active: false, secretsConfigured: [] });
    expect((await channels.getWithSecrets('small-shop'))?.secrets).toHaveProperty('webhookSecret');
    // In the same transaction: ChannelChanged, so subscribers see the channel inactive (no secret values in it).
    const changed = (await allItems(db, tableName))
      .filter((item) => item['detailType'] === 'ChannelChanged')
      .map((item) => JSON.parse(String(item['detail'])) as { metadata: { actor: string }; data: { channel: { channelId: string; active: boolean; version: number } } })
      .filter((event) => event.data.channel.channelId === 'big-shop' && !event.data.channel.active);
    expect(changed).toHaveLength(1);
    expect(changed[0]?.metadata.actor).toBe('channel:big-shop');
    expect(changed[0]?.data.channel.version).toBe(channel.channel.version);
  });
});
