import { createSign, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ForbiddenError, UnauthorizedError } from '#shared/domain/errors.ts';
import {
  ApiKeyInput,
  hashKeySecret,
  hasScope,
  keyIdOf,
  keyStatus,
  newKeySecret,
  publicKey,
  requireChannel,
  requireLocation,
  requireScope,
  scopesOfGroups,
  secretMatches,
  type Principal,
  type StoredApiKey,
} from '#shared/domain/identity.ts';
import { newId } from '#shared/domain/ids.ts';
import { cognitoJwtVerifier, principalResolver } from '#shared/http/auth.ts';
import { defineOperation, requiredScope } from '#shared/http/operation.ts';
import { operations } from '#shared/http/operations.ts';

const BOOTSTRAP = 'bootstrap-token-0123456789abcdef';
const env = { OMS_API_TOKEN: BOOTSTRAP };

describe('scopes', () => {
  const principal = (scopes: Principal['scopes'], limits: Partial<Principal> = {}): Principal => ({ id: 'key:X', kind: 'key', scopes, ...limits });

  it('admin holds every scope; any other scope only itself', () => {
    for (const scope of ['admin', 'read', 'orders:write', 'fulfillment:report'] as const) expect(hasScope(principal(['admin']), scope)).toBe(true);
    expect(hasScope(principal(['read']), 'read')).toBe(true);
    expect(hasScope(principal(['read']), 'orders:write')).toBe(false);
    expect(hasScope(principal(['orders:write']), 'read')).toBe(false);
  });

  it('a missing scope is a ForbiddenError naming it', () => {
    expect(() => requireScope(principal(['read']), 'admin')).toThrow(ForbiddenError);
    expect(() => requireScope(principal(['read']), 'admin')).toThrow(/"admin"/);
  });

  it('channel and location limits: inside passes, outside is 403, no limit or admin passes everything', () => {
    const till = principal(['orders:write'], { channels: ['web-1'] });
    expect(() => requireChannel(till, 'web-1')).not.toThrow();
    expect(() => requireChannel(till, 'pos-2')).toThrow(/pos-2/);
    expect(() => requireChannel(principal(['orders:write']), 'pos-2')).not.toThrow();
    expect(() => requireChannel(principal(['admin']), 'pos-2')).not.toThrow();
    expect(() => requireChannel(principal(['read']), 'web-1')).toThrow(/"orders:write"/);
    const wms = principal(['fulfillment:report'], { locations: ['wh-a'] });
    expect(() => requireLocation(wms, 'wh-a')).not.toThrow();
    expect(() => requireLocation(wms, 'wh-b')).toThrow(ForbiddenError);
  });

  it('groups map to scopes; unknown groups grant nothing', () => {
    expect(scopesOfGroups(['admin'])).toEqual(['admin']);
    expect(scopesOfGroups(['operations']).sort()).toEqual(['fulfillment:report', 'orders:write', 'read']);
    expect(scopesOfGroups(['analyst', 'analyst'])).toEqual(['read']);
    expect(scopesOfGroups(['toString', '__proto__', 'everyone'])).toEqual([]);
  });

  it('operations default to read for GET and admin otherwise; the order and fulfillment routes declare theirs', () => {
    expect(requiredScope({ method: 'GET' })).toBe('read');
    expect(requiredScope({ method: 'POST' })).toBe('admin');
    expect(requiredScope(operations.putLocation)).toBe('admin');
    expect(requiredScope(operations.getOrder)).toBe('read');
    expect(requiredScope(operations.placeOrder)).toBe('orders:write');
    expect(requiredScope(operations.editOrder)).toBe('orders:write');
    expect(requiredScope(operations.cancelOrder)).toBe('orders:write');
    expect(requiredScope(operations.postFulfillmentEvent)).toBe('fulfillment:report');
    expect(requiredScope(operations.recordShipment)).toBe('fulfillment:report');
    expect(requiredScope(operations.listApiKeys)).toBe('admin');
    expect(operations.getOrder.errors).toContain(403);
    const open = defineOperation({ operationId: 'x', method: 'POST', path: '/x', auth: 'none', summary: 'x', tags: [], responses: {}, errors: [] });
    expect(open.errors).not.toContain(403);
  });
});

describe('API key secrets', () => {
  it('have the form oms_<keyId>_<43 base64url characters>, the key id readable back', () => {
    const keyId = newId();
    const secret = newKeySecret(keyId);
    expect(secret).toMatch(/^oms_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
    expect(keyIdOf(secret)).toBe(keyId);
    expect(newKeySecret(keyId)).not.toBe(secret);
    for (const other of ['oms_', `oms_${keyId}`, `oms_${keyId}_short`, `xoms_${keyId}_${'A'.repeat(43)}`, `oms_${keyId.toLowerCase()}_${'A'.repeat(43)}`]) expect(keyIdOf(other)).toBeUndefined();
    expect(() => newKeySecret('not-a-ulid')).toThrow();
  });

  it('are stored as SHA-256 and compared by hash', () => {
    const secret = newKeySecret(newId(), Buffer.alloc(32, 7));
    expect(hashKeySecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(secretMatches(secret, hashKeySecret(secret))).toBe(true);
    expect(secretMatches(`${secret}x`, hashKeySecret(secret))).toBe(false);
    expect(secretMatches(secret, 'abcd')).toBe(false);
  });

  it('status: revoked, expired or active; the listed form has no hash', () => {
    const key: StoredApiKey = { keyId: newId(), name: 'k', scopes: ['read'], createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'bootstrap', secretHash: 'ab', version: 1, notAfter: '2026-06-01T00:00:00.000Z' };
    expect(keyStatus(key, new Date('2026-05-01T00:00:00Z'))).toBe('active');
    expect(keyStatus(key, new Date('2026-06-01T00:00:00Z'))).toBe('expired');
    expect(keyStatus({ ...key, revokedAt: '2026-02-01T00:00:00.000Z' }, new Date('2026-01-02T00:00:00Z'))).toBe('revoked');
    const listed = publicKey(key, new Date('2026-05-01T00:00:00Z'));
    expect(listed).toMatchObject({ expiresAt: key.notAfter, status: 'active' });
    expect(listed).not.toHaveProperty('secretHash');
    expect(listed).not.toHaveProperty('notAfter');
  });

  it('input: limits only with the scope they limit, never on admin', () => {
    expect(ApiKeyInput.safeParse({ name: 'Till', scopes: ['orders:write'], channels: ['pos-2'] }).success).toBe(true);
    expect(ApiKeyInput.safeParse({ name: 'x', scopes: ['read', 'read'] }).success).toBe(false);
    expect(ApiKeyInput.safeParse({ name: 'x', scopes: ['admin', 'orders:write'], channels: ['web-1'] }).success).toBe(false);
    expect(ApiKeyInput.safeParse({ name: 'x', scopes: ['fulfillment:report'], locations: ['a#b'] }).success).toBe(false);
  });
});

describe('principalResolver', () => {
  const keyId = newId();
  const secret = newKeySecret(keyId);
  const stored: StoredApiKey = { keyId, name: 'WMS', scopes: ['fulfillment:report'], locations: ['wh-a'], createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'bootstrap', secretHash: hashKeySecret(secret), version: 1 };
  const resolve = principalResolver({ apiKey: async (id) => (id === keyId ? stored : undefined) }, env);

  it('the bootstrap token is the admin principal `bootstrap`', async () => {
    await expect(resolve(`Bearer ${BOOTSTRAP}`)).resolves.toMatchObject({ id: 'bootstrap', scopes: ['admin'] });
  });

  it('an API key is `key:<keyId>` with its scopes and limits', async () => {
    await expect(resolve(`Bearer ${secret}`)).resolves.toEqual({ id: `key:${keyId}`, kind: 'key', scopes: ['fulfillment:report'], channels: undefined, locations: ['wh-a'] });
  });

  it('anything else is 401', async () => {
    for (const header of [undefined, '', 'Bearer', `Basic ${BOOTSTRAP}`, 'Bearer nope', `Bearer ${newKeySecret(newId())}`, `Bearer ${secret.slice(0, -2)}AA`]) {
      await expect(resolve(header), String(header)).rejects.toBeInstanceOf(UnauthorizedError);
    }
  });

  it('local users: their token is `user:<username>` with the scopes of their groups', async () => {
    const users = [{ username: 'ana', groups: ['operations'], token: 'ana-local-token-0123456789abcdefgh' }];
    const local = principalResolver({ apiKey: async () => undefined }, { ...env, OMS_LOCAL_USERS: JSON.stringify(users) });
    const ana = await local('Bearer ana-local-token-0123456789abcdefgh');
    expect(ana).toMatchObject({ id: 'user:ana', kind: 'user' });
    expect([...ana.scopes].sort()).toEqual(['fulfillment:report', 'orders:write', 'read']);
    await expect(local(`Bearer ${BOOTSTRAP}`)).resolves.toMatchObject({ id: 'bootstrap' });
    expect(() => principalResolver({ apiKey: async () => undefined }, { ...env, OMS_LOCAL_USERS: JSON.stringify([{ username: 'bob', groups: ['root'], token: 'short' }]) })).toThrow();
  });

  it('a Cognito access token of the pool is `user:<sub>` with its groups\' scopes; a forged or foreign one is 401', async () => {
    const { privateKey, publicKey: jwk } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const userPoolId = 'eu-west-1_TestPool1';
    const clientId = 'console-client-id';
    const issuer = `https://cognito-idp.eu-west-1.amazonaws.com/${userPoolId}`;
    const kid = 'test-key-1';
    const jwks = { keys: [{ ...(jwk.export({ format: 'jwk' }) as Record<string, string>), kid, alg: 'RS256', use: 'sig' }] };
    const sign = (claims: Record<string, unknown>, key = privateKey) => {
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = `${encode({ alg: 'RS256', kid, typ: 'JWT' })}.${encode(claims)}`;
      return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url')}`;
    };
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'user-123', iss: issuer, client_id: clientId, token_use: 'access', exp: now + 600, iat: now, 'cognito:groups': ['analyst'] };
    const jwt = cognitoJwtVerifier({ OMS_COGNITO_USER_POOL_ID: userPoolId, OMS_COGNITO_CLIENT_ID: clientId }, jwks as never);
    const resolveUser = principalResolver({ apiKey: async () => undefined, jwt }, env);

    await expect(resolveUser(`Bearer ${sign(claims)}`)).resolves.toEqual({ id: 'user:user-123', kind: 'user', scopes: ['read'] });
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    for (const token of [sign(claims, stranger), sign({ ...claims, exp: now - 10 }), sign({ ...claims, client_id: 'other' }), sign({ ...claims, iss: 'https://example.com' })]) {
      await expect(resolveUser(`Bearer ${token}`)).rejects.toBeInstanceOf(UnauthorizedError);
    }
    expect(cognitoJwtVerifier({})).toBeUndefined();
  });
});
