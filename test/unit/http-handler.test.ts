import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { NotFoundError } from '#shared/domain/errors.ts';
import { defineOperation } from '#shared/http/operation.ts';
import type { httpHandler as HttpHandlerFactory } from '#shared/http/handler.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { TEST_TOKEN } from '../support/table.ts';

const operation = defineOperation({
  operationId: 'putThing',
  method: 'PUT',
  path: '/v1/things/{thingId}',
  auth: 'bearer',
  summary: 'test operation',
  tags: ['Test'],
  params: z.object({ thingId: z.string().regex(/^[a-z]+$/) }),
  query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
  body: z.strictObject({ name: z.string().min(1), size: z.number().int() }),
  maxBodyBytes: 64,
  responses: { 200: { description: 'ok' } },
  errors: [400, 401, 413, 422],
});

let httpHandler: typeof HttpHandlerFactory;
let calls: unknown[];
let handler: ReturnType<typeof HttpHandlerFactory>;

beforeAll(async () => {
  process.env['OMS_API_TOKEN'] = TEST_TOKEN;
  process.env['POWERTOOLS_LOG_LEVEL'] = 'SILENT';
  ({ httpHandler } = await import('#shared/http/handler.ts'));
  calls = [];
  handler = httpHandler(operation, async (request) => {
    calls.push(request.body);
    if (request.params.thingId === 'missing') throw new NotFoundError('No such thing');
    if (request.params.thingId === 'boom') throw new Error('database password is hunter2');
    return { status: 200, body: { ok: true, echo: request.body } };
  });
});

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const put = (overrides: Partial<Parameters<typeof apiEvent>[0]> = {}) =>
  apiEvent({
    method: 'PUT',
    path: '/v1/things/abc',
    routeKey: 'PUT /v1/things/{thingId}',
    pathParameters: { thingId: 'abc' },
    headers: auth,
    body: JSON.stringify({ name: 'x', size: 1 }),
    ...overrides,
  });

describe('httpHandler', () => {
  it('runs the use case with parsed input and answers JSON with the correlation id', async () => {
    const response = await call(handler, put({ headers: { ...auth, 'x-correlation-id': 'corr-123' } }));
    expect(response).toMatchObject({ status: 200, body: { ok: true, echo: { name: 'x', size: 1 } } });
    expect(response.headers['x-correlation-id']).toBe('corr-123');
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-token-at-all' }],
    ['another scheme', { authorization: `Basic ${TEST_TOKEN}` }],
  ])('401 with %s, before reading the body', async (_case, headers) => {
    const before = calls.length;
    const response = await call(handler, put({ headers, body: '{' }));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('Bearer');
    expect(response.body).toMatchObject({ error: { code: 'unauthorized' } });
    expect(calls.length).toBe(before);
  });

  it('413 above the body limit', async () => {
    const response = await call(handler, put({ body: JSON.stringify({ name: 'x'.repeat(100), size: 1 }) }));
    expect(response).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
  });

  it.each(['{"name":', '', 'not json'])('400 for malformed JSON %j', async (body) => {
    const response = await call(handler, put({ body }));
    expect(response).toMatchObject({ status: 400, body: { error: { code: 'malformed_request' } } });
  });

  it('422 naming every bad field of path, query and body at once', async () => {
    const response = await call(
      handler,
      put({ pathParameters: { thingId: 'ABC' }, query: { dryRun: 'maybe' }, body: JSON.stringify({ name: '', size: 1.5, extra: 1 }) }),
    );
    expect(response.status).toBe(422);
    const details = (response.body as { error: { details: { in: string; path: string }[] } }).error.details;
    expect(details.map((d) => `${d.in}:${d.path}`).sort()).toEqual(['body:', 'body:name', 'body:size', 'path:thingId', 'query:dryRun']);
  });

  it('422 naming the fields of the closest alternative when the body is one of several shapes', async () => {
    const either = httpHandler(
      { ...operation, body: z.union([z.strictObject({ name: z.string(), size: z.number() }), z.strictObject({ things: z.array(z.string()) })]), maxBodyBytes: 1024 },
      async () => ({ status: 200 }),
    );
    const response = await call(either, put({ body: JSON.stringify({ name: 'x' }) }));
    expect(response.status).toBe(422);
    expect((response.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toEqual(['size']);
  });

  it('maps domain errors by class', async () => {
    const response = await call(handler, put({ pathParameters: { thingId: 'missing' } }));
    expect(response).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'No such thing' } } });
  });

  it('answers a bug with a 500 that leaks nothing but the correlation id', async () => {
    const response = await call(handler, put({ pathParameters: { thingId: 'boom' }, headers: { ...auth, 'x-correlation-id': 'c-500' } }));
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
    expect(response.body).toMatchObject({ error: { code: 'internal_error', correlationId: 'c-500' } });
  });

  it('ignores a correlation id that is not a safe token', async () => {
    const response = await call(handler, put({ headers: { ...auth, 'x-correlation-id': 'bad id\nwith newline' } }));
    expect(response.headers['x-correlation-id']).not.toContain('\n');
  });
});
