import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import { captureOrder } from '#shared/use-cases/capture-order.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { locationBody, must, shopifyChannelBody } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { TEST_TOKEN, useTestTable } from '../support/table.ts';

/**
 * Every list that pages answers 422 naming `cursor` for a cursor it did not
 * hand out: one from another list, or one whose position was forged (a sort
 * key outside the list's range, a key of another kind of item, a value
 * DynamoDB would refuse). Before this was checked, such cursors reached
 * DynamoDB and came back as 500s.
 */

let db: DynamoDBDocumentClient;
let tableName: string;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };

interface ListRoute {
  name: string;
  handler: unknown;
  path: string;
  routeKey: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
}
let lists: ListRoute[];

const page = (route: ListRoute, query: Record<string, string> = {}) =>
  call(
    route.handler,
    apiEvent({
      method: 'GET',
      path: route.path,
      routeKey: route.routeKey,
      ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
      query: { ...route.query, ...query },
      headers: auth,
    }),
  );

const handlerOf = async (module: string): Promise<unknown> => ((await import(module)) as { handler: unknown }).handler;

/** A genuine second-page cursor of each list. */
const cursors = new Map<string, string>();

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  const put = async (module: string, path: string, routeKey: string, pathParameters: Record<string, string>, body: unknown, method = 'PUT') => {
    const response = await call(await handlerOf(module), apiEvent({ method, path, routeKey, pathParameters, headers: auth, body: JSON.stringify(body) }));
    expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
  };
  for (const id of ['cur-a', 'cur-b']) {
    await put('#functions/locations/put-location.ts', `/v1/locations/${id}`, 'PUT /v1/locations/{locationId}', { locationId: id }, locationBody());
    await put('#functions/channels/put-channel.ts', `/v1/channels/${id}`, 'PUT /v1/channels/{channelId}', { channelId: id }, shopifyChannelBody());
    await put('#functions/routing/put-routing-rules.ts', `/v1/routing-rules/${id}`, 'PUT /v1/routing-rules/{ruleSetId}', { ruleSetId: id }, { rules: [{ ruleId: 'all', sort: ['distance'] }] });
  }
  for (const sku of ['CUR-1', 'CUR-2']) {
    await put('#functions/channels/put-listing.ts', `/v1/channels/cur-a/listings/${sku}`, 'PUT /v1/channels/{channelId}/listings/{sku}', { channelId: 'cur-a', sku }, { type: 'shopify', inventoryItemId: '456' });
  }

  // Two orders routed to one location: open fulfillments, stock and movements there, timelines.
  const world = fulfillmentWorld(db, tableName);
  const first = await world.routedOrder([{ sku: 'CUR-1', quantity: 1, at: 'cur-wh' }, { sku: 'CUR-2', quantity: 1, at: 'cur-wh' }]);
  await world.routedOrder([{ sku: 'CUR-1', quantity: 1, at: 'cur-wh' }]);
  const orderId = first.order.orderId;
  // A second delivery of the first order: two sources.
  await captureOrder(
    { orders: world.orders, clock: systemClock },
    {
      draft: { ...first.order, channelUpdatedAt: new Date().toISOString() },
      source: { deliveryId: newId(), via: 'api', receivedAt: new Date().toISOString(), headers: {}, contentType: 'application/json', body: '{}' },
      actor: 'test',
    },
  );

  // Two returns of the first order (one unit of each line), once its parcel shipped: the returns lists page.
  await world.location('cur-returns', { capabilities: ['returns'] });
  const { applyFulfillmentEvent } = await import('#shared/use-cases/fulfillment.ts');
  for (const parcel of first.parcels) await applyFulfillmentEvent(world.deps, { fulfillmentId: parcel.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
  const requestReturn = await handlerOf('#functions/returns/request-return.ts');
  for (const line of first.order.lines) {
    const response = await call(
      requestReturn,
      apiEvent({
        method: 'POST',
        path: `/v1/orders/${orderId}/returns`,
        routeKey: 'POST /v1/orders/{orderId}/returns',
        pathParameters: { orderId },
        headers: { ...auth, 'idempotency-key': newId() },
        body: JSON.stringify({ lines: [{ lineId: line.lineId, quantity: 1, reason: 'size' }] }),
      }),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  }

  lists = [
    { name: 'locations', handler: await handlerOf('#functions/locations/list-locations.ts'), path: '/v1/locations', routeKey: 'GET /v1/locations' },
    { name: 'channels', handler: await handlerOf('#functions/channels/list-channels.ts'), path: '/v1/channels', routeKey: 'GET /v1/channels' },
    { name: 'routing rules', handler: await handlerOf('#functions/routing/list-routing-rules.ts'), path: '/v1/routing-rules', routeKey: 'GET /v1/routing-rules' },
    {
      name: 'listings',
      handler: await handlerOf('#functions/channels/list-listings.ts'),
      path: '/v1/channels/cur-a/listings',
      routeKey: 'GET /v1/channels/{channelId}/listings',
      pathParameters: { channelId: 'cur-a' },
    },
    { name: 'inventory', handler: await handlerOf('#functions/inventory/list-inventory.ts'), path: '/v1/inventory', routeKey: 'GET /v1/inventory', query: { locationId: 'cur-wh' } },
    {
      name: 'movements',
      handler: await handlerOf('#functions/inventory/list-movements.ts'),
      path: '/v1/inventory/CUR-1/movements',
      routeKey: 'GET /v1/inventory/{sku}/movements',
      pathParameters: { sku: 'CUR-1' },
    },
    { name: 'fulfillments', handler: await handlerOf('#functions/fulfillment/list-fulfillments.ts'), path: '/v1/fulfillments', routeKey: 'GET /v1/fulfillments', query: { locationId: 'cur-wh' } },
    { name: 'orders', handler: await handlerOf('#functions/orders/list-orders.ts'), path: '/v1/orders', routeKey: 'GET /v1/orders' },
    {
      name: 'timeline',
      handler: await handlerOf('#functions/orders/get-order-timeline.ts'),
      path: `/v1/orders/${orderId}/timeline`,
      routeKey: 'GET /v1/orders/{orderId}/timeline',
      pathParameters: { orderId },
    },
    { name: 'returns', handler: await handlerOf('#functions/returns/list-returns.ts'), path: '/v1/returns', routeKey: 'GET /v1/returns' },
    { name: 'returns by status', handler: await handlerOf('#functions/returns/list-returns.ts'), path: '/v1/returns', routeKey: 'GET /v1/returns', query: { status: 'approved' } },
    { name: 'returns of an order', handler: await handlerOf('#functions/returns/list-returns.ts'), path: '/v1/returns', routeKey: 'GET /v1/returns', query: { orderId } },
    {
      name: 'source',
      handler: await handlerOf('#functions/orders/get-order-source.ts'),
      path: `/v1/orders/${orderId}/source`,
      routeKey: 'GET /v1/orders/{orderId}/source',
      pathParameters: { orderId },
    },
  ];
  for (const route of lists) {
    const first = await page(route, { limit: '1' });
    expect(first.status, `${route.name}: ${JSON.stringify(first.body)}`).toBe(200);
    cursors.set(route.name, must((first.body as { nextCursor?: string }).nextCursor, `a next page of ${route.name}`));
  }
}, 60_000);

const decode = (cursor: string): unknown => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The cursor with every sort-key value (SK, GSI1SK, … wherever it sits) replaced. */
function withSortKeys(cursor: string, value: unknown): string {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([name, inner]) => [name, /SK$/.test(name) ? value : walk(inner)]));
    }
    return node;
  };
  return encode(walk(decode(cursor)));
}

function expectCursorRefused(response: { status: number; body: unknown }, what: string): void {
  expect.soft(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(422);
  expect.soft(response.body, what).toMatchObject({
    error: { code: 'validation_failed', message: expect.any(String), details: [expect.objectContaining({ in: 'query', path: 'cursor' })] },
  });
}

describe('cursors', () => {
  it('a genuine cursor reads the next page of its own list', async () => {
    for (const route of lists) {
      const next = await page(route, { limit: '1', cursor: must(cursors.get(route.name)) });
      expect(next.status, `${route.name}: ${JSON.stringify(next.body)}`).toBe(200);
    }
  });

  it('a cursor from another list is refused with 422 naming cursor, by every list', async () => {
    for (const route of lists) {
      for (const [other, cursor] of cursors) {
        if (other === route.name) continue;
        expectCursorRefused(await page(route, { cursor }), `${other} cursor on ${route.name}`);
      }
    }
  });

  it('a cursor whose position was forged is refused with 422 naming cursor, by every list', async () => {
    const forgeries: [string, unknown][] = [
      ['a sort key below the range', '!'],
      ['a sort key above the range', '~~~~'],
      ['a timeline sort key', 'TIMELINE#2026-01-01T00:00:00.000Z#01J00000000000000000000000'],
      ['a source sort key', 'SOURCE#2026-01-01T00:00:00.000Z#x'],
      ['a sort key over 1024 bytes (under 1024 characters)', 'é'.repeat(600)],
      ['a lone surrogate', '\ud800'],
      ['a number', 42],
    ];
    for (const route of lists) {
      const genuine = must(cursors.get(route.name));
      for (const [what, value] of forgeries) {
        // A well-shaped key of the list's own kind is a position in it (it pages from there), not a forgery.
        if (what === `a ${route.name} sort key`) continue;
        expectCursorRefused(await page(route, { cursor: withSortKeys(genuine, value) }), `${what} on ${route.name}`);
      }
      for (const [what, cursor] of [
        ['not base64url JSON', '%%%'],
        ['JSON null', encode(null)],
        ['an empty object', encode({})],
        ['an array of nulls', encode([null, null, null, null])],
      ] as const) {
        expectCursorRefused(await page(route, { cursor }), `${what} on ${route.name}`);
      }
    }
  });

  it('an orders cursor with a forged time window is refused', async () => {
    const orders = must(lists.find((l) => l.name === 'orders'));
    const state = decode(must(cursors.get('orders'))) as Record<string, unknown>;
    for (const [what, forged] of [
      ['from after to', { ...state, from: '2026-12-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' }],
      ['not instants', { ...state, from: 'yesterday', to: 'today' }],
      ['a month outside the window', { ...state, month: '1999-01' }],
    ] as const) {
      expectCursorRefused(await page(orders, { cursor: encode(forged) }), what);
    }
  });
});
