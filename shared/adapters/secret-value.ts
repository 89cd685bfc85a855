import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from './aws-clients.ts';

const CACHE_MS = 5 * 60 * 1000;

/**
 * A secret from an environment variable (local runtime) or from the Secrets
 * Manager secret another variable names (AWS), cached for five minutes so a
 * rotation takes effect without a deploy.
 */
export function secretValue(names: { value: string; secretId: string }, env: Record<string, string | undefined> = process.env): () => Promise<string> {
  const direct = env[names.value];
  const secretId = env[names.secretId];
  if (!direct && !secretId) throw new Error(`Invalid configuration: set ${names.value} or ${names.secretId}`);
  let cached: { value: string; until: number } | undefined;
  let client: SecretsManagerClient | undefined;
  return async () => {
    if (direct) return direct;
    if (cached && cached.until > Date.now()) return cached.value;
    client ??= new SecretsManagerClient(awsClientConfig('secrets-manager'));
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error(`Secret ${secretId} has no string value`);
    cached = { value: SecretString, until: Date.now() + CACHE_MS };
    return cached.value;
  };
}
