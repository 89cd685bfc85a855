import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EasyPostCarriers } from '#shared/adapters/easypost-carriers.ts';
import { EASYPOST_STATUS_MAP } from '#shared/domain/easypost.ts';
import { UnauthorizedError, ValidationError } from '#shared/domain/errors.ts';
import { DynamoCarrierRecordRepository } from '#shared/store/carrier-record-repository.ts';
import { easypostSignature, easypostSignatureMatches, receiveEasyPostWebhook } from '#shared/use-cases/easypost-tracking.ts';
import { applyFulfillmentEvent } from '#shared/use-cases/fulfillment.ts';
import { must } from '../support/fixtures.ts';
import { startFakeEasyPost, type FakeEasyPost } from '../support/fake-easypost.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { allItems, useTestTable } from '../support/table.ts';

/** EasyPost tracker webhooks: the signature, the event ids, the status mapping, against DynamoDB Local and the fake EasyPost. */
const vector = JSON.parse(readFileSync(new URL('../fixtures/providers/easypost-webhook-signature-vector.json', import.meta.url), 'utf8')) as {
  webhook_secret: string;
  raw_body: string;
  expected_header_value: string;
  header_value_if_secret_not_nfkd_normalised: string;
};
const SECRET = 'whsec-easypost-tést-0123456789abcdef0123';

let db: DynamoDBDocumentClient;
let tableName: string;
let fake: FakeEasyPost;
let world: ReturnType<typeof fulfillmentWorld>;
let records: DynamoCarrierRecordRepository;
let deps: Parameters<typeof receiveEasyPostWebhook>[0];

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  fake = await startFakeEasyPost();
  records = new DynamoCarrierRecordRepository(db, tableName);
  world = fulfillmentWorld(db, tableName);
  // The world's fulfillments buy their labels from EasyPost (the fake).
  world.deps.carriers = new EasyPostCarriers({ apiKey: async () => fake.apiKey, baseUrl: fake.url, carriers: ['USPS'], records, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
  deps = { ...world.deps, records, secret: async () => SECRET };
});
afterAll(async () => fake?.close());

/** Signed with the webhook secret unless a signature (null: none) is given. */
const deliver = (raw: string, signature?: string | null) =>
  receiveEasyPostWebhook(deps, { rawBody: Buffer.from(raw, 'utf8'), signature: signature === undefined ? easypostSignature(raw, SECRET) : (signature ?? undefined) });
const soon = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('the EasyPost signature', () => {
  it('is the HMAC-SHA256 of the raw body keyed with the NFKD-normalised secret, compared as the whole header value (the fixture vector)', () => {
    const raw = Buffer.from(vector.raw_body, 'utf8');
    expect(easypostSignature(raw, vector.webhook_secret)).toBe(vector.expected_header_value);
    expect(easypostSignatureMatches(raw, vector.webhook_secret, vector.expected_header_value)).toBe(true);
    // Keyed with the secret as typed (NFC é), the digest is EasyPost's wrong one.
    expect(easypostSignatureMatches(raw, vector.webhook_secret, vector.header_value_if_secret_not_nfkd_normalised)).toBe(false);
    // The whole value: no bare hex, no other prefix, no upper case, nothing re-serialised.
    const hex = vector.expected_header_value.split('=')[1] ?? '';
    for (const forged of [hex, `sha256=${hex}`, `hmac-sha256-hex=${hex.toUpperCase()}`, `${vector.expected_header_value} `, undefined]) expect(easypostSignatureMatches(raw, vector.webhook_secret, forged)).toBe(false);
    expect(easypostSignatureMatches(Buffer.from(JSON.stringify(JSON.parse(vector.raw_body))), vector.webhook_secret, vector.expected_header_value)).toBe(false);
  });
});

describe('EasyPost tracker webhooks', () => {
  it('take a labelled, shipped parcel through in transit and out for delivery to delivered; each event once', async () => {
    const { order, parcels } = await world.routedOrder([{ sku: `EP-${Date.now()}`, quantity: 1 }]);
    const parcel = must(parcels[0]);
    expect(parcel.carrier).toMatchObject({ carrierId: 'easypost-usps', labelFormat: 'ZPL', shipmentId: expect.stringMatching(/^shp_/) });
    await applyFulfillmentEvent(world.deps, { fulfillmentId: parcel.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
    const tracking = must(parcel.carrier).trackingNumber;

    const transit = fake.trackerEvent(tracking, 'in_transit', { datetime: soon(1), message: 'USPS in possession of item' });
    expect(await deliver(transit.raw)).toEqual({ outcome: 'applied', eventId: transit.event['id'], shipmentId: parcel.fulfillmentId, orderStatus: 'shipped' });
    // EasyPost retries a delivery it thinks failed (or someone replays the signed body): the same event id is handled once, nothing written.
    const beforeReplay = await allItems(db, tableName);
    expect(await deliver(transit.raw)).toEqual({ outcome: 'duplicate', eventId: transit.event['id'] });
    expect(await allItems(db, tableName)).toEqual(beforeReplay);
    expect(await deliver(fake.trackerEvent(tracking, 'out_for_delivery', { datetime: soon(2) }).raw)).toMatchObject({ outcome: 'applied' });
    const delivered = fake.trackerEvent(tracking, 'delivered', { datetime: soon(3), message: 'Delivered, In/At Mailbox' });
    expect(await deliver(delivered.raw)).toMatchObject({ outcome: 'applied', orderStatus: 'delivered' });

    const after = must(await world.fulfillments.get(parcel.fulfillmentId));
    expect(after).toMatchObject({ status: 'delivered', tracking: { status: 'delivered' } });
    expect(after.tracking?.events.map((e) => e.status)).toEqual(['label_created', 'in_transit', 'out_for_delivery', 'delivered']);
    expect(after.tracking?.events).toContainEqual(expect.objectContaining({ status: 'in_transit', description: 'USPS in possession of item', location: 'SPRINGFIELD, OR 97477, US' }));
    expect(await world.orders.get(order.orderId)).toMatchObject({ status: 'delivered' });
  });

  it('refuses a forged, missing or un-normalised signature with 401 and writes nothing', async () => {
    const before = (await allItems(db, tableName)).length;
    const raw = vector.raw_body;
    await expect(deliver(raw, null)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(deliver(raw, easypostSignature(raw, 'another-secret'))).rejects.toBeInstanceOf(UnauthorizedError);
    // The same secret, as typed, not NFKD-normalised: EasyPost's own digest would not match it.
    const secret = 'whsec-easypost-t\u00e9st';
    const unnormalised = `hmac-sha256-hex=${(await import('node:crypto')).createHmac('sha256', Buffer.from(secret, 'utf8')).update(raw).digest('hex')}`;
    await expect(deliver(raw, unnormalised)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(deliver('not json', null)).rejects.toBeInstanceOf(UnauthorizedError);
    expect((await allItems(db, tableName)).length).toBe(before);
    // Signed but not an event: 422, nothing written.
    await expect(deliver('{"id":"evt_x"}')).rejects.toBeInstanceOf(ValidationError);
    expect((await allItems(db, tableName)).length).toBe(before);
  });

  it('acknowledges what moves nothing: other events, pre_transit/unknown/cancelled, and trackers the OMS did not buy', async () => {
    const other = JSON.stringify({ id: 'evt_batch_1', description: 'batch.created', result: {} });
    expect(await deliver(other)).toEqual({ outcome: 'ignored', eventId: 'evt_batch_1', reason: 'event batch.created is not a tracker event' });
    const fixture = JSON.parse(vector.raw_body) as { result: Record<string, unknown> };
    const preTransit = JSON.stringify({ ...fixture, id: 'evt_pre_1', result: { ...fixture.result, status: 'pre_transit' } });
    expect(await deliver(preTransit)).toMatchObject({ outcome: 'ignored', reason: 'tracker status pre_transit moves nothing' });
    // The fixture's own tracker (delivered) is not one of this OMS's labels.
    expect(await deliver(vector.raw_body)).toMatchObject({ outcome: 'ignored', eventId: 'evt_0000000000000000000000001042ee01', reason: expect.stringContaining('No shipment with easypost-usps tracking number 9400100000000000001042') });
  });

  it('leaves a scan of a parcel not yet reported shipped to EasyPost\'s retry (409), handling the retried event afresh', async () => {
    const { parcels } = await world.routedOrder([{ sku: `EP-EARLY-${Date.now()}`, quantity: 1 }]);
    const parcel = must(parcels[0]);
    const early = fake.trackerEvent(must(parcel.carrier).trackingNumber, 'in_transit', { datetime: soon(1) });
    await expect(deliver(early.raw)).rejects.toMatchObject({ code: 'not_shipped' });
    await applyFulfillmentEvent(world.deps, { fulfillmentId: parcel.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
    expect(await deliver(early.raw)).toMatchObject({ outcome: 'applied', eventId: early.event['id'] });
  });

  it('without a configured webhook secret (EasyPost not connected) refuses every delivery', async () => {
    const { easypostWebhookSecret } = await import('#shared/adapters/dependencies.ts');
    expect(process.env['EASYPOST_WEBHOOK_SECRET'] ?? process.env['EASYPOST_WEBHOOK_SECRET_ID']).toBeUndefined();
    const unconfigured = { ...deps, secret: easypostWebhookSecret() };
    const raw = vector.raw_body;
    await expect(receiveEasyPostWebhook(unconfigured, { rawBody: Buffer.from(raw), signature: easypostSignature(raw, '') })).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('maps every EasyPost tracker status', () => {
    expect(EASYPOST_STATUS_MAP).toEqual({
      unknown: undefined,
      pre_transit: undefined,
      in_transit: 'in_transit',
      out_for_delivery: 'out_for_delivery',
      available_for_pickup: 'out_for_delivery',
      delivered: 'delivered',
      return_to_sender: 'exception',
      failure: 'exception',
      error: 'exception',
      cancelled: undefined,
    });
  });

  it('an exception status (return_to_sender) makes the order an exception', async () => {
    const { order, parcels } = await world.routedOrder([{ sku: `EP-RTS-${Date.now()}`, quantity: 1 }]);
    const parcel = must(parcels[0]);
    await applyFulfillmentEvent(world.deps, { fulfillmentId: parcel.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
    const event = fake.trackerEvent(must(parcel.carrier).trackingNumber, 'return_to_sender', { datetime: soon(1), message: 'Return to sender' });
    expect(await deliver(event.raw)).toMatchObject({ outcome: 'applied', orderStatus: 'exception' });
    expect(await world.fulfillments.get(parcel.fulfillmentId)).toMatchObject({ tracking: { status: 'exception' } });
    expect(await world.orders.get(order.orderId)).toMatchObject({ status: 'exception' });
  });
});
