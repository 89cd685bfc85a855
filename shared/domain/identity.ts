import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { ForbiddenError } from './errors.ts';

/**
 * Who may call the OMS API, and what for (docs/security.md "Identities and
 * scopes"). A caller is a principal — the bootstrap token, an API key, or a
 * signed-in user — holding scopes; `orders:write` may be limited to named
 * channels and `fulfillment:report` to named locations.
 */

export const SCOPES = ['admin', 'read', 'orders:write', 'fulfillment:report'] as const;
export const Scope = z.enum(SCOPES).meta({
  description: '`admin`: everything. `read`: every GET. `orders:write`: place, edit and cancel orders (of `channels` only, when given). `fulfillment:report`: report fulfillment progress and shipments (of `locations` only, when given).',
});
export type Scope = z.infer<typeof Scope>;

export interface Principal {
  /** What timelines and audit records name: `bootstrap`, `key:<keyId>`, `user:<sub>`, `wms:<wmsId>` (a report on the bus), or `public` for unauthenticated routes. */
  id: string;
  kind: 'bootstrap' | 'key' | 'user' | 'wms' | 'public';
  scopes: readonly Scope[];
  /** Channels an `orders:write` principal may act for; absent: all. */
  channels?: readonly string[] | undefined;
  /** Locations a `fulfillment:report` principal may report for; absent: all. */
  locations?: readonly string[] | undefined;
}

export const BOOTSTRAP_PRINCIPAL: Principal = { id: 'bootstrap', kind: 'bootstrap', scopes: ['admin'] };
export const PUBLIC_PRINCIPAL: Principal = { id: 'public', kind: 'public', scopes: [] };

/** `admin` holds every scope; any other scope only itself. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

/** 403 `forbidden` naming the scope the principal lacks. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (hasScope(principal, scope)) return;
  throw new ForbiddenError(`This operation needs the scope "${scope}"; ${principal.id} has ${principal.scopes.length ? principal.scopes.map((s) => `"${s}"`).join(', ') : 'none'}`, [
    { path: 'scope', message: `Requires scope "${scope}"`, code: 'missing_scope' },
  ]);
}

/** 403 unless the principal may write orders of `channelId` (admin, or orders:write without or within its channel limit). */
export function requireChannel(principal: Principal, channelId: string): void {
  requireScope(principal, 'orders:write');
  if (principal.scopes.includes('admin') || !principal.channels || principal.channels.includes(channelId)) return;
  throw new ForbiddenError(`${principal.id} may write orders of channels ${principal.channels.join(', ')} only, not ${channelId}`, [
    { path: 'channelId', message: `Channel ${channelId} is outside this key's channels`, code: 'channel_not_allowed' },
  ]);
}

/** 403 unless the principal may report fulfillment at `locationId` (admin, or fulfillment:report without or within its location limit). */
export function requireLocation(principal: Principal, locationId: string): void {
  requireScope(principal, 'fulfillment:report');
  if (principal.scopes.includes('admin') || !principal.locations || principal.locations.includes(locationId)) return;
  throw new ForbiddenError(`${principal.id} may report for locations ${principal.locations.join(', ')} only, not ${locationId}`, [
    { path: 'locationId', message: `Location ${locationId} is outside this key's locations`, code: 'location_not_allowed' },
  ]);
}

/** Cognito (or local) user groups and the scopes each grants. */
export const GROUP_SCOPES = {
  admin: ['admin'],
  operations: ['orders:write', 'fulfillment:report', 'read'],
  analyst: ['read'],
} as const satisfies Record<string, readonly Scope[]>;
export type UserGroup = keyof typeof GROUP_SCOPES;

/** The union of the scopes of the known groups among `groups`; unknown groups grant nothing. */
export function scopesOfGroups(groups: readonly string[]): Scope[] {
  const scopes = new Set<Scope>();
  for (const group of groups) {
    if (Object.hasOwn(GROUP_SCOPES, group)) for (const scope of GROUP_SCOPES[group as UserGroup]) scopes.add(scope);
  }
  return [...scopes];
}

// ---- API keys ----

const KEY_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const KEY_FORM = /^oms_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

/** A new key's secret: `oms_<keyId>_<43 base64url characters: 256 random bits>`, so the key id is readable in logs and lists. */
export function newKeySecret(keyId: string, random: Buffer = randomBytes(32)): string {
  if (!KEY_ID.test(keyId)) throw new Error(`Not a key id: ${keyId}`);
  return `oms_${keyId}_${random.toString('base64url')}`;
}

/** The key id of a secret in the API key form, or undefined for anything else. */
export function keyIdOf(secret: string): string | undefined {
  return KEY_FORM.exec(secret)?.[1];
}

/** What is stored instead of the secret: SHA-256 (hex). The secret has 256 random bits, so a fast hash is enough. */
export function hashKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashKeySecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

const LimitId = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'Expected an id (letters, digits, . _ : -)');

export const ApiKeyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).meta({ description: 'Who or what holds the key (a till, a WMS, a person).', example: 'Till 3, Berlin store' }),
    scopes: z.array(Scope).min(1).max(4).refine((s) => new Set(s).size === s.length, 'Each scope once'),
    channels: z.array(LimitId).min(1).max(100).optional().meta({ description: 'With `orders:write`: the channels the key may write orders for. Absent: all.' }),
    locations: z.array(LimitId).min(1).max(100).optional().meta({ description: 'With `fulfillment:report`: the locations the key may report for. Absent: all.' }),
    expiresAt: z.iso.datetime().optional().meta({ description: 'The key stops working at this instant.' }),
  })
  .superRefine((input, ctx) => {
    if (input.channels && !input.scopes.includes('orders:write')) {
      ctx.addIssue({ code: 'custom', path: ['channels'], message: 'channels limits the orders:write scope, which the key does not have' });
    }
    if (input.locations && !input.scopes.includes('fulfillment:report')) {
      ctx.addIssue({ code: 'custom', path: ['locations'], message: 'locations limits the fulfillment:report scope, which the key does not have' });
    }
    if (input.scopes.includes('admin') && (input.channels || input.locations)) {
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'An admin key cannot be limited to channels or locations: give it orders:write or fulfillment:report instead' });
    }
  })
  .meta({ id: 'ApiKeyInput' });
export type ApiKeyInput = z.infer<typeof ApiKeyInput>;

/** A key as listed: never its secret, nor the hash. */
export const ApiKey = z
  .object({
    keyId: z.string(),
    name: z.string(),
    scopes: z.array(Scope),
    channels: z.array(z.string()).optional(),
    locations: z.array(z.string()).optional(),
    status: z.enum(['active', 'revoked', 'expired']),
    createdAt: z.iso.datetime(),
    createdBy: z.string().meta({ description: 'The principal that created the key.' }),
    expiresAt: z.iso.datetime().optional(),
    revokedAt: z.iso.datetime().optional(),
    revokedBy: z.string().optional(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKey>;

/** The stored record: the listed fields, the secret's hash and a version. */
export const StoredApiKey = z.object({
  keyId: z.string(),
  name: z.string(),
  scopes: z.array(Scope),
  channels: z.array(z.string()).optional(),
  locations: z.array(z.string()).optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  /** The key's `expiresAt` (stored under another name: `expiresAt` is the table's TTL attribute, which would delete the record). */
  notAfter: z.string().optional(),
  revokedAt: z.string().optional(),
  revokedBy: z.string().optional(),
  secretHash: z.string(),
  version: z.number().int(),
});
export type StoredApiKey = z.infer<typeof StoredApiKey>;

export function keyStatus(key: StoredApiKey, now: Date): ApiKey['status'] {
  if (key.revokedAt) return 'revoked';
  if (key.notAfter && Date.parse(key.notAfter) <= now.getTime()) return 'expired';
  return 'active';
}

export function publicKey(key: StoredApiKey, now: Date): ApiKey {
  const { secretHash: _hash, version: _version, notAfter, ...rest } = key;
  return { ...rest, ...(notAfter ? { expiresAt: notAfter } : {}), status: keyStatus(key, now) };
}

/** The principal a stored key stands for (the caller has checked it is active). */
export function keyPrincipal(key: StoredApiKey): Principal {
  return { id: `key:${key.keyId}`, kind: 'key', scopes: key.scopes, channels: key.channels, locations: key.locations };
}
