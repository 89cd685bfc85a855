import type { Clock } from '#shared/domain/clock.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { type ApiKey, type ApiKeyInput, hashKeySecret, newKeySecret, publicKey, type StoredApiKey } from '#shared/domain/identity.ts';
import { newId } from '#shared/domain/ids.ts';
import type { ApiKeyRepository, Page, PageRequest } from '#shared/ports.ts';

export interface ApiKeyDeps {
  apiKeys: ApiKeyRepository;
  clock: Clock;
}

/** Creates a key; the secret is in the answer and nowhere else (only its hash is stored). */
export async function createApiKey(deps: ApiKeyDeps, command: { input: ApiKeyInput; actor: string }): Promise<{ key: ApiKey; secret: string }> {
  const now = deps.clock.now();
  if (command.input.expiresAt && Date.parse(command.input.expiresAt) <= now.getTime()) {
    throw new ValidationError('The key would be expired already', [{ in: 'body', path: 'expiresAt', message: 'Must be in the future', code: 'in_the_past' }]);
  }
  const keyId = newId();
  const secret = newKeySecret(keyId);
  const stored: StoredApiKey = {
    keyId,
    name: command.input.name,
    scopes: command.input.scopes,
    ...(command.input.channels ? { channels: command.input.channels } : {}),
    ...(command.input.locations ? { locations: command.input.locations } : {}),
    createdAt: now.toISOString(),
    createdBy: command.actor,
    ...(command.input.expiresAt ? { notAfter: new Date(command.input.expiresAt).toISOString() } : {}),
    secretHash: hashKeySecret(secret),
    version: 1,
  };
  await deps.apiKeys.create(stored);
  return { key: publicKey(stored, now), secret };
}

export async function listApiKeys(deps: ApiKeyDeps, page: PageRequest): Promise<Page<ApiKey>> {
  const result = await deps.apiKeys.list(page);
  const now = deps.clock.now();
  return { ...result, items: result.items.map((key) => publicKey(key, now)) };
}

/** Revokes a key (again: unchanged, first revocation kept); 404 for an unknown key. */
export async function revokeApiKey(deps: ApiKeyDeps, command: { keyId: string; actor: string }): Promise<ApiKey> {
  const revoked = await deps.apiKeys.revoke(command.keyId, { at: deps.clock.now().toISOString(), by: command.actor });
  if (!revoked) throw new NotFoundError(`API key ${command.keyId} does not exist`);
  return publicKey(revoked, deps.clock.now());
}
