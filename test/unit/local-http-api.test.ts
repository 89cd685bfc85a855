import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalHttpApi } from '#infra/local/http-api.ts';

/**
 * Requests Node's HTTP parser refuses before any route runs (a control
 * character in a header value, say in an Idempotency-Key) are answered by
 * the local runtime with the OMS error body, not Node's empty 400.
 */
let port: number;
let invoked = 0;
const { server } = createLocalHttpApi(async () => {
  invoked++;
  return { statusCode: 200, body: '{}' };
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Sends bytes as they are (fetch would refuse to send such a header) and reads the whole answer. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.from(request, 'latin1')));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe('the local HTTP API, for requests the HTTP parser refuses', () => {
  it.each([
    ['a control character in the Idempotency-Key', 'Idempotency-Key: till\u0001-42\r\n'],
    ['a NUL in a header value', 'Idempotency-Key: till\u0000-42\r\n'],
    ['a bare line feed in a header value', 'Idempotency-Key: till\n-42\r\n'],
  ])('answers %s with a 400 and the JSON error body', async (_case, header) => {
    const before = invoked;
    const answer = await raw(`POST /v1/orders HTTP/1.1\r\nHost: localhost\r\n${header}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/\r\ncontent-type: application\/json(\r\n|$)/i);
    expect(head).toMatch(/\r\nconnection: close(\r\n|$)/i);
    expect(JSON.parse(body)).toEqual({
      error: { code: 'malformed_request', message: expect.stringMatching(/not valid HTTP/), details: [], correlationId: expect.any(String) },
    });
    expect(invoked).toBe(before);
  });
});
