import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local fakes of the channel APIs the OMS calls, on loopback: Login with
 * Amazon + SP-API Orders v0 and Listings Items, eBay OAuth + Sell
 * Fulfillment getOrders and Inventory bulk quantity updates, and (with
 * `serve`) the Shopify and WooCommerce stock APIs in fake-channels.ts.
 * They serve the orders they are given, page them the way the real APIs do
 * (NextToken / offset), filter by last-update time, record the stock figures
 * they are sent, and can be told to answer 429 or 500 or to answer slowly,
 * to check back-off, ordering and crash recovery.
 */
export interface FakeMarketplace {
  url: string;
  requests: { method: string; path: string; query: Record<string, string>; headers: Record<string, string | undefined> }[];
  /** Stock figures the channel accepted, in the order it accepted them (`key` is the SKU or the channel's item id). */
  stockUpdates: { key: string; quantity: number }[];
  /** Answers the next `n` requests whose path matches (and whose query passes `when`) with `status` (429 carries Retry-After: 0). */
  failNext(pathPattern: RegExp, status: number, n?: number, when?: (query: URLSearchParams) => boolean): void;
  /** Holds the answer to the next `n` requests whose path matches for `ms` (the change is applied when the answer is sent). */
  slowNext(pathPattern: RegExp, ms: number, n?: number): void;
  close(): Promise<void>;
}

type Handled = { status: number; body: unknown; headers?: Record<string, string> };
export type FakeHandler = (request: IncomingMessage, url: URL, body: string, stockUpdates: FakeMarketplace['stockUpdates']) => Handled;

interface Failure {
  pattern: RegExp;
  status: number;
  remaining: number;
  when?: ((query: URLSearchParams) => boolean) | undefined;
}

export async function serve(handle: FakeHandler): Promise<FakeMarketplace> {
  const requests: FakeMarketplace['requests'] = [];
  const stockUpdates: FakeMarketplace['stockUpdates'] = [];
  const failures: Failure[] = [];
  const delays: { pattern: RegExp; ms: number; remaining: number }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      requests.push({ method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: request.headers as Record<string, string | undefined> });
      const failure = failures.find((f) => f.remaining > 0 && f.pattern.test(url.pathname) && (f.when?.(url.searchParams) ?? true));
      if (failure) {
        failure.remaining--;
        response.writeHead(failure.status, { 'content-type': 'application/json', ...(failure.status === 429 ? { 'retry-after': '0' } : {}) });
        response.end(JSON.stringify({ errors: [{ code: failure.status === 429 ? 'QuotaExceeded' : 'InternalFailure', message: 'injected' }] }));
        return;
      }
      const delay = delays.find((d) => d.remaining > 0 && d.pattern.test(url.pathname));
      if (delay) delay.remaining--;
      setTimeout(() => {
        const result = handle(request, url, body, stockUpdates);
        response.writeHead(result.status, { 'content-type': 'application/json', ...result.headers });
        response.end(JSON.stringify(result.body));
      }, delay?.ms ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stockUpdates,
    failNext: (pattern, status, n = 1, when) => void failures.push({ pattern, status, remaining: n, when }),
    slowNext: (pattern, ms, n = 1) => void delays.push({ pattern, ms, remaining: n }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const unauthorized = { status: 401, body: { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.' }] } };

/** Amazon: orders as getOrders returns them, items by AmazonOrderId. */
export async function fakeAmazon(options: {
  orders: Record<string, unknown>[];
  items: Record<string, unknown[]>;
  pageSize?: number;
  accessToken?: string;
  /** Seller SKUs that have a listing (Listings Items API); others answer 404. */
  listings?: string[];
}): Promise<FakeMarketplace> {
  const pageSize = options.pageSize ?? 2;
  const token = options.accessToken ?? 'Atza|fake-access-token';
  return serve((request, url, body, stockUpdates) => {
    if (url.pathname === '/auth/o2/token') {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'refresh_token' || !form.get('refresh_token') || !form.get('client_secret')) {
        return { status: 400, body: { error: 'invalid_grant' } };
      }
      return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: 3600 } };
    }
    if (request.headers['x-amz-access-token'] !== token) return unauthorized;
    if (url.pathname === '/orders/v0/orders') {
      if (!url.searchParams.get('MarketplaceIds')) return { status: 400, body: { errors: [{ code: 'InvalidInput', message: 'MarketplaceIds is required' }] } };
      const nextToken = url.searchParams.get('NextToken');
      const state = nextToken
        ? (JSON.parse(Buffer.from(nextToken, 'base64url').toString()) as { after: string; before: string; offset: number })
        : { after: url.searchParams.get('LastUpdatedAfter') ?? '', before: url.searchParams.get('LastUpdatedBefore') ?? '9999', offset: 0 };
      const matching = options.orders
        .filter((o) => String(o['LastUpdateDate']) >= state.after && String(o['LastUpdateDate']) <= state.before)
        .sort((a, b) => String(a['LastUpdateDate']).localeCompare(String(b['LastUpdateDate'])));
      const page = matching.slice(state.offset, state.offset + pageSize);
      const more = state.offset + pageSize < matching.length;
      return {
        status: 200,
        body: {
          payload: {
            Orders: page,
            LastUpdatedBefore: state.before,
            ...(more ? { NextToken: Buffer.from(JSON.stringify({ ...state, offset: state.offset + pageSize })).toString('base64url') } : {}),
          },
        },
      };
    }
    const listing = /^\/listings\/2021-08-01\/items\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (listing?.[2] && request.method === 'PATCH') {
      const sku = decodeURIComponent(listing[2]);
      if (!url.searchParams.get('marketplaceIds')) return { status: 400, body: { errors: [{ code: 'InvalidInput', message: 'marketplaceIds is required' }] } };
      if (!(options.listings ?? []).includes(sku)) return { status: 404, body: { errors: [{ code: 'NOT_FOUND', message: `SKU ${sku} not found` }] } };
      const patch = JSON.parse(body) as { productType?: string; patches?: { op: string; path: string; value: { fulfillment_channel_code: string; quantity: number }[] }[] };
      const availability = patch.patches?.find((p) => p.path === '/attributes/fulfillment_availability');
      const quantity = availability?.value[0]?.quantity;
      if (!patch.productType || availability?.op !== 'replace' || !Number.isInteger(quantity)) {
        return { status: 200, body: { sku, status: 'INVALID', submissionId: 'x', issues: [{ code: '4000001', message: 'Invalid patch', severity: 'ERROR' }] } };
      }
      stockUpdates.push({ key: sku, quantity: Number(quantity) });
      return { status: 200, body: { sku, status: 'ACCEPTED', submissionId: `sub-${stockUpdates.length}`, issues: [] } };
    }
    const items = /^\/orders\/v0\/orders\/([^/]+)\/orderItems$/.exec(url.pathname);
    if (items?.[1]) {
      const id = decodeURIComponent(items[1]);
      return { status: 200, body: { payload: { AmazonOrderId: id, OrderItems: options.items[id] ?? [] } } };
    }
    return { status: 404, body: { errors: [{ code: 'NotFound', message: url.pathname }] } };
  });
}

/** eBay: orders as getOrders returns them; inventory items by SKU. Tokens are per scope, as eBay issues them. */
export async function fakeEbay(options: { orders: Record<string, unknown>[]; pageSize?: number; inventorySkus?: string[] }): Promise<FakeMarketplace> {
  const tokenFor = (scope: string) => `v^1.1#fake-ebay-user-token#${Buffer.from(scope).toString('base64url')}`;
  const hasScope = (request: IncomingMessage, scope: string) => request.headers['authorization'] === `Bearer ${tokenFor(`https://api.ebay.com/oauth/api_scope/${scope}`)}`;
  return serve((request, url, body, stockUpdates) => {
    if (url.pathname === '/identity/v1/oauth2/token') {
      const form = new URLSearchParams(body);
      if (!request.headers['authorization']?.startsWith('Basic ') || form.get('grant_type') !== 'refresh_token' || !form.get('scope')) {
        return { status: 400, body: { error: 'invalid_grant' } };
      }
      return { status: 200, body: { access_token: tokenFor(form.get('scope') ?? ''), expires_in: 7200, token_type: 'User Access Token' } };
    }
    if (url.pathname === '/sell/fulfillment/v1/order') {
      if (!hasScope(request, 'sell.fulfillment.readonly')) return unauthorized;
      const filter = /lastmodifieddate:\[(.*)\.\.(.*)\]/.exec(url.searchParams.get('filter') ?? '');
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const matching = options.orders.filter(
        (o) => !filter || (String(o['lastModifiedDate']) >= (filter[1] ?? '') && String(o['lastModifiedDate']) <= (filter[2] || '9999')),
      );
      const size = Math.min(limit, options.pageSize ?? limit);
      const page = matching.slice(offset, offset + size);
      return {
        status: 200,
        body: {
          href: url.href,
          total: matching.length,
          limit: size,
          offset,
          orders: page,
          ...(offset + size < matching.length ? { next: `${url.origin}${url.pathname}?offset=${offset + size}` } : {}),
        },
      };
    }
    if (url.pathname === '/sell/inventory/v1/bulk_update_price_quantity' && request.method === 'POST') {
      if (!hasScope(request, 'sell.inventory')) return unauthorized;
      const { requests } = JSON.parse(body) as { requests: { sku: string; shipToLocationAvailability?: { quantity: number } }[] };
      const responses = requests.map(({ sku, shipToLocationAvailability }) => {
        if (!(options.inventorySkus ?? []).includes(sku)) {
          return { statusCode: 404, sku, errors: [{ errorId: 25702, message: `SKU ${sku} is not available in the system` }] };
        }
        stockUpdates.push({ key: sku, quantity: Number(shipToLocationAvailability?.quantity) });
        return { statusCode: 200, sku, offerId: `offer-${sku}` };
      });
      return { status: 200, body: { responses } };
    }
    return { status: 404, body: { errors: [{ message: url.pathname }] } };
  });
}
