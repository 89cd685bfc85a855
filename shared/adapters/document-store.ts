import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { DocumentStore, StoredDocument } from '#shared/ports.ts';
import { awsClientConfig } from './aws-clients.ts';

/**
 * Keys are the caller's (`labels/<orderId>/<fulfillmentId>.zpl`): path
 * segments of letters, digits and `._-`, never `.` or `..`, so a key can
 * neither leave the local directory nor mean two S3 objects.
 */
export function checkDocumentKey(key: string): string {
  const segments = key.split('/');
  if (key.length > 512 || segments.some((s) => !/^[A-Za-z0-9._-]+$/.test(s) || s === '.' || s === '..')) throw new Error(`Invalid document key ${JSON.stringify(key)}`);
  return key;
}

const bytesOf = (body: string | Uint8Array): Uint8Array => (typeof body === 'string' ? new TextEncoder().encode(body) : body);

/** Documents as objects of one S3 bucket (DOCUMENT_BUCKET); the reference is the object key. The bucket encrypts them. */
export class S3DocumentStore implements DocumentStore {
  readonly #bucket: string;
  readonly #client: S3Client;

  constructor(bucket: string, client: S3Client = new S3Client(awsClientConfig('s3'))) {
    this.#bucket = bucket;
    this.#client = client;
  }

  async put(key: string, body: string | Uint8Array, contentType: string): Promise<string> {
    await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: checkDocumentKey(key), Body: bytesOf(body), ContentType: contentType }));
    return key;
  }

  async get(reference: string): Promise<StoredDocument | undefined> {
    try {
      const answer = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: checkDocumentKey(reference) }));
      if (!answer.Body) return undefined;
      return { body: await answer.Body.transformToByteArray(), contentType: answer.ContentType ?? 'application/octet-stream' };
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }
}

/**
 * Documents as files under a directory (the local runtime's data directory,
 * `.oms/documents`): the document at `<dir>/<key>`, its content type beside
 * it in `<key>.content-type`. The reference is the key.
 */
export class FileDocumentStore implements DocumentStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async put(key: string, body: string | Uint8Array, contentType: string): Promise<string> {
    const path = join(this.#dir, checkDocumentKey(key));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytesOf(body));
    await writeFile(`${path}.content-type`, contentType);
    return key;
  }

  async get(reference: string): Promise<StoredDocument | undefined> {
    const path = join(this.#dir, checkDocumentKey(reference));
    try {
      const [body, contentType] = await Promise.all([readFile(path), readFile(`${path}.content-type`, 'utf8')]);
      return { body: new Uint8Array(body), contentType };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}
