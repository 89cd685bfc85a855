import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { DataKeyProvider } from '#shared/ports.ts';

const CACHE_MS = 5 * 60 * 1000;
const CACHE_ENTRIES = 200;

/**
 * Data keys from the channel-secrets KMS key (CHANNEL_SECRETS_KMS_KEY_ID):
 * GenerateDataKey (AES_256) on each save, Decrypt on read. A decrypted data
 * key is kept in memory for five minutes per container, keyed by its
 * encrypted form and context, so a burst of webhooks for one channel costs
 * one KMS call, not one per delivery. Only functions granted `channel:secrets`
 * may call either (IAM, with the encryption context's purpose as condition).
 */
export class KmsDataKeys implements DataKeyProvider {
  readonly #keyId: string;
  readonly #client: KMSClient;
  readonly #cache = new Map<string, { key: Buffer; until: number }>();

  constructor(keyId: string, client: KMSClient = new KMSClient({})) {
    this.#keyId = keyId;
    this.#client = client;
  }

  async generate(context: Record<string, string>) {
    const answer = await this.#client.send(new GenerateDataKeyCommand({ KeyId: this.#keyId, KeySpec: 'AES_256', EncryptionContext: context }));
    if (!answer.Plaintext || !answer.CiphertextBlob) throw new Error(`KMS GenerateDataKey on ${this.#keyId} returned no data key`);
    return { keyId: answer.KeyId ?? this.#keyId, plaintext: Buffer.from(answer.Plaintext), encrypted: answer.CiphertextBlob };
  }

  async decrypt(encrypted: Uint8Array, context: Record<string, string>) {
    const cacheKey = `${Buffer.from(encrypted).toString('base64')}|${JSON.stringify(Object.entries(context).sort())}`;
    const cached = this.#cache.get(cacheKey);
    if (cached && cached.until > Date.now()) return Buffer.from(cached.key);
    // KeyId pins the key: a data key encrypted under any other key is refused by KMS.
    const answer = await this.#client.send(new DecryptCommand({ KeyId: this.#keyId, CiphertextBlob: encrypted, EncryptionContext: context }));
    if (!answer.Plaintext) throw new Error(`KMS Decrypt on ${this.#keyId} returned no plaintext`);
    const key = Buffer.from(answer.Plaintext);
    if (this.#cache.size >= CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(cacheKey, { key, until: Date.now() + CACHE_MS });
    return Buffer.from(key);
  }
}
