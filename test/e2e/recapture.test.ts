import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { shopifyChannelBody } from '../support/fixtures.ts';

/**
 * A webhook the OMS acknowledged whose capture then failed every receive (the
 * table throttled all of the consumer's calls): the message lands in the
 * capture queue's dead-letter queue, and the reconciler — through the real
 * SQS client against the runtime's SQS endpoint — captures it again, puts
 * the recovery on the new order's timeline, and deletes the message.
 */
let oms: RunningOms;
const SECRET = 'shpss_super_secret_value_0123456789abcdef';

beforeAll(async () => {
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-e2e-${randomUUID()}`,
    apiToken: 'e2e-token-0123456789abcdef',
    logLevel: 'CRITICAL',
    schedules: false,
    faults: { dynamoThrottle: 1 },
  });
  if (oms.faults) oms.faults.enabled = false;
});

afterAll(async () => {
  await oms?.stop();
});

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
};

describe('a delivery whose capture dead-lettered', () => {
  it('is captured by the reconciler from the capture dead-letter queue, once', async () => {
    expect((await api('PUT', '/v1/channels/shopify-us', shopifyChannelBody())).status).toBe(201);
    await oms.settle();
    const externalId = 5_900_000_000_000 + Math.floor(Math.random() * 1_000_000);
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/channels/shopify-orders-create.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const body = JSON.stringify({ ...fixture, id: externalId, admin_graphql_api_id: `gid://shopify/Order/${externalId}` });

    // The consumer is held back while the webhook is acknowledged, then every table call it makes is throttled.
    oms.queues.capture.pause();
    const acknowledged = await fetch(`${oms.url}/webhooks/shopify-us`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': 'acme.myshopify.com',
        'x-shopify-webhook-id': randomUUID(),
        'x-shopify-hmac-sha256': hmacBase64(body, SECRET),
      },
      body,
    });
    expect(acknowledged.status).toBe(200);
    for (let waited = 0; oms.queues.capture.depth === 0 && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(oms.queues.capture.depth).toBe(1);
    if (oms.faults) oms.faults.enabled = true;
    oms.queues.capture.resume();
    for (let waited = 0; oms.deadLetterQueues.count('capture') === 0 && waited < 1200; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
    if (oms.faults) oms.faults.enabled = false;
    expect(oms.deadLetters.list()).toEqual([expect.objectContaining({ source: 'queue:capture', target: 'captureDeliveries', attempts: 5 })]);
    expect((await api('GET', `/v1/channels/shopify-us/orders/${externalId}`)).status).toBe(404);

    // The reconciler's run: the order exists, its timeline says how, and the dead-letter queue is empty.
    expect(await oms.scheduler.runNow('Reconciler')).toBe(true);
    await oms.settle();
    const found = await api('GET', `/v1/channels/shopify-us/orders/${externalId}`);
    expect(found.status).toBe(200);
    const orderId = String((found.body['order'] as Record<string, unknown> | undefined)?.['orderId'] ?? found.body['orderId']);
    const timeline = await api('GET', `/v1/orders/${orderId}/timeline`);
    const recovered = (timeline.body['items'] as { type: string; actor: string; data?: Record<string, unknown> }[]).filter((entry) => entry.type === 'recovered');
    expect(recovered).toEqual([expect.objectContaining({ actor: 'reconciler', data: expect.objectContaining({ stuck: 'uncaptured', outcome: 'created' }) })]);
    expect(oms.deadLetterQueues.count('capture')).toBe(0);

    // Another run finds nothing more to do.
    expect(await oms.scheduler.runNow('Reconciler')).toBe(true);
    await oms.settle();
    const again = await api('GET', `/v1/orders/${orderId}/timeline`);
    expect((again.body['items'] as { type: string }[]).filter((entry) => entry.type === 'recovered')).toHaveLength(1);
  });
});
