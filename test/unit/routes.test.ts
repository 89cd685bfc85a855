import { describe, expect, it } from 'vitest';
import { localRoutes, matchRoute, type LocalRoute } from '#infra/local/http-api.ts';
import { functions, httpFunctions } from '#infra/topology/functions.ts';
import { operations } from '#shared/http/operations.ts';

const route = (method: string, path: string): LocalRoute => ({
  routeKey: `${method} ${path}`,
  method,
  path,
  functionName: 'health',
  segments: path.split('/').filter(Boolean),
});

describe('route selection (API Gateway HTTP API rules)', () => {
  const routes = [
    route('GET', '/v1/channels/{channelId}'),
    route('POST', '/v1/channels/{channelId}/sync'),
    route('GET', '/v1/channels/{channelId}/orders/{externalOrderId}'),
    route('GET', '/v1/channels/special'),
    route('ANY', '/files/{proxy+}'),
    { routeKey: '$default', method: 'ANY', path: '$default', functionName: 'routeNotFound', segments: [] } satisfies LocalRoute,
  ];

  it('prefers literal segments over parameters', () => {
    expect(matchRoute(routes, 'GET', '/v1/channels/special')?.route.path).toBe('/v1/channels/special');
    expect(matchRoute(routes, 'GET', '/v1/channels/shop-us')).toMatchObject({ pathParameters: { channelId: 'shop-us' } });
  });

  it('matches the method and the number of segments', () => {
    expect(matchRoute(routes, 'POST', '/v1/channels/a/sync')?.route.path).toBe('/v1/channels/{channelId}/sync');
    expect(matchRoute(routes, 'GET', '/v1/channels/a/sync')?.route.routeKey).toBe('$default');
    expect(matchRoute(routes, 'GET', '/v1/channels/a/orders/5821334503521')?.pathParameters).toEqual({
      channelId: 'a',
      externalOrderId: '5821334503521',
    });
  });

  it('decodes path parameters and supports greedy ones', () => {
    expect(matchRoute(routes, 'GET', '/v1/channels/a%20b')?.pathParameters).toEqual({ channelId: 'a b' });
    expect(matchRoute(routes, 'DELETE', '/files/a/b/c')?.pathParameters).toEqual({ proxy: 'a/b/c' });
  });
});

describe('the route table', () => {
  it('has one route per HTTP operation and a function for each', () => {
    const table = localRoutes();
    expect(table.map((r) => r.routeKey).sort()).toEqual(
      Object.values(operations).map((o) => (o.path === '$default' ? '$default' : `${o.method} ${o.path}`)).sort(),
    );
    expect(new Set(table.map((r) => r.routeKey)).size).toBe(table.length);
    for (const { name } of httpFunctions()) expect(functions[name].entry).toMatch(/^functions\//);
  });
});
