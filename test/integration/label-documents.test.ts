import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileDocumentStore, S3DocumentStore, checkDocumentKey } from '#shared/adapters/document-store.ts';
import type { CarrierLabel } from '#shared/domain/fulfillment.ts';
import { keys } from '#shared/store/keys.ts';
import { getFulfillment, listFulfillments } from '#shared/use-cases/fulfillment.ts';
import { readLabelDocument, storedCarrierLabel } from '#shared/use-cases/label-documents.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { useTestTable } from '../support/table.ts';

/**
 * Label documents live in the document store (S3 on AWS, files under the
 * local data directory), not in the fulfillment item: the item keeps the
 * label's summary and `labelRef`, and the API still answers the document.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
});

describe('label documents out of the items', () => {
  it('stores a bought label in the document store and only its reference in the fulfillment item; the API reads it back', async () => {
    const { order, parcels } = await world.routedOrder([{ sku: `DOC-${Date.now()}`, quantity: 1 }]);
    const parcel = must(parcels[0]);
    const raw = must((await db.send(new GetCommand({ TableName: tableName, Key: keys.fulfillment(order.orderId, parcel.fulfillmentId), ConsistentRead: true }))).Item);
    const carrier = raw['carrier'] as Record<string, unknown>;
    expect(carrier).toMatchObject({ labelFormat: 'ZPL', trackingNumber: expect.any(String), labelRef: `labels/${order.orderId}/${parcel.fulfillmentId}.zpl` });
    expect(carrier['label']).toBeUndefined();
    expect(JSON.stringify(raw)).not.toContain('^XA');

    const stored = must(await world.deps.documents.get(`labels/${order.orderId}/${parcel.fulfillmentId}.zpl`));
    const zpl = new TextDecoder().decode(stored.body);
    expect(zpl).toMatch(/^\^XA[\s\S]*\^XZ$/);
    expect(stored.contentType).toBe('text/plain; charset=utf-8');

    // GET /v1/fulfillments/{id} and GET /v1/fulfillments?orderId= answer the document as before.
    expect((await getFulfillment(world.deps, parcel.fulfillmentId)).carrier?.label).toBe(zpl);
    expect((await listFulfillments(world.deps, { orderId: order.orderId, limit: 50 })).items.map((f) => f.carrier?.label)).toEqual([zpl]);
    // The steps' own reads stay small.
    expect((await world.fulfillments.get(parcel.fulfillmentId))?.carrier?.label).toBeUndefined();
  });

  it('stores a PDF as the file it is and answers it base64 as before; a fulfillment labelled before the store keeps its inline document', async () => {
    const documents = new FileDocumentStore(mkdtempSync(join(tmpdir(), 'oms-documents-')));
    const pdf = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF', 'latin1');
    const label: CarrierLabel = {
      carrierId: 'easypost-usps',
      serviceLevel: 'Priority',
      rate: 745,
      currency: 'USD',
      estimatedDelivery: '2026-12-03T00:00:00.000Z',
      trackingNumber: '9400100000000000000000',
      trackingUrl: 'https://track.easypost.com/x',
      labelFormat: 'PDF',
      label: pdf.toString('base64'),
      weightGrams: 500,
      zone: 2,
    };
    const kept = await storedCarrierLabel(documents, 'O-1', 'O-1-F1', label);
    expect(kept).toEqual({ ...(({ label: _document, ...rest }) => rest)(label), labelRef: 'labels/O-1/O-1-F1.pdf' });
    const stored = must(await documents.get('labels/O-1/O-1-F1.pdf'));
    expect(Buffer.from(stored.body).equals(pdf)).toBe(true);
    expect(stored.contentType).toBe('application/pdf');
    expect(await readLabelDocument(documents, 'labels/O-1/O-1-F1.pdf', 'PDF')).toBe(label.label);
    expect(await documents.get('labels/O-1/missing.pdf')).toBeUndefined();
  });

  it('refuses keys that could leave the store', async () => {
    for (const key of ['../etc/passwd', 'labels/../x', 'labels//x', '/abs', 'labels/a b.zpl']) expect(() => checkDocumentKey(key), key).toThrow(/Invalid document key/);
    expect(checkDocumentKey('labels/O-1/O-1-F1.zpl')).toBe('labels/O-1/O-1-F1.zpl');
  });
});

describe('the S3 document store', () => {
  let server: Server;
  const objects = new Map<string, { body: Buffer; contentType: string }>();
  const requests: { method: string; path: string; contentType?: string | undefined }[] = [];
  let client: S3Client;

  beforeAll(async () => {
    // A loopback S3 (path-style): PUT and GET of objects, 404 NoSuchKey as S3 answers it.
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://s3').pathname);
        requests.push({ method: req.method ?? '', path, contentType: req.headers['content-type'] });
        if (!String(req.headers['authorization']).startsWith('AWS4-HMAC-SHA256 ')) {
          res.writeHead(403).end();
          return;
        }
        if (req.method === 'PUT') {
          objects.set(path, { body: Buffer.concat(chunks), contentType: String(req.headers['content-type']) });
          res.writeHead(200, { ETag: '"e"' }).end();
          return;
        }
        const found = objects.get(path);
        if (req.method === 'GET' && found) {
          res.writeHead(200, { 'Content-Type': found.contentType, 'Content-Length': found.body.length }).end(found.body);
          return;
        }
        res.writeHead(404, { 'Content-Type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new S3Client({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('puts the document as an object of the bucket with its content type, and reads it back by its key', async () => {
    const store = new S3DocumentStore('oms-documents', client);
    expect(await store.put('labels/O-2/O-2-F1.zpl', '^XA^FDhi^FS^XZ', 'text/plain; charset=utf-8')).toBe('labels/O-2/O-2-F1.zpl');
    expect(requests.at(-1)).toEqual({ method: 'PUT', path: '/oms-documents/labels/O-2/O-2-F1.zpl', contentType: 'text/plain; charset=utf-8' });
    const read = must(await store.get('labels/O-2/O-2-F1.zpl'));
    expect(new TextDecoder().decode(read.body)).toBe('^XA^FDhi^FS^XZ');
    expect(read.contentType).toBe('text/plain; charset=utf-8');
    expect(await store.get('labels/O-2/none.zpl')).toBeUndefined();
  });
});
