import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiEvent, call } from '../support/api-events.ts';
import { locationBody } from '../support/fixtures.ts';
import { TEST_TOKEN, allItems, useTestTable } from '../support/table.ts';

/**
 * DynamoDB throttling as AWS answers it, end to end through a real handler:
 * a loopback proxy in front of DynamoDB Local answers TransactWriteItems with
 * DynamoDB's documented throttling responses (test/fixtures/aws) and passes
 * everything else through. The handler's SDK client (shared/store/client.ts,
 * built with awsClientConfig) retries as configured, then the API answers
 * 503 with Retry-After — and nothing is in the table.
 */
type Reply = { status: number; body: Record<string, unknown> };
const fixture = JSON.parse(readFileSync(new URL('../fixtures/aws/dynamodb-throttling.json', import.meta.url), 'utf8')) as Record<
  'provisionedThroughputExceeded' | 'transactionThrottled' | 'internalServerError',
  Reply
>;

let db: DynamoDBDocumentClient;
let tableName: string;
let proxy: Server;
let answer: Reply | undefined;
let transactWrites: number;
let putLocation: unknown;

beforeAll(async () => {
  const table = await useTestTable();
  ({ db, tableName } = table);
  const upstream = new URL(table.endpoint);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      // The SDK speaks DynamoDB's JSON protocol: POST /, X-Amz-Target names the operation, SigV4 signed.
      expect(req.method).toBe('POST');
      expect(String(req.headers['authorization'])).toMatch(/^AWS4-HMAC-SHA256 /);
      if (target === 'DynamoDB_20120810.TransactWriteItems') {
        transactWrites++;
        if (answer) {
          res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `req-${transactWrites}` });
          res.end(JSON.stringify(answer.body));
          return;
        }
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamResponse) => {
          res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
          upstreamResponse.pipe(res);
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  process.env['AWS_ENDPOINT_URL_DYNAMODB'] = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  putLocation = (await import('#functions/locations/put-location.ts')).handler;
});

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
});

beforeEach(() => {
  answer = undefined;
  transactWrites = 0;
});

const put = (id: string) =>
  call(
    putLocation,
    apiEvent({
      method: 'PUT',
      path: `/v1/locations/${id}`,
      routeKey: 'PUT /v1/locations/{locationId}',
      pathParameters: { locationId: id },
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'x-correlation-id': `c-${id}` },
      body: JSON.stringify(locationBody()),
    }),
  );

const itemsOf = async (id: string) => (await allItems(db, tableName)).filter((item) => JSON.stringify(item).includes(id));

describe('DynamoDB throttling on the HTTP API', () => {
  it('ProvisionedThroughputExceededException on every attempt: 4 attempts (the configured budget), then 503 + Retry-After + the JSON error body, nothing written', async () => {
    answer = fixture.provisionedThroughputExceeded;
    const response = await put('wh-throttled');
    expect(transactWrites).toBe(4);
    expect(response.status).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '2', 'content-type': 'application/json', 'x-correlation-id': 'c-wh-throttled' });
    expect(response.body).toMatchObject({ error: { code: 'service_unavailable', details: [], correlationId: 'c-wh-throttled' } });
    expect(await itemsOf('wh-throttled')).toEqual([]);
  });

  it('a transaction cancelled only by ThrottlingError: 503, not a 409 or a 500, nothing written', async () => {
    answer = fixture.transactionThrottled;
    const response = await put('wh-cancelled');
    expect(response).toMatchObject({ status: 503, headers: { 'retry-after': '2' }, body: { error: { code: 'service_unavailable' } } });
    expect(await itemsOf('wh-cancelled')).toEqual([]);
  });

  it('a 500 of DynamoDB that outlives the retries: 503 with Retry-After, nothing written', async () => {
    answer = fixture.internalServerError;
    const response = await put('wh-500');
    expect(transactWrites).toBe(4);
    expect(response).toMatchObject({ status: 503, headers: { 'retry-after': '2' }, body: { error: { code: 'service_unavailable' } } });
    expect(await itemsOf('wh-500')).toEqual([]);
  });

  it('once DynamoDB has capacity again, the same request succeeds', async () => {
    answer = fixture.provisionedThroughputExceeded;
    expect((await put('wh-later')).status).toBe(503);
    answer = undefined;
    expect(await put('wh-later')).toMatchObject({ status: 201, body: { locationId: 'wh-later', version: 1 } });
  });
});
