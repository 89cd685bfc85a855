import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { ChannelSecrets } from '#shared/domain/channel.ts';
import type { DataKeyProvider } from '#shared/ports.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';

/**
 * Envelope encryption of a channel's secrets (docs/security.md, "Secrets and
 * permissions"). A fresh 256-bit data key per save encrypts the secrets with
 * AES-256-GCM here, in the function; only the data key's encrypted form (KMS
 * on AWS, a local key file or the development key locally) is stored beside
 * the ciphertext. The table item, its stream records, backups and exports
 * hold ciphertext only. The encryption context (and the GCM additional data)
 * names the channel, so a sealed value copied onto another channel's item
 * does not open.
 */

export const SEALED_ALGORITHM = 'AES-256-GCM';

/** What the ChannelSecrets item stores instead of the secrets (all binary parts base64). */
export interface SealedSecrets {
  v: 1;
  alg: typeof SEALED_ALGORITHM;
  /** Which key encrypted the data key (a KMS key ARN, or a local key's name). */
  keyId: string;
  encryptedKey: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export function channelSecretsContext(channelId: string): Record<string, string> {
  return { purpose: 'oms-channel-secrets', channelId };
}

export async function sealSecrets(keys: DataKeyProvider, channelId: string, secrets: ChannelSecrets): Promise<SealedSecrets> {
  const context = channelSecretsContext(channelId);
  const dataKey = await keys.generate(context);
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
    cipher.setAAD(Buffer.from(canonicalJson(context)));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return {
      v: 1,
      alg: SEALED_ALGORITHM,
      keyId: dataKey.keyId,
      encryptedKey: Buffer.from(dataKey.encrypted).toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

export async function openSecrets(keys: DataKeyProvider, channelId: string, sealed: SealedSecrets): Promise<ChannelSecrets> {
  if (sealed.v !== 1 || sealed.alg !== SEALED_ALGORITHM) throw new Error(`Channel ${channelId}: unknown sealed secrets format ${String(sealed.v)}/${String(sealed.alg)}`);
  const context = channelSecretsContext(channelId);
  const key = await keys.decrypt(Buffer.from(sealed.encryptedKey, 'base64'), context);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(canonicalJson(context)));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  const plaintext = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
  return JSON.parse(plaintext.toString('utf8')) as ChannelSecrets;
}

/**
 * Data keys wrapped by a local 256-bit master key (AES-256-GCM, the
 * encryption context as additional data): the local runtime's stand-in for
 * KMS. The encrypted data key is iv (12 bytes) | tag (16) | wrapped key (32).
 */
export class LocalDataKeys implements DataKeyProvider {
  readonly #master: Buffer;
  readonly keyId: string;

  constructor(masterKey: Uint8Array, keyId: string) {
    if (masterKey.length !== 32) throw new Error(`Invalid configuration: the local channel-secrets key ${keyId} must be 32 bytes, not ${masterKey.length}`);
    this.#master = Buffer.from(masterKey);
    this.keyId = keyId;
  }

  generate(context: Record<string, string>) {
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#master, iv);
    cipher.setAAD(Buffer.from(canonicalJson(context)));
    const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Promise.resolve({ keyId: this.keyId, plaintext, encrypted: Buffer.concat([iv, cipher.getAuthTag(), wrapped]) });
  }

  decrypt(encrypted: Uint8Array, context: Record<string, string>) {
    const bytes = Buffer.from(encrypted);
    const decipher = createDecipheriv('aes-256-gcm', this.#master, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(canonicalJson(context)));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Promise.resolve(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]));
  }
}

/**
 * DEVELOPMENT ONLY — NOT A SECRET. A fixed key derived from a published
 * string, for tests and a local runtime without a data directory, so the
 * table never holds plain secrets even there. Its ciphertext protects
 * nothing: anyone with this source can open it. AWS uses KMS
 * (CHANNEL_SECRETS_KMS_KEY_ID); a local runtime with a data directory keeps
 * a random key in `<data dir>/channel-secrets.key`.
 */
export const DEVELOPMENT_KEY_ID = 'local:development-key-not-secret';
export const developmentDataKeys: DataKeyProvider = new LocalDataKeys(
  createHash('sha256').update('oms development channel-secrets key: published, protects nothing').digest(),
  DEVELOPMENT_KEY_ID,
);

/** For functions without `channel:secrets` access on AWS: any use says why instead of an opaque KMS AccessDenied. */
export const noChannelSecretKeys: DataKeyProvider = {
  generate: () => Promise.reject(new Error('This function has no channel:secrets access (CHANNEL_SECRETS_KMS_KEY_ID is not set): it may not write channel secrets')),
  decrypt: () => Promise.reject(new Error('This function has no channel:secrets access (CHANNEL_SECRETS_KMS_KEY_ID is not set): it may not read channel secrets')),
};
