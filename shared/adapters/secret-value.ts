import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from './aws-clients.ts';

const CACHE_MS = 5 * 60 * 1000;

/**
 * A secret from an environment variable (local runtime) or from the Secrets
 * Manager secret another variable names (AWS), cached for five minutes so a
 * rotation takes effect without a deploy. A signing secret names its
 * `minLength`: a shorter environment value refuses to start (the handler
 * module fails to load), a shorter stored one is refused when read.
 */
export function secretValue(
  names: { value: string; secretId: string; minLength?: number },
  env: Record<string, string | undefined> = process.env,
): () => Promise<string> {
  const direct = env[names.value];
  const secretId = env[names.secretId];
  if (!direct && !secretId) throw new Error(`Invalid configuration: set ${names.value} or ${names.secretId}`);
  const tooShort = (value: string, where: string) => (names.minLength === undefined ? undefined : secretLengthProblem(where, value, names.minLength));
  const refused = direct ? tooShort(direct, names.value) : undefined;
  if (refused) throw new Error(refused);
  let cached: { value: string; until: number } | undefined;
  let client: SecretsManagerClient | undefined;
  return async () => {
    if (direct) return direct;
    if (cached && cached.until > Date.now()) return cached.value;
    client ??= new SecretsManagerClient(awsClientConfig('secrets-manager'));
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error(`Secret ${secretId} has no string value`);
    const short = tooShort(SecretString, `the secret ${secretId}`);
    if (short) throw new Error(short);
    cached = { value: SecretString, until: Date.now() + CACHE_MS };
    return cached.value;
  };
}

/** Why a signing secret cannot be used (shorter than `minLength` characters), or undefined. Names the setting, never the value. */
export function secretLengthProblem(name: string, value: string, minLength: number): string | undefined {
  return value.length < minLength
    ? `Invalid configuration: ${name} must be at least ${minLength} characters (it has ${value.length}); generate a longer signing secret, e.g. \`openssl rand -hex 32\``
    : undefined;
}
