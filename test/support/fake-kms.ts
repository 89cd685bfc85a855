import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback AWS KMS for GenerateDataKey and Decrypt (test/fixtures/kms):
 * checks the JSON 1.1 protocol (POST /, content type, X-Amz-Target, a SigV4
 * Authorization header), the key id, AES_256, and on Decrypt the exact
 * encryption context the blob was generated with; answers like KMS,
 * including InvalidCiphertextException / IncorrectKeyException.
 */
export interface FakeKms {
  endpoint: string;
  keyArn: string;
  calls: { target: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startFakeKms(keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'): Promise<FakeKms> {
  const issued = new Map<string, { plaintext: Buffer; context: string; keyArn: string }>();
  const calls: FakeKms['calls'] = [];
  const contextOf = (value: unknown) => JSON.stringify(Object.entries((value as Record<string, string> | undefined) ?? {}).sort());
  const error = (type: string, message: string) => ({ status: 400, body: { __type: type, message } });

  const answer = (target: string, body: Record<string, unknown>): { status: number; body: unknown } => {
    if (body['KeyId'] !== keyArn) return { status: 400, body: { __type: 'NotFoundException', message: `Key '${String(body['KeyId'])}' does not exist` } };
    if (target === 'TrentService.GenerateDataKey') {
      if (body['KeySpec'] !== 'AES_256' || body['NumberOfBytes'] !== undefined) return error('ValidationException', 'KeySpec must be AES_256');
      const plaintext = randomBytes(32);
      const blob = randomBytes(64).toString('base64');
      issued.set(blob, { plaintext, context: contextOf(body['EncryptionContext']), keyArn });
      return { status: 200, body: { CiphertextBlob: blob, Plaintext: plaintext.toString('base64'), KeyId: keyArn } };
    }
    if (target === 'TrentService.Decrypt') {
      const found = issued.get(String(body['CiphertextBlob']));
      if (!found) return error('InvalidCiphertextException', '');
      if (found.keyArn !== body['KeyId']) return error('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
      if (found.context !== contextOf(body['EncryptionContext'])) return error('InvalidCiphertextException', '');
      return { status: 200, body: { Plaintext: found.plaintext.toString('base64'), KeyId: keyArn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } };
    }
    return error('UnknownOperationException', target);
  };

  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      const target = String(request.headers['x-amz-target'] ?? '');
      if (request.method !== 'POST' || request.url !== '/') return reply(404, { __type: 'UnknownOperationException', message: `${request.method} ${request.url}` });
      if (request.headers['content-type'] !== 'application/x-amz-json-1.1') return reply(400, { __type: 'SerializationException', message: 'content type' });
      if (!String(request.headers['authorization'] ?? '').startsWith('AWS4-HMAC-SHA256 Credential=')) return reply(400, { __type: 'MissingAuthenticationTokenException', message: 'unsigned' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      calls.push({ target, body });
      const { status, body: out } = answer(target, body);
      reply(status, out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    keyArn,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
