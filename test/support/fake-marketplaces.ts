import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local fakes of the marketplace APIs the OMS polls, on loopback: Login with
 * Amazon + SP-API Orders v0, and eBay OAuth + Sell Fulfillment getOrders.
 * They serve the orders they are given, page them the way the real APIs do
 * (NextToken / offset), filter by last-update time, and can be told to
 * answer 429 or 500, to check back-off and crash recovery.
 */
export interface FakeMarketplace {
  url: string;
  requests: { method: string; path: string; query: Record<string, string>; headers: Record<string, string | undefined> }[];
  /** Answers the next `n` requests whose path matches (and whose query passes `when`) with `status` (429 carries Retry-After: 0). */
  failNext(pathPattern: RegExp, status: number, n?: number, when?: (query: URLSearchParams) => boolean): void;
  close(): Promise<void>;
}

interface Failure {
  pattern: RegExp;
  status: number;
  remaining: number;
  when?: ((query: URLSearchParams) => boolean) | undefined;
}

async function serve(handle: (request: IncomingMessage, url: URL, body: string) => { status: number; body: unknown; headers?: Record<string, string> }): Promise<FakeMarketplace> {
  const requests: FakeMarketplace['requests'] = [];
  const failures: Failure[] = [];
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
      const result = handle(request, url, body);
      response.writeHead(result.status, { 'content-type': 'application/json', ...result.headers });
      response.end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    failNext: (pattern, status, n = 1, when) => void failures.push({ pattern, status, remaining: n, when }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const unauthorized = { status: 401, body: { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.' }] } };

/** Amazon: orders as getOrders returns them, items by AmazonOrderId. */
export async function fakeAmazon(options: {
  orders: Record<string, unknown>[];
  items: Record<string, unknown[]>;
  pageSize?: number;
  accessToken?: string;
}): Promise<FakeMarketplace> {
  const pageSize = options.pageSize ?? 2;
  const token = options.accessToken ?? 'Atza|fake-access-token';
  return serve((request, url, body) => {
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
    const items = /^\/orders\/v0\/orders\/([^/]+)\/orderItems$/.exec(url.pathname);
    if (items?.[1]) {
      const id = decodeURIComponent(items[1]);
      return { status: 200, body: { payload: { AmazonOrderId: id, OrderItems: options.items[id] ?? [] } } };
    }
    return { status: 404, body: { errors: [{ code: 'NotFound', message: url.pathname }] } };
  });
}

/** eBay: orders as getOrders returns them. */
export async function fakeEbay(options: { orders: Record<string, unknown>[]; pageSize?: number }): Promise<FakeMarketplace> {
  const token = 'v^1.1#fake-ebay-user-token';
  return serve((request, url, body) => {
    if (url.pathname === '/identity/v1/oauth2/token') {
      const form = new URLSearchParams(body);
      if (!request.headers['authorization']?.startsWith('Basic ') || form.get('grant_type') !== 'refresh_token') {
        return { status: 400, body: { error: 'invalid_grant' } };
      }
      return { status: 200, body: { access_token: token, expires_in: 7200, token_type: 'User Access Token' } };
    }
    if (request.headers['authorization'] !== `Bearer ${token}`) return unauthorized;
    if (url.pathname === '/sell/fulfillment/v1/order') {
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
    return { status: 404, body: { errors: [{ message: url.pathname }] } };
  });
}
