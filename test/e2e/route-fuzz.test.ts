import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { fuzzRoutes, v1Routes } from '../../bench/route-fuzz.ts';

/**
 * Every /v1 route of the contract, fuzzed from the operations table
 * (bench/route-fuzz.ts; `npm run chaos -- --fuzz` runs 10,000 cases per
 * route): whatever the path parameters, query, headers and body, never a 5xx,
 * and a 4xx writes nothing.
 */
let oms: RunningOms;
const TOKEN = 'route-fuzz-token-0123456789abcdef';

beforeAll(async () => {
  oms = await startOms({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName: `oms-route-fuzz-${randomUUID()}`, apiToken: TOKEN, logLevel: 'CRITICAL', schedules: false });
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('route fuzzer', () => {
  it('covers every /v1 operation', () => {
    expect(v1Routes().length).toBeGreaterThan(40);
  });

  it('never answers 5xx and never writes on a 4xx, over 50 drawn requests per route', async () => {
    const result = await fuzzRoutes({ token: TOKEN, casesPerRoute: 50, seed: 12 });
    expect(result.routes).toBe(v1Routes().length);
    expect(result.findings).toEqual([]);
    expect(result.serverErrors).toBe(0);
    expect(result.partialWrites).toBe(0);
  }, 240_000);
});
