import { createHash, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { awsClientConfig } from '#shared/adapters/aws-clients.ts';
import { readConfig } from '#shared/config.ts';
import { UnauthorizedError } from '#shared/domain/errors.ts';

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
