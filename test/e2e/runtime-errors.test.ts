import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { DynamoLocationRepository } from '#shared/store/location-repository.ts';
import { locationBody } from '../support/fixtures.ts';

/**
 * What the local runtime answers and logs when a request cannot be served:
 * a path that is not valid percent-encoding is a 400 with the OMS error body
 * (not a 500), and a 500 is logged under the function that failed with the
 * correlation id the client was given, even while other functions run
 * concurrently in the same process.
 */
let oms: RunningOms;
const TOKEN = 'e2e-token-0123456789abcdef';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
/** Every line the process writes while the runtime runs (handlers log JSON to stdout, the runtime to console.error). */
const written: string[] = [];

beforeAll(async () => {
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-e2e-${randomUUID()}`,
    apiToken: TOKEN,
    logLevel: 'ERROR',
    schedules: false,
    queueBatchingWindowMs: 50,
  });
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      written.push(...String(chunk).split('\n').filter(Boolean));
      return write(chunk, ...rest);
    });
  }
  // The runtime's own log (infra/local/log.ts) goes through console.error.
  const error = console.error.bind(console);
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    written.push(args.map(String).join(' '));
    error(...args);
  });
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await oms?.stop();
});

const jsonLines = (): Record<string, unknown>[] =>
  written.flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line);
      return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });

describe('paths that are not valid percent-encoding', () => {
  it.each(['/v1/locations/%', '/v1/orders/%E0%A4%A', '/v1/locations/%zz', '/v1/%ff/x'])('%s is a 400 with the OMS error body', async (path) => {
    const response = await fetch(`${oms.url}${path}`, { headers: { ...headers, 'x-correlation-id': 'corr-bad-path' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-correlation-id')).toBe('corr-bad-path');
    expect(await response.json()).toMatchObject({
      error: { code: 'malformed_request', message: expect.any(String), details: [expect.objectContaining({ in: 'path' })], correlationId: 'corr-bad-path' },
    });
  });

  it('a well-formed encoded path still reaches its route', async () => {
    const response = await fetch(`${oms.url}/v1/locations/%E2%82%AC-x`, { headers });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('a 500 in the local runtime', () => {
  it('is logged under the function that failed, with the correlation id the client got, while other functions run', async () => {
    const read = DynamoLocationRepository.prototype.get;
    const failing = vi.spyOn(DynamoLocationRepository.prototype, 'get').mockImplementation(async function (this: DynamoLocationRepository, locationId: string) {
      if (!locationId.startsWith('boom-')) return read.call(this, locationId);
      // Long enough for other invocations to start and finish meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new Error(`forced failure of ${locationId}`);
    });
    try {
      // Writes start the outbox pipe, the bus and workflows (publishOutboxEvents, assessLocationReadiness, …) in this process.
      const busy = Array.from({ length: 12 }, (_, i) => fetch(`${oms.url}/v1/locations/busy-${i}`, { method: 'PUT', headers, body: JSON.stringify(locationBody()) }));
      const failures = Array.from({ length: 6 }, (_, i) =>
        fetch(`${oms.url}/v1/locations/boom-${i}`, { headers: { ...headers, 'x-correlation-id': `corr-boom-${i}` } }).then(async (response) => ({
          i,
          status: response.status,
          header: response.headers.get('x-correlation-id'),
          body: (await response.json()) as { error: { code: string; correlationId: string } },
        })),
      );
      const answers = await Promise.all(failures);
      expect((await Promise.all(busy)).map((r) => r.status)).toEqual(Array(12).fill(201));
      await oms.settle();
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: 500, header: `corr-boom-${answer.i}`, body: { error: { code: 'internal_error', correlationId: `corr-boom-${answer.i}` } } });
        const logged = jsonLines().filter((line) => JSON.stringify(line['error'] ?? '').includes(`forced failure of boom-${answer.i}`));
        expect(logged, `log of boom-${answer.i}`).toHaveLength(1);
        expect(logged[0], `log of boom-${answer.i}`).toMatchObject({ level: 'ERROR', function_name: 'oms-local-getLocation', correlation_id: `corr-boom-${answer.i}` });
      }
    } finally {
      failing.mockRestore();
    }
  });

  it('that escapes the handler (a crash, a timeout) is logged by the runtime with the function and the correlation id, which the answer carries', async () => {
    const invoke = vi.spyOn(oms.lambdas, 'invoke').mockRejectedValueOnce(new Error('Task timed out after 10 seconds (getLocation)'));
    try {
      const response = await fetch(`${oms.url}/v1/locations/crash-1`, { headers: { ...headers, 'x-correlation-id': 'corr-crash-1' } });
      expect(response.status).toBe(500);
      expect(response.headers.get('x-correlation-id')).toBe('corr-crash-1');
      expect(await response.json()).toMatchObject({ error: { code: 'internal_error', correlationId: 'corr-crash-1' } });
      const logged = written.filter((line) => line.includes('Task timed out after 10 seconds (getLocation)'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('getLocation');
      expect(logged[0]).toContain('corr-crash-1');
    } finally {
      invoke.mockRestore();
    }
  });
});
