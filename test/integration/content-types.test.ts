import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { functions, httpFunctions } from '#infra/topology/functions.ts';
import { repoRoot } from '#infra/paths.ts';
import { routeKeyOf, type Operation } from '#shared/http/operation.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { locationBody } from '../support/fixtures.ts';
import { TEST_TOKEN, allItems, useTestTable } from '../support/table.ts';

/**
 * Operations with a JSON body take only JSON: `application/json` (with
 * parameters such as `charset=utf-8`) or an `application/*+json` type; any
 * other Content-Type is a 415 with the OMS error body, before the body is
 * read and with nothing written. A request without a Content-Type is read as
 * JSON. Webhooks take what each channel sends (WooCommerce pings are
 * form-encoded) and are not checked.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };

const withBody = httpFunctions().filter(({ operation }) => operation.body);
const handlers = new Map<string, unknown>();

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  process.env['CARRIER_WEBHOOK_SECRET'] = 'content-type-test-secret-0123456789abcdef';
  for (const { name } of [...withBody, ...httpFunctions().filter(({ operation }) => operation.path.startsWith('/webhooks/'))]) {
    handlers.set(name, ((await import(pathToFileURL(join(repoRoot, functions[name].entry)).href)) as { handler: unknown }).handler);
  }
});

function eventFor(operation: Operation, body: string, contentType: string | undefined) {
  const pathParameters = Object.fromEntries([...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [String(name), 'ct-1']));
  const event = apiEvent({
    method: operation.method,
    path: operation.path.replace(/\{(\w+)\}/g, 'ct-1'),
    routeKey: routeKeyOf(operation),
    pathParameters,
    headers: { ...auth, 'idempotency-key': 'ct-key-1', ...(contentType === undefined ? {} : { 'content-type': contentType }) },
    body,
  });
  if (contentType === undefined) delete event.headers['content-type'];
  return event;
}

describe('Content-Type of operations with a JSON body', () => {
  it('the contract lists 415 for every operation with a JSON body, and for no webhook', () => {
    expect(withBody.length).toBeGreaterThan(5);
    for (const { operation } of withBody) expect(operation.errors, operation.operationId).toContain(415);
    for (const { operation } of httpFunctions().filter(({ operation }) => operation.path.startsWith('/webhooks/'))) {
      expect(operation.errors, operation.operationId).not.toContain(415);
    }
  });

  it.each([
    'application/x-www-form-urlencoded',
    'text/plain;charset=UTF-8',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/jsonp',
    'application/json; charset=iso-8859-1',
    'json',
    '',
  ])('refuses %j with 415 and the OMS error body, writing nothing, on every one of them', async (contentType) => {
    const before = (await allItems(db, tableName)).length;
    for (const { name, operation } of withBody) {
      const response = await call(handlers.get(name), eventFor(operation, JSON.stringify(locationBody()), contentType));
      expect(response.status, `${operation.operationId}: ${JSON.stringify(response.body)}`).toBe(415);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.body, operation.operationId).toMatchObject({
        error: { code: 'unsupported_media_type', message: expect.any(String), details: [expect.objectContaining({ in: 'header', path: 'content-type' })] },
      });
    }
    expect((await allItems(db, tableName)).length).toBe(before);
  });

  it('still asks for the token first (401 before 415)', async () => {
    const putLocation = withBody.find(({ name }) => name === 'putLocation');
    const event = eventFor(putLocation?.operation as Operation, '{}', 'text/plain');
    delete event.headers['authorization'];
    expect((await call(handlers.get('putLocation'), event)).status).toBe(401);
  });

  it.each([
    ['application/json', 'ct-a'],
    ['application/json; charset=utf-8', 'ct-b'],
    ['Application/JSON;Charset="UTF-8"', 'ct-c'],
    ['application/vnd.oms.location+json', 'ct-d'],
    [undefined, 'ct-e'],
  ])('accepts %j', async (contentType, locationId) => {
    const putLocation = withBody.find(({ name }) => name === 'putLocation')?.operation as Operation;
    const event = eventFor(putLocation, JSON.stringify(locationBody()), contentType);
    event.pathParameters = { locationId };
    const response = await call(handlers.get('putLocation'), event);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it('webhooks take what the channel sends: a form-encoded delivery is judged by its channel, not refused for its type', async () => {
    for (const { name, operation } of httpFunctions().filter(({ operation }) => operation.path.startsWith('/webhooks/'))) {
      const response = await call(handlers.get(name), eventFor(operation, 'webhook_id=42', 'application/x-www-form-urlencoded'));
      expect(response.status, operation.operationId).not.toBe(415);
    }
  });
});
