import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { locationBody } from '../support/fixtures.ts';

/**
 * API keys and local users in the whole local runtime, over HTTP: what an
 * integrator and the operations console see.
 */
let oms: RunningOms;
const ANALYST_TOKEN = 'analyst-local-token-0123456789abcdef';
let api: (method: string, path: string, body?: unknown, token?: string) => Promise<{ status: number; body: Record<string, unknown> }>;

beforeAll(async () => {
  process.env['OMS_LOCAL_USERS'] = JSON.stringify([{ username: 'ana', groups: ['analyst'], token: ANALYST_TOKEN }]);
  oms = await startOms({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName: `oms-e2e-${randomUUID()}`, apiToken: 'e2e-token-0123456789abcdef', logLevel: 'ERROR' });
  api = async (method, path, body, token = oms.apiToken) => {
    const response = await fetch(`${oms.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
});

afterAll(async () => {
  await oms?.stop();
  delete process.env['OMS_LOCAL_USERS'];
});

describe('identities in the local runtime', () => {
  it('an admin creates a read key; it reads, cannot write (403), is named nowhere but in the list, and is refused once revoked', async () => {
    expect((await api('PUT', '/v1/locations/wh-id', locationBody())).status).toBe(201);
    const created = await api('POST', '/v1/api-keys', { name: 'Dashboard', scopes: ['read'] });
    expect(created.status).toBe(201);
    const secret = created.body['secret'] as string;
    const keyId = (created.body['key'] as { keyId: string }).keyId;
    expect(secret.startsWith(`oms_${keyId}_`)).toBe(true);

    expect(await api('GET', '/v1/locations/wh-id', undefined, secret)).toMatchObject({ status: 200, body: { locationId: 'wh-id' } });
    expect(await api('PUT', '/v1/locations/wh-id', locationBody({ name: 'x' }), secret)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await api('GET', '/v1/locations/wh-id')).body).toMatchObject({ version: 1 });

    const listed = await api('GET', '/v1/api-keys');
    expect(listed.body['items']).toEqual([expect.objectContaining({ keyId, status: 'active', createdBy: 'bootstrap' })]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    expect((await api('DELETE', `/v1/api-keys/${keyId}`)).body).toMatchObject({ status: 'revoked' });
    expect(await api('GET', '/v1/locations/wh-id', undefined, secret)).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  });

  it('a local analyst user reads but may not manage keys or change anything', async () => {
    expect((await api('GET', '/v1/locations', undefined, ANALYST_TOKEN)).status).toBe(200);
    expect(await api('POST', '/v1/api-keys', { name: 'Escalate', scopes: ['admin'] }, ANALYST_TOKEN)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await api('PUT', '/v1/locations/wh-ana', locationBody(), ANALYST_TOKEN)).status).toBe(403);
    expect((await api('GET', '/v1/locations', undefined, 'not-a-user-token-0123456789abcdef')).status).toBe(401);
  });
});
