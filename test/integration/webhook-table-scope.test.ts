import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { functions } from '#infra/topology/functions.ts';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { ChannelInput, applyChannelInput } from '#shared/domain/channel.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { documentClient } from '#shared/store/client.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { fixtureText } from '../support/channel-fixtures.ts';
import { must } from '../support/fixtures.ts';
import { useTestTable } from '../support/table.ts';

/**
 * The public channel webhook function's table access is limited on AWS to the
 * partition keys its topology entry names (`tableKeys`, IAM
 * dynamodb:LeadingKeys; test/infra/iam.test.ts checks the policy). DynamoDB
 * Local enforces no IAM, so this test runs the real handler over every path
 * (new order, redelivery, ping, bad signature, unknown channel) and records
 * every key it touches: each must match the declared patterns, or the
 * function would be denied on AWS.
 */

interface Touch {
  command: string;
  pk: string;
  index?: string | undefined;
}

const SECRET = 'scope-test-secret-0123456789abcdef';
let db: DynamoDBDocumentClient;
let tableName: string;
let handler: unknown;
const touches: Touch[] = [];

const pkOf = (key: unknown): string => {
  const value = (key as Record<string, unknown> | undefined)?.['PK'];
  return typeof value === 'string' ? value : String((value as { S?: string } | undefined)?.S);
};

function record(command: string, input: Record<string, unknown>): void {
  const add = (pk: string) => touches.push({ command, pk });
  if (input['Key']) add(pkOf(input['Key']));
  if (input['Item']) add(pkOf(input['Item']));
  for (const request of Object.values((input['RequestItems'] as Record<string, unknown> | undefined) ?? {})) {
    if (Array.isArray(request)) {
      for (const write of request as Record<string, Record<string, unknown>>[]) add(pkOf(write['PutRequest']?.['Item'] ?? write['DeleteRequest']?.['Key']));
    } else {
      for (const key of ((request as { Keys?: unknown[] }).Keys ?? [])) add(pkOf(key));
    }
  }
  for (const item of (input['TransactItems'] as Record<string, Record<string, unknown>>[] | undefined) ?? []) {
    const [kind, body] = must(Object.entries(item)[0], 'a transaction item');
    touches.push({ command: `${command}.${kind}`, pk: pkOf(body['Item'] ?? body['Key']) });
  }
  if (command.startsWith('Query') || command.startsWith('Scan')) touches.push({ command, pk: JSON.stringify(input['ExpressionAttributeValues'] ?? {}), index: String(input['IndexName'] ?? '') });
}

const like = (patterns: readonly string[], pk: string) => patterns.some((pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(pk));
const WRITES = /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem)|\.(Put|Update|Delete)$/;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  const channels = new DynamoChannelRepository(db, tableName);
  for (const [channelId, body] of [
    ['shopify-scope', { type: 'shopify', name: 'S', settings: { shopDomain: 'scope.myshopify.com' }, secrets: { webhookSecret: SECRET } }],
    ['woo-scope', { type: 'woocommerce', name: 'W', settings: { storeUrl: 'https://scope.example' }, secrets: { webhookSecret: SECRET } }],
  ] as const) {
    const { channel, secrets } = applyChannelInput(undefined, channelId, ChannelInput.parse(body), new Date());
    await channels.save(channel, secrets, { expectedVersion: null, events: [] });
  }
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      record(String(context.commandName ?? 'unknown').replace(/Command$/, ''), args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'build', name: 'recordTableKeys' },
  );
  handler = (await import('#functions/webhooks/receive-webhook.ts')).handler;
});

function deliver(channelId: string, headers: Record<string, string>, body: string) {
  return call(handler, apiEvent({ method: 'POST', path: `/webhooks/${channelId}`, routeKey: 'POST /webhooks/{channelId}', pathParameters: { channelId }, headers, body }));
}

describe('receiveWebhook touches only the keys its IAM policy allows', () => {
  it('every read and write of every path matches tableKeys (reads: CHANNEL#*, INBOX#*; writes: INBOX#*, COMPLIANCE#*)', async () => {
    const shopify = fixtureText('shopify-orders-create.json');
    const shopifyHeaders = { 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': 'scope.myshopify.com', 'x-shopify-webhook-id': 'scope-1', 'x-shopify-hmac-sha256': hmacBase64(shopify, SECRET) };
    const redact = JSON.stringify({ shop_id: 1, shop_domain: 'scope.myshopify.com', customer: { id: 2, email: 'someone@example.com' }, orders_to_redact: [3] });
    const redactHeaders = { ...shopifyHeaders, 'x-shopify-topic': 'customers/redact', 'x-shopify-webhook-id': 'scope-2', 'x-shopify-hmac-sha256': hmacBase64(redact, SECRET) };
    const woo = fixtureText('woocommerce-order-created.json');
    const wooHeaders = { 'x-wc-webhook-topic': 'order.created', 'x-wc-webhook-delivery-id': '77', 'x-wc-webhook-signature': hmacBase64(woo, SECRET) };

    const answers = [
      await deliver('shopify-scope', shopifyHeaders, shopify),
      await deliver('shopify-scope', shopifyHeaders, shopify), // redelivery
      await deliver('woo-scope', wooHeaders, woo),
      await deliver('woo-scope', { 'content-type': 'application/x-www-form-urlencoded' }, 'webhook_id=12'), // WooCommerce ping
      await deliver('shopify-scope', redactHeaders, redact), // a compliance webhook: its request item
      await deliver('shopify-scope', { ...shopifyHeaders, 'x-shopify-hmac-sha256': 'AAAA' }, shopify), // bad signature
      await deliver('nobody', shopifyHeaders, shopify), // unknown channel
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 401, 401]);
    // The unknown channel and the bad signature answer the same body: nothing tells which channels exist.
    const error = (answer: { body: unknown } | undefined) => {
      const { code, message, details } = (answer?.body as { error: { code: string; message: string; details: unknown } }).error;
      return { code, message, details };
    };
    expect(error(answers[6])).toEqual(error(answers[5]));

    const scope = must(functions.receiveWebhook.tableKeys, 'receiveWebhook tableKeys');
    const writes = touches.filter((touch) => WRITES.test(touch.command));
    const reads = touches.filter((touch) => !WRITES.test(touch.command));
    expect(writes.length).toBeGreaterThan(0);
    expect(reads.length).toBeGreaterThan(0);
    expect(touches.filter((touch) => touch.index !== undefined)).toEqual([]);
    expect(writes.filter((touch) => !like(scope.write, touch.pk))).toEqual([]);
    expect(reads.filter((touch) => !like([...scope.read, ...scope.write], touch.pk))).toEqual([]);
  });
});
