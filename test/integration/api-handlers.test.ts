import { createHash, randomUUID } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import { invoiceBody } from '#shared/domain/invoice.ts';
import type { Order } from '#shared/domain/order.ts';
import { DynamoInvoiceRepository } from '#shared/store/invoice-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { apiEvent, call, lambdaContext } from '../support/api-events.ts';
import { locationBody, shopifyChannelBody } from '../support/fixtures.ts';
import { TEST_TOKEN, allItems, useTestTable } from '../support/table.ts';

let db: DynamoDBDocumentClient;
let tableName: string;
let handlers: Record<'putLocation' | 'getLocation' | 'listLocations' | 'putChannel' | 'getChannel' | 'listChannels', unknown>;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  handlers = {
    putLocation: (await import('#functions/locations/put-location.ts')).handler,
    getLocation: (await import('#functions/locations/get-location.ts')).handler,
    listLocations: (await import('#functions/locations/list-locations.ts')).handler,
    putChannel: (await import('#functions/channels/put-channel.ts')).handler,
    getChannel: (await import('#functions/channels/get-channel.ts')).handler,
    listChannels: (await import('#functions/channels/list-channels.ts')).handler,
  };
});

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const putLocation = (id: string, body: unknown, headers: Record<string, string> = auth) =>
  call(
    handlers.putLocation,
    apiEvent({
      method: 'PUT',
      path: `/v1/locations/${id}`,
      routeKey: 'PUT /v1/locations/{locationId}',
      pathParameters: { locationId: id },
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
const putChannel = (id: string, body: unknown, headers: Record<string, string> = auth) =>
  call(
    handlers.putChannel,
    apiEvent({
      method: 'PUT',
      path: `/v1/channels/${id}`,
      routeKey: 'PUT /v1/channels/{channelId}',
      pathParameters: { channelId: id },
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
const get = (handler: unknown, path: string, pathParameters: Record<string, string>, headers: Record<string, string> = auth) =>
  call(handler, apiEvent({ method: 'GET', path, pathParameters, headers }));
const outboxCount = async () => (await allItems(db, tableName)).filter((i) => i['entity'] === 'OutboxEvent').length;

describe('locations API', () => {
  it('creates (201), reads (200 + ETag), replaces (200) and stays quiet on a repeated PUT', async () => {
    const created = await putLocation('wh-boston', locationBody());
    expect(created).toMatchObject({ status: 201, headers: { etag: '"1"' }, body: { locationId: 'wh-boston', version: 1 } });
    const read = await get(handlers.getLocation, '/v1/locations/wh-boston', { locationId: 'wh-boston' });
    expect(read).toMatchObject({ status: 200, headers: { etag: '"1"' }, body: created.body as object });

    const events = await outboxCount();
    expect(await putLocation('wh-boston', locationBody())).toMatchObject({ status: 200, body: { version: 1 } });
    expect(await outboxCount()).toBe(events);

    expect(await putLocation('wh-boston', locationBody({ name: 'Boston FC' }))).toMatchObject({ status: 200, body: { version: 2 } });
    expect(await outboxCount()).toBe(events + 1);
  });

  it('honours If-Match: 412 when stale, 200 when current', async () => {
    await putLocation('wh-etag', locationBody());
    const stale = await putLocation('wh-etag', locationBody({ name: 'x' }), { ...auth, 'if-match': '"7"' });
    expect(stale).toMatchObject({ status: 412, body: { error: { code: 'precondition_failed' } } });
    const current = await putLocation('wh-etag', locationBody({ name: 'x' }), { ...auth, 'if-match': '"1"' });
    expect(current).toMatchObject({ status: 200, body: { version: 2, name: 'x' } });
    const creatingWithIfMatch = await putLocation('wh-never', locationBody(), { ...auth, 'if-match': '"1"' });
    expect(creatingWithIfMatch.status).toBe(412);
  });

  it('lists with a limit and a cursor', async () => {
    const first = await call(handlers.listLocations, apiEvent({ method: 'GET', path: '/v1/locations', query: { limit: '1' }, headers: auth }));
    expect(first.status).toBe(200);
    const page = first.body as { items: { locationId: string }[]; nextCursor: string };
    expect(page.items).toHaveLength(1);
    const second = await call(
      handlers.listLocations,
      apiEvent({ method: 'GET', path: '/v1/locations', query: { limit: '1', cursor: page.nextCursor }, headers: auth }),
    );
    expect((second.body as typeof page).items[0]?.locationId).not.toBe(page.items[0]?.locationId);
  });

  it('answers 404 for a location that does not exist (or could not)', async () => {
    for (const id of ['nope', 'NOT#VALID']) {
      const response = await get(handlers.getLocation, `/v1/locations/${id}`, { locationId: id });
      expect(response).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    }
  });
});

describe('channels API', () => {
  it('never returns or logs secrets', async () => {
    const written: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(' '))),
    );
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const created = await putChannel('shop-us', shopifyChannelBody());
      expect(created).toMatchObject({ status: 201, body: { type: 'shopify', secretsConfigured: ['webhookSecret'] } });
      const read = await get(handlers.getChannel, '/v1/channels/shop-us', { channelId: 'shop-us' });
      const list = await call(handlers.listChannels, apiEvent({ method: 'GET', path: '/v1/channels', headers: auth }));
      const failed = await putChannel('shop-us', { ...shopifyChannelBody(), name: '' });
      expect(failed.status).toBe(422);
      for (const response of [created, read, list, failed]) expect(JSON.stringify(response)).not.toContain('shpss_super_secret_value_0123456789abcdef');
    } finally {
      for (const spy of [...spies, stdout]) spy.mockRestore();
    }
    expect(written.join('\n')).not.toContain('shpss_super_secret_value_0123456789abcdef');
  });

  it('refuses to change the type of a channel (409) and writes nothing', async () => {
    const before = await allItems(db, tableName);
    const response = await putChannel('shop-us', {
      type: 'woocommerce',
      name: 'Woo',
      settings: { storeUrl: 'https://shop.example' },
      secrets: { webhookSecret: 'woo-webhook-secret-0123456789abcdef' },
    });
    expect(response).toMatchObject({ status: 409, body: { error: { code: 'immutable_field', details: [{ path: 'type' }] } } });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('requires the secrets of the channel type on creation (422 naming them)', async () => {
    const response = await putChannel('amazon-us', {
      type: 'amazon',
      name: 'Amazon US',
      settings: { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'amzn1.application-oa2-client.x' },
    });
    expect(response.status).toBe(422);
    expect((response.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toEqual([
      'secrets.clientSecret',
      'secrets.refreshToken',
    ]);
  });

  it('refuses a webhook signing secret under 32 characters on creation and on update (422 naming secrets.webhookSecret and the minimum), writing nothing', async () => {
    const before = await allItems(db, tableName);
    for (const [channelId, body] of [
      ['shop-short', shopifyChannelBody({ secrets: { webhookSecret: 'shpss_short' } })],
      ['shop-us', shopifyChannelBody({ secrets: { webhookSecret: 'x'.repeat(31) } })],
      ['woo-short', { type: 'woocommerce', name: 'Woo', settings: { storeUrl: 'https://shop.example' }, secrets: { webhookSecret: 'woo-secret' } }],
    ] as const) {
      const response = await putChannel(channelId, body);
      expect(response.status).toBe(422);
      expect((response.body as { error: { details: { path: string; message: string }[] } }).error.details).toEqual([
        expect.objectContaining({ path: 'secrets.webhookSecret', message: 'A signing secret must be at least 32 characters' }),
      ]);
    }
    expect(await allItems(db, tableName)).toEqual(before);
  });
});

describe('bad input writes nothing', () => {
  it.each([
    ['no token', () => putLocation('wh-bad', locationBody(), {}), 401],
    ['a wrong token', () => putLocation('wh-bad', locationBody(), { authorization: 'Bearer wrong-token-wrong-token' }), 401],
    ['malformed JSON', () => putLocation('wh-bad', '{"name": "Boston",'), 400],
    ['a schema violation', () => putLocation('wh-bad', { ...locationBody(), type: 'depot' }), 422],
    ['an unknown field', () => putLocation('wh-bad', { ...locationBody(), capabilties: ['ship'] }), 422],
    ['an invalid id', () => putLocation('WH BAD', locationBody()), 422],
    ['a body over 1 MB', () => putLocation('wh-bad', { ...locationBody(), name: 'x'.repeat(1024 * 1024) }), 413],
    ['a bad If-Match', () => putLocation('wh-bad', locationBody(), { ...auth, 'if-match': 'yesterday' }), 422],
    ['an unknown channel type', () => putChannel('ch-bad', { type: 'etsy', name: 'x', settings: {} }), 422],
    ['a stale If-Match on a channel', () => putChannel('shop-us', shopifyChannelBody(), { ...auth, 'if-match': '"99"' }), 412],
  ])('%s → %i', async (_case, send, status) => {
    const before = await allItems(db, tableName);
    const response = await send();
    expect(response.status).toBe(status);
    const body = response.body as { error: { code: string; message: string; details: unknown[] } };
    expect(body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String), details: expect.any(Array) }));
    expect(await allItems(db, tableName)).toEqual(before);
  });
});

describe('placing an order (POST /v1/orders)', () => {
  const posOrder = {
    channelId: 'pos-idem',
    externalOrderId: 'till-7-0001',
    currency: 'USD',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [{ sku: 'MUG-CER-350', title: 'Ceramic Mug', quantity: 2, unitPrice: 1500, tax: 266 }],
    fulfillment: { type: 'carry_out', locationId: 'store-soho' },
    payment: { state: 'paid', provider: 'square', reference: 'sq_1' },
  };
  const place = async (body: unknown, key: string) => {
    const handler = (await import('#functions/orders/place-order.ts')).handler as (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
    return handler(apiEvent({ method: 'POST', path: '/v1/orders', headers: { ...auth, 'idempotency-key': key }, body: JSON.stringify(body) }), lambdaContext());
  };

  beforeAll(async () => {
    expect((await putChannel('pos-idem', { type: 'pos', name: 'Soho tills', settings: {} })).status).toBe(201);
  });

  it('replays the first answer byte for byte for the same Idempotency-Key and body', async () => {
    const first = await place(posOrder, 'till-7-0001');
    expect(first.statusCode).toBe(201);
    const replays = [await place(posOrder, 'till-7-0001'), await place(posOrder, 'till-7-0001')];
    for (const replay of replays) {
      expect(replay.statusCode).toBe(201);
      expect(replay.headers?.['content-type']).toBe('application/json');
      expect(replay.body).toBe(first.body);
    }
  });

  it.each([
    ['a total that disagrees with the lines (2 × $15.00 with "total": 1)', { total: 1 }, 'total', 'total is $0.01 (1 minor units), but the lines add up to $32.66 (3266 minor units)'],
    ['a discount larger than its line', { lines: [{ ...posOrder.lines[0], discount: 3001 }] }, 'lines.0.discount', "The discount $30.01 (3001 minor units) is more than the line's $30.00 (3000 minor units)"],
    ['a price beyond 2^53 minor units', { lines: [{ ...posOrder.lines[0], unitPrice: 2 ** 53 + 2 }] }, 'lines.0.unitPrice', 'Too big: expected number to be <=1000000000000'],
    ['a price × quantity beyond the limit', { lines: [{ ...posOrder.lines[0], quantity: 100_000, unitPrice: 900_000_000_000 }] }, 'lines.0.unitPrice', 'beyond the limit of 1000000000000 minor units per line'],
  ])('refuses %s with a 422 naming the field and writes nothing', async (_case, change, path, message) => {
    const before = await allItems(db, tableName);
    const response = await place({ ...posOrder, externalOrderId: `till-7-${randomUUID()}`, ...change }, randomUUID());
    expect(response.statusCode).toBe(422);
    const body = JSON.parse(String(response.body)) as { error: { code: string; details: { path: string; message: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', path, message: expect.stringContaining(message) })]));
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('replays an answer stored before bodies were kept as text (a map) as the same JSON value', async () => {
    const body = { ...posOrder, externalOrderId: 'till-7-0002' };
    const answer = { order: { orderId: '01JB8Z3Q4W5E6R7T8Y9U0I1O2P', status: 'received' }, outcome: 'created' };
    // As the idempotency repository completed a key before: the response as a DynamoDB map.
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.idempotency('orders:pos-idem', 'till-7-0002'),
          entity: 'IdempotencyRecord',
          fingerprint: createHash('sha256').update(canonicalJson(body)).digest('base64url'),
          state: 'completed',
          response: { status: 201, body: answer },
        },
      }),
    );
    const replay = await place(body, 'till-7-0002');
    expect(replay.statusCode).toBe(201);
    expect(JSON.parse(String(replay.body))).toEqual(answer);
  });
});

describe('an order\'s invoices (GET /v1/invoices?orderId=)', () => {
  let orderId: string;
  let bare: string;
  const list = async (orderIdParam: string, headers: Record<string, string> = {}) => {
    const handler = (await import('#functions/invoices/list-invoices.ts')).handler as (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
    return handler(apiEvent({ method: 'GET', path: '/v1/invoices', query: { orderId: orderIdParam }, headers: { ...auth, ...headers } }), lambdaContext());
  };

  beforeAll(async () => {
    expect((await putChannel('pos-inv', { type: 'pos', name: 'Invoice tills', settings: {} })).status).toBe(201);
    const placeOrder = (await import('#functions/orders/place-order.ts')).handler as (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
    const place = async (key: string) => {
      const body = {
        channelId: 'pos-inv',
        externalOrderId: key,
        currency: 'EUR',
        lines: [{ sku: 'MUG-CER-350', title: 'Ceramic Mug', quantity: 2, unitPrice: 1500, tax: 266 }],
        fulfillment: { type: 'carry_out', locationId: 'store-soho' },
        payment: { state: 'paid' },
      };
      const created = await placeOrder(apiEvent({ method: 'POST', path: '/v1/orders', headers: { ...auth, 'idempotency-key': key }, body: JSON.stringify(body) }), lambdaContext());
      return (JSON.parse(String(created.body)) as { order: Order }).order;
    };
    const order = await place('inv-till-1');
    orderId = order.orderId;
    bare = (await place('inv-till-2')).orderId;
    const invoices = new DynamoInvoiceRepository(db, tableName);
    for (const [shipment, units] of [['S1', 1], ['S2', 1]] as const) {
      const body = invoiceBody(order, new Map([['MUG-CER-350', units]]), new Map(shipment === 'S2' ? [['MUG-CER-350', 1]] : []), shipment === 'S1');
      await invoices.issue({ ...body, series: 'POS', orderId, shipmentId: `${orderId}-${shipment}`, issuedAt: new Date().toISOString() }, shipment, { timeline: () => [], events: () => [] });
    }
  });

  it('answers JSON by default', async () => {
    const reply = await list(orderId);
    expect(reply.statusCode).toBe(200);
    expect(reply.headers?.['content-type']).toBe('application/json');
    expect((JSON.parse(String(reply.body)) as { items: { invoiceId: string }[] }).items.map((i) => i.invoiceId)).toEqual(['POS-000001', 'POS-000002']);
  });

  it('answers one printable document with every invoice of the order, each on its own page, to Accept: text/html', async () => {
    const reply = await list(orderId, { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(reply.statusCode).toBe(200);
    expect(reply.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const html = String(reply.body);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`<title>Invoices of order ${orderId}</title>`);
    expect(html.match(/<article>/g)).toHaveLength(2);
    expect(html).toContain('<h1>Invoice POS-000001</h1>');
    expect(html).toContain('<h1>Invoice POS-000002</h1>');
    expect(html).toContain('break-before:page');
    expect(html).toContain('€');
  });

  it('says so in the document when the order has no invoice yet, and answers a missing order with the JSON error', async () => {
    const empty = await list(bare, { accept: 'text/html' });
    expect(empty.statusCode).toBe(200);
    expect(String(empty.body)).toContain(`Order ${bare} has no invoice yet`);
    const missing = await list('01ARZ3NDEKTSV4RRFFQ69G5FAV', { accept: 'text/html' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(String(missing.body))).toMatchObject({ error: { code: 'not_found' } });
  });
});
