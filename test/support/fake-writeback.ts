import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Loopback fakes of the four channels' write-back APIs (Shopify Admin
 * GraphQL, WooCommerce REST v3, Amazon SP-API Orders v0 + Feeds 2021-06-30,
 * eBay Sell Fulfillment v1). Each holds the orders a test seeds, checks every
 * request the way the provider documents it (credentials, path, required
 * fields and their types, GraphQL operation and variables, the @idempotent
 * directive, quantities never beyond what is left, …) and answers a wrong one
 * with the provider's 4xx shape; it applies what it accepts (remaining
 * quantities, notes, fulfillments, refunds change) and records it in
 * `confirmations`, `cancellations` and `refunds`. `failNext` makes the next
 * calls fail with 429 (the channel's throttle shape), 500, 401, 404 or 409.
 * Response and error shapes come from test/fixtures/channels/writeback/.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../fixtures/channels/writeback/${name}`, import.meta.url), 'utf8'));

interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  text: string;
  json: Json;
}
interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface WritebackFake {
  url: string;
  requests: { method: string; path: string }[];
  confirmations: Json[];
  cancellations: Json[];
  refunds: Json[];
  /** The next `n` calls whose path matches (default: any) fail with `status`, in the channel's own error shape. */
  failNext(status: 429 | 500 | 401 | 404 | 409, n?: number, path?: RegExp): void;
  close(): Promise<void>;
}

async function serveFake(handle: (request: Request, base: string) => Answer, failure: (status: number) => Answer): Promise<WritebackFake & { base: string }> {
  const requests: WritebackFake['requests'] = [];
  const failures: { status: number; remaining: number; path: RegExp }[] = [];
  let base = '';
  const server: Server = createServer((incoming, response) => {
    let text = '';
    incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://localhost');
      requests.push({ method: incoming.method ?? 'GET', path: url.pathname });
      let answer: Answer;
      const fail = failures.find((f) => f.remaining > 0 && f.path.test(url.pathname));
      if (fail) {
        fail.remaining--;
        answer = failure(fail.status);
      } else {
        let json: Json;
        try {
          json = text && /json/.test(incoming.headers['content-type'] ?? '') ? JSON.parse(text) : undefined;
        } catch {
          answer = { status: 400, body: { errors: [{ message: 'Malformed JSON body' }] } };
        }
        answer ??= handle({ method: incoming.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: incoming.headers, text, json }, base);
      }
      const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
      response.writeHead(answer.status, { ...(body ? { 'content-type': 'application/json' } : {}), ...answer.headers });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    url: base,
    requests,
    confirmations: [],
    cancellations: [],
    refunds: [],
    failNext: (status, n = 1, path = /./) => void failures.push({ status, remaining: n, path }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const isDecimal = (value: unknown) => typeof value === 'string' && /^\d+\.\d{2}$/.test(value);
const cents = (value: string | number) => Math.round(Number(value) * 100);
const isIso = (value: unknown) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value);
const positiveInt = (value: unknown) => Number.isInteger(value) && (value as number) >= 1;

// ---------------------------------------------------------------- Shopify

export interface ShopifyOrderSeed {
  id: string;
  currency?: string;
  /** Lines with their Shopify line item ids; `fulfillmentOrder` puts a line on the n-th fulfillment order (default 0). */
  lines: { lineItemId: string; sku: string; quantity: number; fulfillmentOrder?: number }[];
  /** Paid at Shopify: a successful SALE transaction exists. */
  paid?: boolean;
}

interface ShopifyState {
  seed: ShopifyOrderSeed;
  fulfillmentOrders: { id: string; lines: { id: string; lineItemId: string; remaining: number; total: number }[] }[];
  fulfillments: Json[];
  refunds: Json[];
  refundedUnits: Map<string, number>;
  transactions: { id: string; kind: string; status: string; gateway: string }[];
  cancelledAt: string | null;
}

export async function fakeShopifyWriteback(options: { accessToken: string; orders: ShopifyOrderSeed[] }) {
  const gid = (kind: string, id: string) => `gid://shopify/${kind}/${id}`;
  let sequence = 1000;
  const stateOf = (seed: ShopifyOrderSeed): [string, ShopifyState] => {
      const foCount = Math.max(1, ...seed.lines.map((l) => (l.fulfillmentOrder ?? 0) + 1));
      const fulfillmentOrders = Array.from({ length: foCount }, (_, index) => ({
        id: gid('FulfillmentOrder', `${seed.id}${index}`),
        lines: seed.lines
          .filter((l) => (l.fulfillmentOrder ?? 0) === index)
          .map((l) => ({ id: gid('FulfillmentOrderLineItem', `${l.lineItemId}${index}`), lineItemId: gid('LineItem', l.lineItemId), remaining: l.quantity, total: l.quantity })),
      }));
      return [
        gid('Order', seed.id),
        {
          seed,
          fulfillmentOrders,
          fulfillments: [] as Json[],
          refunds: [] as Json[],
          refundedUnits: new Map<string, number>(),
          transactions: seed.paid === false ? [] : [{ id: gid('OrderTransaction', `${seed.id}1`), kind: 'SALE', status: 'SUCCESS', gateway: 'shopify_payments' }],
          cancelledAt: null as string | null,
        },
      ] as [string, ShopifyState];
  };
  const orders = new Map<string, ShopifyState>(options.orders.map(stateOf));
  const idempotency = new Map<string, Answer>();
  const throttled = fixture('shopify-graphql-throttled.json').response.body;
  const cost = fixture('shopify-graphql-fulfillment-orders.json').response.body.extensions;
  const ok = (data: Json): Answer => ({ status: 200, body: { data, extensions: cost } });
  const userError = (mutation: string, field: string[], message: string, extra: Json = {}): Answer =>
    ok({ [mutation]: { ...extra, [mutation === 'orderCancel' ? 'orderCancelUserErrors' : 'userErrors']: [{ field, message }] } });

  const fake = await serveFake(
    (request) => {
      if (request.method !== 'POST' || !/^\/admin\/api\/\d{4}-\d{2}\/graphql\.json$/.test(request.path)) return { status: 404, body: { errors: 'Not Found' } };
      if (request.headers['x-shopify-access-token'] !== options.accessToken) {
        return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
      }
      const { query, variables } = (request.json ?? {}) as { query?: string; variables?: Json };
      if (typeof query !== 'string' || typeof variables !== 'object') return { status: 400, body: { errors: [{ message: 'query and variables are required' }] } };

      if (/\bfulfillmentCreate\(/.test(query)) {
        const input = variables.fulfillment;
        const tracking = input?.trackingInfo;
        if (typeof input?.notifyCustomer !== 'boolean') return userError('fulfillmentCreate', ['fulfillment', 'notifyCustomer'], 'notifyCustomer must be a Boolean');
        if (!tracking || typeof tracking.number !== 'string' || typeof tracking.company !== 'string' || 'numbers' in tracking) {
          return userError('fulfillmentCreate', ['fulfillment', 'trackingInfo'], 'trackingInfo needs company and number (number and numbers are exclusive)');
        }
        const groups = input.lineItemsByFulfillmentOrder;
        if (!Array.isArray(groups) || groups.length === 0) return userError('fulfillmentCreate', ['fulfillment', 'lineItemsByFulfillmentOrder'], 'At least one fulfillment order is required');
        const order = [...orders.values()].find((o) => o.fulfillmentOrders.some((fo) => fo.id === groups[0].fulfillmentOrderId));
        if (!order || order.cancelledAt) return userError('fulfillmentCreate', ['fulfillment', 'lineItemsByFulfillmentOrder', '0', 'fulfillmentOrderId'], 'Fulfillment order does not exist.');
        const moves: { item: { remaining: number; lineItemId: string }; quantity: number }[] = [];
        for (const group of groups) {
          const fo = order.fulfillmentOrders.find((f) => f.id === group.fulfillmentOrderId);
          if (!fo || !Array.isArray(group.fulfillmentOrderLineItems) || group.fulfillmentOrderLineItems.length === 0) {
            return userError('fulfillmentCreate', ['fulfillment'], 'Fulfillment order does not exist or has no line items.');
          }
          for (const line of group.fulfillmentOrderLineItems) {
            const item = fo.lines.find((l) => l.id === line.id);
            if (!item || !positiveInt(line.quantity)) return userError('fulfillmentCreate', ['fulfillment'], 'Invalid fulfillment order line item.');
            if (line.quantity > item.remaining) return { status: 200, body: fixture('shopify-graphql-fulfillmentCreate.json').error_response.body };
            moves.push({ item, quantity: line.quantity });
          }
        }
        for (const move of moves) move.item.remaining -= move.quantity;
        const fulfillment = { id: gid('Fulfillment', String(++sequence)), status: 'SUCCESS', trackingInfo: [{ company: tracking.company, number: tracking.number, url: tracking.url ?? null }] };
        order.fulfillments.push(fulfillment);
        fake.confirmations.push({
          orderId: order.seed.id,
          fulfillmentId: fulfillment.id,
          company: tracking.company,
          trackingNumber: tracking.number,
          trackingUrl: tracking.url,
          notifyCustomer: input.notifyCustomer,
          lines: moves.map((m) => ({ lineItemId: m.item.lineItemId, quantity: m.quantity })),
        });
        return ok({ fulfillmentCreate: { fulfillment, userErrors: [] } });
      }

      if (/\borderCancel\(/.test(query)) {
        const order = orders.get(variables.orderId);
        if (!order) return userError('orderCancel', ['orderId'], 'Order does not exist', { job: null });
        if (!['CUSTOMER', 'DECLINED', 'FRAUD', 'INVENTORY', 'OTHER', 'STAFF'].includes(variables.reason)) return userError('orderCancel', ['reason'], 'Invalid reason', { job: null });
        if (typeof variables.restock !== 'boolean') return userError('orderCancel', ['restock'], 'restock is required', { job: null });
        if ('refund' in variables) return { status: 200, body: { errors: [{ message: "Field 'orderCancel' doesn't accept argument 'refund'" }] } };
        if (variables.refundMethod != null && variables.refundMethod.originalPaymentMethodsRefund !== true && variables.refundMethod.storeCreditRefund === undefined) {
          return userError('orderCancel', ['refundMethod'], 'Invalid refund method', { job: null });
        }
        if (order.cancelledAt) return { status: 200, body: fixture('shopify-graphql-orderCancel.json').error_response.body };
        order.cancelledAt = new Date().toISOString();
        fake.cancellations.push({
          orderId: order.seed.id,
          reason: variables.reason,
          refund: variables.refundMethod?.originalPaymentMethodsRefund === true,
          restock: variables.restock,
          notifyCustomer: variables.notifyCustomer,
          staffNote: variables.staffNote,
        });
        return ok({ orderCancel: { job: { id: gid('Job', String(++sequence)), done: false }, orderCancelUserErrors: [] } });
      }

      if (/\brefundCreate\(/.test(query)) {
        const directive = /@idempotent\(key:\s*(?:\$(\w+)|"([^"]+)")\)/.exec(query);
        const key = directive ? (directive[1] ? variables[directive[1]] : directive[2]) : undefined;
        if (!key) return { status: 200, body: { errors: [{ message: 'The @idempotent directive is required for this mutation', extensions: { code: 'BAD_REQUEST' } }] } };
        const replay = idempotency.get(key);
        if (replay) return replay;
        const input = variables.input;
        const order = orders.get(input?.orderId);
        if (!order) return userError('refundCreate', ['orderId'], 'Order does not exist');
        const lines = input.refundLineItems ?? [];
        for (const [index, line] of lines.entries()) {
          const seed = order.seed.lines.find((l) => gid('LineItem', l.lineItemId) === line.lineItemId);
          if (!seed) return userError('refundCreate', ['refundLineItems', String(index), 'lineItemId'], 'Line item does not exist');
          if (!positiveInt(line.quantity) || !['RETURN', 'CANCEL', 'NO_RESTOCK'].includes(line.restockType)) return userError('refundCreate', ['refundLineItems', String(index)], 'Invalid quantity or restockType');
          if ((order.refundedUnits.get(line.lineItemId) ?? 0) + line.quantity > seed.quantity) return userError('refundCreate', ['refundLineItems', String(index), 'quantity'], 'Quantity cannot refund more items than were purchased');
        }
        if (input.shipping && !isDecimal(input.shipping.amount) && input.shipping.fullRefund !== true) return userError('refundCreate', ['shipping', 'amount'], 'Shipping amount must be a decimal');
        for (const [index, transaction] of (input.transactions ?? []).entries()) {
          const parent = order.transactions.find((t) => t.id === transaction.parentId);
          if (!parent || transaction.kind !== 'REFUND' || transaction.gateway !== parent.gateway || transaction.orderId !== input.orderId || !isDecimal(transaction.amount)) {
            return userError('refundCreate', ['transactions', String(index)], 'Transaction is invalid: parentId, gateway, kind REFUND and a decimal amount are required');
          }
        }
        for (const line of lines) order.refundedUnits.set(line.lineItemId, (order.refundedUnits.get(line.lineItemId) ?? 0) + line.quantity);
        const refund = { id: gid('Refund', String(++sequence)), note: input.note ?? null };
        order.refunds.push(refund);
        fake.refunds.push({
          orderId: order.seed.id,
          refundId: refund.id,
          idempotencyKey: key,
          note: input.note,
          lines: lines.map((l: Json) => ({ lineItemId: l.lineItemId, quantity: l.quantity, restockType: l.restockType })),
          shipping: input.shipping?.amount,
          amount: (input.transactions ?? []).map((t: Json) => t.amount)[0],
          gateway: (input.transactions ?? [])[0]?.gateway,
        });
        const answer = ok({ refundCreate: { refund, userErrors: [] } });
        idempotency.set(key, answer);
        return answer;
      }

      if (/\border\(id:/.test(query)) {
        const order = orders.get(variables.orderId);
        if (!order) return ok({ order: null });
        return ok({
          order: {
            id: variables.orderId,
            cancelledAt: order.cancelledAt,
            fulfillmentOrders: {
              nodes: order.fulfillmentOrders.map((fo) => ({
                id: fo.id,
                status: fo.lines.every((l) => l.remaining === 0) ? 'CLOSED' : 'OPEN',
                supportedActions: fo.lines.some((l) => l.remaining > 0) && !order.cancelledAt ? [{ action: 'CREATE_FULFILLMENT' }, { action: 'MOVE' }] : [],
                lineItems: { nodes: fo.lines.map((l) => ({ id: l.id, remainingQuantity: l.remaining, totalQuantity: l.total, lineItem: { id: l.lineItemId } })) },
              })),
            },
            fulfillments: order.fulfillments,
            refunds: order.refunds,
            transactions: order.transactions,
          },
        });
      }
      return { status: 200, body: { errors: [{ message: 'Unknown operation' }] } };
    },
    (status) => {
      if (status === 429) {
        // Shopify's GraphQL throttle: HTTP 200 with THROTTLED and the bucket's state (here a few ms short).
        const requested = throttled.extensions.cost.requestedQueryCost;
        return { status: 200, body: { ...throttled, extensions: { cost: { ...throttled.extensions.cost, throttleStatus: { ...throttled.extensions.cost.throttleStatus, currentlyAvailable: requested - 1, restoreRate: 100 } } } } };
      }
      if (status === 401) return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
      if (status === 404) return { status: 404, body: { errors: 'Not Found' } };
      return { status, body: { errors: 'Internal Server Error' } };
    },
  );
  /** Adds an order the shop has (orders created while the fake runs, e.g. by a benchmark). */
  const seed = (order: ShopifyOrderSeed) => {
    const [id, state] = stateOf(order);
    orders.set(id, state);
  };
  return Object.assign(fake, { orders, seed });
}

// ---------------------------------------------------------------- WooCommerce

export interface WooOrderSeed {
  id: number;
  status?: string;
  total: string;
  currency?: string;
  lines: { id: number; quantity: number; taxRateId?: number }[];
}

export async function fakeWooWriteback(options: { consumerKey: string; consumerSecret: string; orders: WooOrderSeed[] }) {
  const expected = `Basic ${Buffer.from(`${options.consumerKey}:${options.consumerSecret}`).toString('base64')}`;
  let sequence = 7400;
  const orders = new Map(options.orders.map((seed) => [seed.id, { seed, status: seed.status ?? 'processing', notes: [] as Json[], refunds: [] as Json[] }]));
  const noteShape = fixture('woocommerce-order-note.json').response.body;
  const refundShape = fixture('woocommerce-order-refund.json').response.body;
  const invalid = (message: string): Answer => ({ status: 400, body: { code: 'rest_invalid_param', message, data: { status: 400 } } });
  const notFound: Answer = { status: 404, body: { code: 'woocommerce_rest_shop_order_invalid_id', message: 'Invalid ID.', data: { status: 404 } } };
  const unauthorized: Answer = { status: 401, body: { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } } };
  const view = (order: Json) => ({
    id: order.seed.id,
    status: order.status,
    currency: order.seed.currency ?? 'EUR',
    total: order.seed.total,
    line_items: order.seed.lines.map((l: Json) => ({ id: l.id, quantity: l.quantity, taxes: [{ id: l.taxRateId ?? 1 }] })),
    refunds: order.refunds.map((r: Json) => ({ id: r.id, reason: r.reason, total: `-${r.amount}` })),
  });

  const fake = await serveFake(
    (request) => {
      if (request.headers.authorization !== expected) return unauthorized;
      const match = /^\/wp-json\/wc\/v3\/orders\/(\d+)(?:\/(notes|refunds))?$/.exec(request.path);
      const order = match ? orders.get(Number(match[1])) : undefined;
      if (!match || !order) return notFound;
      const body = request.json ?? {};
      if (!match[2] && request.method === 'GET') return { status: 200, body: view(order) };
      if (!match[2] && request.method === 'PUT') {
        if (!['pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed'].includes(body.status)) return invalid('Invalid parameter(s): status');
        order.status = body.status;
        if (body.status === 'completed') fake.confirmations.push({ orderId: order.seed.id, completed: true });
        if (body.status === 'cancelled') fake.cancellations.push({ orderId: order.seed.id, refunds: order.refunds.map((r) => r.amount) });
        return { status: 200, body: view(order) };
      }
      if (match[2] === 'notes' && request.method === 'GET') return { status: 200, body: order.notes };
      if (match[2] === 'notes' && request.method === 'POST') {
        if (typeof body.note !== 'string' || !body.note) return { status: 400, body: { code: 'rest_missing_callback_param', message: 'Missing parameter(s): note', data: { status: 400 } } };
        if (body.customer_note !== undefined && typeof body.customer_note !== 'boolean') return invalid('Invalid parameter(s): customer_note');
        const note = { ...noteShape, id: ++sequence, note: body.note, customer_note: body.customer_note === true };
        order.notes.push(note);
        if (note.customer_note) fake.confirmations.push({ orderId: order.seed.id, note: body.note });
        return { status: 201, body: note };
      }
      if (match[2] === 'refunds' && request.method === 'POST') {
        if (!/^\d+\.\d{2}$/.test(String(body.amount))) return invalid('Invalid parameter(s): amount');
        for (const flag of ['api_refund', 'api_restock']) if (flag in body && typeof body[flag] !== 'boolean') return invalid(`Invalid parameter(s): ${flag}`);
        for (const line of body.line_items ?? []) {
          const known = order.seed.lines.find((l) => l.id === line.id);
          if (!known || !positiveInt(line.quantity) || typeof line.refund_total !== 'number' || !Array.isArray(line.refund_tax)) return invalid('Invalid parameter(s): line_items');
          if (line.refund_tax.some((t: Json) => t.id !== (known.taxRateId ?? 1) || typeof t.refund_total !== 'number')) return invalid('Invalid parameter(s): line_items (refund_tax)');
        }
        const refunded = order.refunds.reduce((sum, r) => sum + cents(r.amount), 0);
        if (cents(body.amount) > cents(order.seed.total) - refunded) {
          return { status: 500, body: { code: 'woocommerce_rest_cannot_create_order_refund', message: 'Invalid refund amount.', data: { status: 500 } } };
        }
        const refund = { ...refundShape, id: ++sequence, amount: body.amount, reason: body.reason ?? '', refunded_payment: body.api_refund === true, line_items: body.line_items ?? [] };
        order.refunds.push(refund);
        fake.refunds.push({ orderId: order.seed.id, amount: body.amount, reason: body.reason, apiRefund: body.api_refund, apiRestock: body.api_restock, lines: body.line_items ?? [] });
        return { status: 201, body: refund };
      }
      return { status: 404, body: { code: 'rest_no_route', message: 'No route was found matching the URL and request method.', data: { status: 404 } } };
    },
    (status) => {
      if (status === 401) return unauthorized;
      if (status === 404) return notFound;
      if (status === 429) return { status: 429, body: { code: 'rest_too_many_requests', message: 'Too many requests.', data: { status: 429 } }, headers: { 'retry-after': '0' } };
      return { status, body: { code: 'internal_server_error', message: 'There has been a critical error on this website.', data: { status } } };
    },
  );
  return Object.assign(fake, { orders });
}

// ---------------------------------------------------------------- Amazon

export interface AmazonOrderSeed {
  id: string;
  marketplaceId?: string;
  items: { orderItemId: string; quantity: number }[];
}

export async function fakeAmazonWriteback(options: { accessToken?: string; orders: AmazonOrderSeed[] }) {
  const token = options.accessToken ?? 'Atza|fake-writeback-token';
  let sequence = 50_000;
  const orders = new Map(options.orders.map((seed) => [seed.id, { seed, packages: new Map<string, Json>() }]));
  const documents = new Map<string, { contentType: string; body?: string }>();
  const invalidInput = fixture('amazon-spapi-confirmShipment.json').error_response.body;
  const errors = (code: string, message: string) => ({ errors: [{ code, message }] });
  const fake = await serveFake(
    (request, base) => {
      if (request.path === '/auth/o2/token') {
        const form = new URLSearchParams(request.text);
        if (form.get('grant_type') !== 'refresh_token' || !form.get('refresh_token') || !form.get('client_secret')) return { status: 400, body: { error: 'invalid_grant' } };
        return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: 3600 } };
      }
      const upload = /^\/upload\/([^/]+)$/.exec(request.path);
      if (upload?.[1] && request.method === 'PUT') {
        const document = documents.get(upload[1]);
        if (!document || request.headers['content-type'] !== document.contentType) return { status: 403, body: undefined };
        document.body = request.text;
        return { status: 200 };
      }
      if (request.headers['x-amz-access-token'] !== token) return { status: 403, body: errors('Unauthorized', 'Access to requested resource is denied.') };
      const confirm = /^\/orders\/v0\/orders\/([^/]+)\/shipmentConfirmation$/.exec(request.path);
      if (confirm?.[1] && request.method === 'POST') {
        const order = orders.get(decodeURIComponent(confirm[1]));
        if (!order) return { status: 404, body: errors('NotFound', 'Order not found') };
        const body = request.json ?? {};
        const pkg = body.packageDetail ?? {};
        const valid =
          body.marketplaceId === (order.seed.marketplaceId ?? 'ATVPDKIKX0DER') &&
          /^[1-9]\d*$/.test(String(pkg.packageReferenceId ?? '')) &&
          typeof pkg.carrierCode === 'string' &&
          (pkg.carrierCode !== 'Other' || typeof pkg.carrierName === 'string') &&
          typeof pkg.trackingNumber === 'string' &&
          isIso(pkg.shipDate) &&
          Array.isArray(pkg.orderItems) &&
          pkg.orderItems.length > 0;
        if (!valid) return { status: 400, body: invalidInput };
        for (const item of pkg.orderItems) {
          const seed = order.seed.items.find((i) => i.orderItemId === item.orderItemId);
          const inOtherPackages = [...order.packages.entries()]
            .filter(([id]) => id !== pkg.packageReferenceId)
            .flatMap(([, p]) => p.orderItems)
            .filter((i: Json) => i.orderItemId === item.orderItemId)
            .reduce((sum: number, i: Json) => sum + i.quantity, 0);
          if (!seed || !positiveInt(item.quantity) || inOtherPackages + item.quantity > seed.quantity) return { status: 400, body: errors('InvalidInput', `Invalid quantity for order item ${item.orderItemId}`) };
        }
        order.packages.set(pkg.packageReferenceId, pkg);
        fake.confirmations.splice(0, fake.confirmations.length, ...[...orders.values()].flatMap((o) => [...o.packages.values()].map((p) => ({ orderId: o.seed.id, ...p }))));
        return { status: 204 };
      }
      const items = /^\/orders\/v0\/orders\/([^/]+)\/orderItems$/.exec(request.path);
      if (items?.[1] && request.method === 'GET') {
        const order = orders.get(decodeURIComponent(items[1]));
        if (!order) return { status: 404, body: errors('NotFound', 'Order not found') };
        return { status: 200, body: { payload: { AmazonOrderId: order.seed.id, OrderItems: order.seed.items.map((i) => ({ OrderItemId: i.orderItemId, QuantityOrdered: i.quantity })) } } };
      }
      if (request.path === '/feeds/2021-06-30/documents' && request.method === 'POST') {
        if (typeof request.json?.contentType !== 'string') return { status: 400, body: errors('InvalidInput', 'contentType is required') };
        const id = `amzn1.tortuga.4.na.fake-${++sequence}`;
        documents.set(id, { contentType: request.json.contentType });
        return { status: 201, body: { feedDocumentId: id, url: `${base}/upload/${id}` } };
      }
      if (request.path === '/feeds/2021-06-30/feeds' && request.method === 'POST') {
        const body = request.json ?? {};
        const document = documents.get(body.inputFeedDocumentId);
        if (body.feedType !== 'POST_ORDER_ACKNOWLEDGEMENT_DATA' || !Array.isArray(body.marketplaceIds) || body.marketplaceIds.length === 0 || !document?.body) {
          return { status: 400, body: errors('InvalidInput', 'feedType, marketplaceIds and an uploaded inputFeedDocumentId are required') };
        }
        const xml = document.body;
        const tag = (name: string, text = xml) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
        const feedId = String(++sequence);
        fake.cancellations.push({
          feedId,
          merchantId: tag('MerchantIdentifier'),
          messageType: tag('MessageType'),
          orderId: tag('AmazonOrderID'),
          statusCode: tag('StatusCode'),
          items: [...xml.matchAll(/<Item>(.*?)<\/Item>/gs)].map((m) => ({ orderItemId: tag('AmazonOrderItemCode', m[1]), reason: tag('CancelReason', m[1]) })),
          marketplaceIds: body.marketplaceIds,
        });
        return { status: 202, body: { feedId } };
      }
      return { status: 404, body: errors('NotFound', request.path) };
    },
    (status) => {
      if (status === 429) return { status: 429, body: errors('QuotaExceeded', 'You exceeded your quota for the requested resource.'), headers: { 'retry-after': '0' } };
      if (status === 401) return { status: 401, body: errors('Unauthorized', 'Access to requested resource is denied.') };
      if (status === 404) return { status: 404, body: errors('NotFound', 'Order not found') };
      return { status, body: errors('InternalFailure', 'We encountered an internal error. Please try again.') };
    },
  );
  return Object.assign(fake, { orders });
}

// ---------------------------------------------------------------- eBay

export interface EbayOrderSeed {
  id: string;
  currency?: string;
  total: string;
  lines: { lineItemId: string; quantity: number }[];
}

export async function fakeEbayWriteback(options: { orders: EbayOrderSeed[] }) {
  const tokenFor = (scope: string) => `v^1.1#fake-ebay-writeback#${Buffer.from(scope).toString('base64url')}`;
  const scope = (name: string) => `https://api.ebay.com/oauth/api_scope/${name}`;
  let sequence = 5_000_000;
  const orders = new Map(options.orders.map((seed) => [seed.id, { seed, fulfillments: [] as Json[], refunds: [] as Json[] }]));
  const trackingError = fixture('ebay-createShippingFulfillment.json').error_response.body;
  const overlapping = fixture('ebay-issueRefund.json').error_response.body;
  const error = (errorId: number, message: string, category = 'REQUEST') => ({ errors: [{ errorId, domain: 'API_FULFILLMENT', category, message }] });
  const unauthorized: Answer = { status: 401, body: { errors: [{ errorId: 1001, domain: 'OAuth', category: 'REQUEST', message: 'Invalid access token', longMessage: 'Invalid access token. Check the value of the Authorization HTTP request header.' }] } };
  const fake = await serveFake(
    (request, base) => {
      if (request.path === '/identity/v1/oauth2/token') {
        const form = new URLSearchParams(request.text);
        if (!request.headers.authorization?.startsWith('Basic ') || form.get('grant_type') !== 'refresh_token' || !form.get('scope')) return { status: 400, body: { error: 'invalid_grant' } };
        return { status: 200, body: { access_token: tokenFor(form.get('scope') ?? ''), expires_in: 7200, token_type: 'User Access Token' } };
      }
      const match = /^\/sell\/fulfillment\/v1\/order\/([^/]+)(?:\/(shipping_fulfillment|issue_refund))?$/.exec(request.path);
      if (!match?.[1]) return { status: 404, body: error(32100, 'Resource not found') };
      const needed = match[2] === 'issue_refund' ? scope('sell.finances') : scope('sell.fulfillment');
      if (request.headers.authorization !== `Bearer ${tokenFor(needed)}`) return unauthorized;
      const order = orders.get(decodeURIComponent(match[1]));
      if (!order) return { status: 404, body: error(32100, `Invalid order ID: ${match[1]}`) };
      const currency = order.seed.currency ?? 'USD';
      const body = request.json ?? {};
      if (!match[2] && request.method === 'GET') {
        return {
          status: 200,
          body: {
            orderId: order.seed.id,
            orderPaymentStatus: order.refunds.length ? 'PARTIALLY_REFUNDED' : 'PAID',
            pricingSummary: { total: { value: order.seed.total, currency } },
            paymentSummary: { refunds: order.refunds.map((r) => ({ refundId: r.refundId, amount: { value: r.value, currency }, refundStatus: 'PENDING' })) },
            lineItems: order.seed.lines.map((l) => ({ lineItemId: l.lineItemId, quantity: l.quantity })),
          },
        };
      }
      if (match[2] === 'shipping_fulfillment' && request.method === 'GET') return { status: 200, body: { fulfillments: order.fulfillments, total: order.fulfillments.length } };
      if (match[2] === 'shipping_fulfillment' && request.method === 'POST') {
        if (!Array.isArray(body.lineItems) || body.lineItems.length === 0) return { status: 400, body: error(32200, 'lineItems is required') };
        if (!isIso(body.shippedDate)) return { status: 400, body: error(32400, 'Invalid shippedDate') };
        if ((body.shippingCarrierCode === undefined) !== (body.trackingNumber === undefined)) return { status: 400, body: trackingError };
        for (const item of body.lineItems) {
          const seed = order.seed.lines.find((l) => l.lineItemId === item.lineItemId);
          const shipped = order.fulfillments.flatMap((f) => f.lineItems).filter((l: Json) => l.lineItemId === item.lineItemId).reduce((sum: number, l: Json) => sum + l.quantity, 0);
          if (!seed || !positiveInt(item.quantity) || shipped + item.quantity > seed.quantity) return { status: 400, body: error(32210, `Invalid line item or quantity: ${String(item.lineItemId)}`) };
        }
        const fulfillment = { fulfillmentId: body.trackingNumber ?? String(++sequence), lineItems: body.lineItems, shipmentTrackingNumber: body.trackingNumber, shippedDate: body.shippedDate, shippingCarrierCode: body.shippingCarrierCode };
        order.fulfillments.push(fulfillment);
        fake.confirmations.push({ orderId: order.seed.id, ...fulfillment });
        return { status: 201, body: {}, headers: { location: `${base}/sell/fulfillment/v1/order/${order.seed.id}/shipping_fulfillment/${fulfillment.fulfillmentId}` } };
      }
      if (match[2] === 'issue_refund' && request.method === 'POST') {
        const reasons = ['BUYER_CANCEL', 'BUYER_RETURN', 'ITEM_NOT_RECEIVED', 'SELLER_WRONG_ITEM', 'SELLER_MISSING_ITEM', 'SELLER_CANCEL', 'OTHER_ADJUSTMENT', 'ITEM_NOT_AS_DESCRIBED'];
        if (!reasons.includes(body.reasonForRefund)) return { status: 400, body: error(34901, 'Invalid reasonForRefund') };
        if ((body.refundItems === undefined) === (body.orderLevelRefundAmount === undefined)) return { status: 400, body: error(34902, 'Either refundItems or orderLevelRefundAmount is required') };
        const amounts: Json[] = body.refundItems ? body.refundItems.map((i: Json) => i.refundAmount) : [body.orderLevelRefundAmount];
        if (amounts.some((a) => !a || !isDecimal(a.value) || a.currency !== currency)) return { status: 400, body: error(34903, 'Invalid refund amount: value must be a decimal string in the order currency') };
        if (body.refundItems?.some((i: Json) => !order.seed.lines.some((l) => l.lineItemId === i.lineItemId))) return { status: 400, body: error(34904, 'Invalid lineItemId') };
        const value = amounts.reduce((sum, a) => sum + cents(a.value), 0);
        const refunded = order.refunds.reduce((sum, r) => sum + cents(r.value), 0);
        if (value > cents(order.seed.total) - refunded) return { status: 400, body: error(34905, 'The refund amount exceeds the amount paid') };
        const refund = { refundId: String(++sequence), value: (value / 100).toFixed(2) };
        order.refunds.push(refund);
        fake.refunds.push({ orderId: order.seed.id, refundId: refund.refundId, reasonForRefund: body.reasonForRefund, comment: body.comment, refundItems: body.refundItems, orderLevelRefundAmount: body.orderLevelRefundAmount });
        return { status: 200, body: { refundId: refund.refundId, refundStatus: 'PENDING' } };
      }
      return { status: 404, body: error(32100, 'Resource not found') };
    },
    (status) => {
      if (status === 429) return { status: 429, body: { errors: [{ errorId: 2001, domain: 'ACCESS', category: 'REQUEST', message: 'Too many requests. The request limit has been reached for the resource.' }] }, headers: { 'retry-after': '0' } };
      if (status === 401) return unauthorized;
      if (status === 404) return { status: 404, body: error(32100, 'Invalid order ID') };
      if (status === 409) return { status: 409, body: overlapping };
      return { status, body: error(10001, 'A system error has occurred.', 'APPLICATION') };
    },
  );
  return Object.assign(fake, { orders });
}
