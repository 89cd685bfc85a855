import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { locationBody, shopifyChannelBody } from '../support/fixtures.ts';

/**
 * The local runtime booted in this process (sharing the run's DynamoDB Local,
 * with its own table) and spoken to over HTTP, like a merchant would.
 */
let oms: RunningOms;
let api: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; headers: Headers; body: unknown }>;

beforeAll(async () => {
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-e2e-${randomUUID()}`,
    apiToken: 'e2e-token-0123456789abcdef',
    logLevel: 'ERROR',
  });
  api = async (method, path, body, headers = { authorization: `Bearer ${oms.apiToken}` }) => {
    const response = await fetch(`${oms.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
});

afterAll(async () => {
  await oms?.stop();
});

describe('the local OMS over HTTP', () => {
  it('answers /health without a token and serves its OpenAPI document', async () => {
    expect(await api('GET', '/health', undefined, {})).toMatchObject({ status: 200, body: { status: 'ok' } });
    const openapi = await api('GET', '/openapi.json', undefined, {});
    expect(openapi).toMatchObject({ status: 200, body: { openapi: '3.1.0' } });
    expect(Object.keys((openapi.body as { paths: object }).paths)).toContain('/v1/locations/{locationId}');
  });

  it('answers unknown routes with the OMS error body', async () => {
    expect(await api('GET', '/v1/nowhere')).toMatchObject({ status: 404, body: { error: { code: 'route_not_found' } } });
    expect(await api('DELETE', '/v1/locations/x')).toMatchObject({ status: 404, body: { error: { code: 'route_not_found' } } });
  });

  it('creates and reads locations and channels with the token', async () => {
    expect(await api('PUT', '/v1/locations/store-soho', locationBody({ name: 'SoHo store', type: 'store', capabilities: ['ship', 'pickup'] }))).toMatchObject({
      status: 201,
      body: { locationId: 'store-soho', capabilities: ['pickup', 'ship'] },
    });
    expect(await api('GET', '/v1/locations/store-soho')).toMatchObject({ status: 200, body: { name: 'SoHo store' } });
    expect(await api('PUT', '/v1/channels/shopify-us', shopifyChannelBody())).toMatchObject({ status: 201, body: { secretsConfigured: ['webhookSecret'] } });
    const channels = await api('GET', '/v1/channels');
    expect(channels.status).toBe(200);
    expect(JSON.stringify(channels.body)).not.toContain('shpss_super_secret_value_0123456789abcdef');
    expect((await api('GET', '/v1/locations')).body).toMatchObject({ items: [{ locationId: 'store-soho' }] });
  });

  it('refuses bad input with the right status and the OMS error body', async () => {
    const cases: [string, Promise<{ status: number; body: unknown }>, number][] = [
      ['no token', api('GET', '/v1/locations', undefined, {}), 401],
      ['malformed JSON', api('PUT', '/v1/locations/x', '{"name":'), 400],
      ['schema violation', api('PUT', '/v1/locations/x', { name: 'x' }), 422],
      ['unknown location', api('GET', '/v1/locations/unknown'), 404],
      ['type change', api('PUT', '/v1/channels/shopify-us', { type: 'web', name: 'x', settings: {} }), 409],
      ['stale If-Match', api('PUT', '/v1/locations/store-soho', locationBody(), { authorization: `Bearer ${oms.apiToken}`, 'if-match': '"42"' }), 412],
      ['body over 1 MB', api('PUT', '/v1/locations/x', { ...locationBody(), name: 'y'.repeat(1_100_000) }), 413],
      ['body over the gateway limit', api('PUT', '/v1/locations/x', 'z'.repeat(11 * 1024 * 1024)), 413],
    ];
    for (const [name, request, status] of cases) {
      const response = await request;
      expect(response.status, name).toBe(status);
      expect(response.body, name).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) } });
    }
    expect(await api('GET', '/v1/locations/x')).toMatchObject({ status: 404 });
  });
});

describe('events, workflows, mail and schedules', () => {
  it('publishes each change through the outbox and runs the readiness workflow on it', async () => {
    const { geo: _geo, ...noGeo } = locationBody({ name: 'Pop-up' });
    await api('PUT', '/v1/locations/popup-1', noGeo, { authorization: `Bearer ${oms.apiToken}`, 'x-correlation-id': 'corr-popup-1' });
    await api('PUT', '/v1/locations/wh-ready', locationBody({ name: 'Ready DC' }));
    await oms.settle();

    const popup = await api('GET', '/v1/locations/popup-1');
    expect(popup.body).toMatchObject({ readiness: { status: 'needs_attention', checkedVersion: 1, problems: [{ code: 'no_geo' }] } });
    expect((await api('GET', '/v1/locations/wh-ready')).body).toMatchObject({ readiness: { status: 'ready' } });

    const archived = oms.events.list().filter((e) => e['detail-type'] === 'LocationChanged');
    const popupEvent = archived.find((e) => (e.detail as { data: { location: { locationId: string } } }).data.location.locationId === 'popup-1');
    expect(popupEvent?.detail).toMatchObject({ metadata: { correlationId: 'corr-popup-1', actor: 'bootstrap' } });

    const mails = oms.mail.list().filter((m) => m.tags['locationId'] === 'popup-1');
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: ['ops@localhost.test'], subject: expect.stringContaining('needs attention') });
    expect(oms.mail.list().filter((m) => m.tags['locationId'] === 'wh-ready')).toHaveLength(0);
    expect(oms.workflows.executions.filter((e) => e.status === 'FAILED')).toEqual([]);
    expect(oms.deadLetters.list()).toEqual([]);
  });

  it('fixing the location re-assesses it, and a stale assessment never overwrites a newer one', async () => {
    await api('PUT', '/v1/locations/popup-1', locationBody({ name: 'Pop-up' }));
    await oms.settle();
    expect((await api('GET', '/v1/locations/popup-1')).body).toMatchObject({ version: 2, readiness: { status: 'ready', checkedVersion: 2 } });
  });

  it('sends the operations digest when its schedule fires', async () => {
    expect(await oms.scheduler.runNow('OpsDigest')).toBe(true);
    const digest = oms.mail.list().find((m) => m.tags['template'] === 'ops-digest');
    expect(digest?.subject).toMatch(/locations ready, 1 channels active/);
    expect(digest?.text).toContain('Channels: 1 active (shopify 1)');
  });
});
