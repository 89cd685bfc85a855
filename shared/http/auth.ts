import { createHash, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import * as z from 'zod';
import { awsClientConfig } from '#shared/adapters/aws-clients.ts';
import { readConfig } from '#shared/config.ts';
import { UnauthorizedError } from '#shared/domain/errors.ts';
import { BOOTSTRAP_PRINCIPAL, keyIdOf, keyPrincipal, keyStatus, type Principal, scopesOfGroups, secretMatches, type StoredApiKey } from '#shared/domain/identity.ts';

/**
 * Bearer-token check for the admin/REST API, done in the function rather than
 * by an API Gateway authorizer: every 401 then carries the OMS error body
 * (HTTP API authorizers answer with their own), and no authorizer invocation
 * is billed per request. See docs/operations.md for swapping in a JWT
 * authorizer (Cognito, SSO).
 *
 * The expected token comes from OMS_API_TOKEN (local runtime) or from the
 * Secrets Manager secret named by OMS_API_TOKEN_SECRET_ID (AWS), cached for
 * five minutes so a rotation takes effect without a deploy.
 */
const CACHE_MS = 5 * 60 * 1000;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export type TokenVerifier = (authorization: string | undefined) => Promise<void>;

/**
 * Reads the token configuration (failing at cold start if it is missing) and
 * returns the check: it throws UnauthorizedError unless `authorization` is
 * `Bearer <the API token>`, comparing digests in constant time.
 */
export function bearerTokenVerifier(env: Record<string, string | undefined> = process.env): TokenVerifier {
  const config = readConfig(
    {
      OMS_API_TOKEN: z.string().min(16).optional(),
      OMS_API_TOKEN_SECRET_ID: z.string().min(1).optional(),
    },
    env,
  );
  if (!config.OMS_API_TOKEN && !config.OMS_API_TOKEN_SECRET_ID) {
    throw new Error('Invalid configuration: set OMS_API_TOKEN or OMS_API_TOKEN_SECRET_ID');
  }
  let cached: { digest: Buffer; until: number } | undefined;
  let secrets: SecretsManagerClient | undefined;

  const expectedDigest = async (): Promise<Buffer> => {
    if (config.OMS_API_TOKEN) return digest(config.OMS_API_TOKEN);
    if (cached && cached.until > Date.now()) return cached.digest;
    secrets ??= new SecretsManagerClient(awsClientConfig('secrets-manager'));
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: config.OMS_API_TOKEN_SECRET_ID }));
    if (!SecretString) throw new Error('The API token secret has no string value');
    cached = { digest: digest(SecretString), until: Date.now() + CACHE_MS };
    return cached.digest;
  };

  return async (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw new UnauthorizedError('Send the API token as "Authorization: Bearer <token>"');
    if (!timingSafeEqual(digest(match[1]), await expectedDigest())) {
      throw new UnauthorizedError('The API token is not valid');
    }
  };
}

/** How long a container keeps an API key record it read: a revocation reaches every container within this. */
export const API_KEY_CACHE_MS = 30 * 1000;
const keyCache = new Map<string, { key: StoredApiKey; until: number }>();

/** Drops a key from this container's cache (the revoking container sees its revocation at once). */
export function forgetApiKey(keyId: string): void {
  keyCache.delete(keyId);
}

export interface PrincipalSources {
  /** Reads an API key record (the table); only called for a token in the `oms_<keyId>_<secret>` form. */
  apiKey: (keyId: string) => Promise<StoredApiKey | undefined>;
  /** Verifies a JWT of the user pool and answers its subject and groups; absent when no user pool is configured. */
  jwt?: ((token: string) => Promise<{ sub: string; groups: string[] }>) | undefined;
  now?: () => Date;
}

export type PrincipalResolver = (authorization: string | undefined) => Promise<Principal>;

const LocalUsers = z.array(
  z.strictObject({
    username: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
    groups: z.array(z.enum(['admin', 'operations', 'analyst'])).min(1),
    token: z.string().min(32),
  }),
);

/**
 * Who is calling, from `Authorization: Bearer <credential>`, where the
 * credential is, in this order: an API key (`oms_<keyId>_<secret>`, checked
 * against its stored hash in constant time, refused when revoked or
 * expired), a local user's token (OMS_LOCAL_USERS, local runtime), a JWT of
 * the Cognito user pool (groups → scopes), or the bootstrap token (admin).
 * Anything else: 401, the same answer for an unknown and a revoked key.
 */
export function principalResolver(sources: PrincipalSources, env: Record<string, string | undefined> = process.env): PrincipalResolver {
  const verifyBootstrap = bearerTokenVerifier(env);
  const localUsers = env['OMS_LOCAL_USERS'] ? LocalUsers.parse(JSON.parse(env['OMS_LOCAL_USERS'])) : [];
  const localUserDigests = localUsers.map((user) => ({ user, digest: digest(user.token) }));
  const now = sources.now ?? (() => new Date());

  const readKey = async (keyId: string): Promise<StoredApiKey | undefined> => {
    const cached = keyCache.get(keyId);
    if (cached && cached.until > Date.now()) return cached.key;
    const key = await sources.apiKey(keyId);
    if (key) keyCache.set(keyId, { key, until: Date.now() + API_KEY_CACHE_MS });
    return key;
  };

  return async (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (!token) throw new UnauthorizedError('Send a credential as "Authorization: Bearer <API key, token or JWT>"');
    const keyId = keyIdOf(token);
    if (keyId) {
      const key = await readKey(keyId);
      if (!key || !secretMatches(token, key.secretHash) || keyStatus(key, now()) !== 'active') {
        throw new UnauthorizedError('The API key is not valid (unknown, revoked or expired)');
      }
      return keyPrincipal(key);
    }
    if (localUserDigests.length > 0) {
      const presented = digest(token);
      const found = localUserDigests.find((entry) => timingSafeEqual(entry.digest, presented));
      if (found) return { id: `user:${found.user.username}`, kind: 'user', scopes: scopesOfGroups(found.user.groups) };
    }
    if (sources.jwt && token.split('.').length === 3) {
      let claims: { sub: string; groups: string[] };
      try {
        claims = await sources.jwt(token);
      } catch {
        throw new UnauthorizedError('The sign-in token is not valid (signature, issuer, audience or expiry)');
      }
      return { id: `user:${claims.sub}`, kind: 'user', scopes: scopesOfGroups(claims.groups) };
    }
    await verifyBootstrap(authorization);
    return BOOTSTRAP_PRINCIPAL;
  };
}

/**
 * The Cognito access-token check (aws-jwt-verify: signature against the
 * pool's JWKS, issuer, client id, expiry, token use), when
 * OMS_COGNITO_USER_POOL_ID and OMS_COGNITO_CLIENT_ID are set; else undefined.
 */
export function cognitoJwtVerifier(env: Record<string, string | undefined> = process.env, jwks?: Parameters<CognitoVerifier['cacheJwks']>[0]): PrincipalSources['jwt'] {
  const userPoolId = env['OMS_COGNITO_USER_POOL_ID'];
  const clientId = env['OMS_COGNITO_CLIENT_ID'];
  if (!userPoolId || !clientId) return undefined;
  const verifier = CognitoJwtVerifier.create({ userPoolId, clientId, tokenUse: 'access' });
  // Tests hand the key set in; on AWS it is fetched from the pool's well-known URL once per container.
  if (jwks) verifier.cacheJwks(jwks);
  return async (token) => {
    const payload = await verifier.verify(token);
    return { sub: payload.sub, groups: payload['cognito:groups'] ?? [] };
  };
}

type CognitoVerifier = ReturnType<typeof CognitoJwtVerifier.create<{ userPoolId: string; clientId: string; tokenUse: 'access' }>>;
