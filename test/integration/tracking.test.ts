import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShipmentDelivered } from '#events/shipment-delivered.ts';
import { createHmac } from 'node:crypto';
import { ConflictError, UnauthorizedError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { OUTBOX_ENTITY } from '#shared/store/outbox.ts';
import { applyFulfillmentEvent, listFulfillments, rerouteFulfillment } from '#shared/use-cases/fulfillment.ts';
import { receiveCarrierWebhook, recordTracking } from '#shared/use-cases/tracking.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { allItems, useTestTable } from '../support/table.ts';

/** Carrier scans and store handovers against DynamoDB Local: what a delivery makes of the fulfillment and the order. */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
});

const minutes = (iso: string, n: number) => new Date(Date.parse(iso) + n * 60_000).toISOString();

async function scan(parcel: { carrier?: { carrierId: string; trackingNumber: string } | undefined }, status: 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception', occurredAt: string, description?: string) {
  const carrier = must(parcel.carrier, 'a label');
  return recordTracking(world.deps, { carrierId: carrier.carrierId, trackingNumber: carrier.trackingNumber, status, occurredAt, description });
}

async function said(orderId: string, type: string): Promise<string[]> {
  return (await world.orders.timeline(orderId, { limit: 100 })).items.filter((e) => e.type === type).map((e) => e.message);
}

async function deliveredEvents(shipmentId: string) {
  return (await allItems(db, tableName))
    .filter((item) => item['entity'] === OUTBOX_ENTITY && item['detailType'] === ShipmentDelivered.detailType)
    .map((item) => ShipmentDelivered.parse(JSON.parse(String(item['detail']))).data)
    .filter((data) => data.shipmentId === shipmentId);
}

describe('a carrier\'s delivery scan', () => {
  it('makes the fulfillment delivered, at its shipping time when the scan is dated earlier, keeping the carrier\'s time in the history and saying so on the timeline', async () => {
    const { order, parcel } = await world.shippedParcel();
    const shippedAt = must(parcel.shippedAt);
    // The carrier's clock runs seven minutes behind the warehouse's.
    const scannedAt = minutes(shippedAt, -7);

    expect(await scan(parcel, 'delivered', scannedAt, 'Left at front door')).toEqual({ outcome: 'applied', shipmentId: parcel.fulfillmentId, orderStatus: 'delivered' });

    const delivered = must(await world.fulfillments.get(parcel.fulfillmentId));
    expect(delivered).toMatchObject({ status: 'delivered', shippedAt, deliveredAt: shippedAt, tracking: { status: 'delivered' } });
    expect(delivered.tracking?.events).toContainEqual({ status: 'delivered', at: scannedAt, description: 'Left at front door' });
    expect(await said(order.orderId, 'shipment_delivered')).toEqual([expect.stringContaining(`The carrier dated the scan ${scannedAt}, before the parcel shipped (${shippedAt}): recorded as delivered when it shipped.`)]);
    expect(await deliveredEvents(parcel.fulfillmentId)).toEqual([expect.objectContaining({ deliveredAt: shippedAt, scannedAt, orderStatus: 'delivered' })]);
    expect(await world.orders.get(order.orderId)).toMatchObject({ status: 'delivered' });
  });

  it('takes the carrier\'s time when it is after the shipping time; a repeat is unchanged and a late scan is kept without moving the parcel back', async () => {
    const { order, parcel } = await world.shippedParcel();
    // Within the hour ahead of the OMS's clock that a carrier's time may be (further is out of range, below).
    const scannedAt = minutes(must(parcel.shippedAt), 30);
    expect(await scan(parcel, 'delivered', scannedAt)).toMatchObject({ outcome: 'applied', orderStatus: 'delivered' });
    expect(await world.fulfillments.get(parcel.fulfillmentId)).toMatchObject({ status: 'delivered', deliveredAt: scannedAt });
    expect(await said(order.orderId, 'shipment_delivered')).toEqual([expect.not.stringContaining('dated the scan')]);

    // The carrier retries its webhook, then sends an in-transit scan it had held back.
    expect(await scan(parcel, 'delivered', scannedAt)).toEqual({ outcome: 'unchanged', shipmentId: parcel.fulfillmentId, orderStatus: 'delivered' });
    expect(await scan(parcel, 'in_transit', minutes(scannedAt, -30))).toMatchObject({ outcome: 'recorded', orderStatus: 'delivered' });
    const after = must(await world.fulfillments.get(parcel.fulfillmentId));
    expect(after).toMatchObject({ status: 'delivered', deliveredAt: scannedAt, tracking: { status: 'delivered' } });
    expect(after.tracking?.events.map((e) => e.status)).toEqual(['label_created', 'delivered', 'in_transit']);
    expect(await deliveredEvents(parcel.fulfillmentId)).toHaveLength(1);
    // A delivered parcel is no longer in its location's work queue.
    expect((await listFulfillments(world.deps, { locationId: 'wh-parcels', limit: 100 })).items.map((f) => f.fulfillmentId)).not.toContain(parcel.fulfillmentId);
  });
});

describe('a carrier update dated before the parcel\'s label existed, or far in the future', () => {
  async function stillShipped(fulfillmentId: string) {
    const parcel = must(await world.fulfillments.get(fulfillmentId));
    expect(parcel).toMatchObject({ status: 'shipped', tracking: { status: 'label_created' } });
    expect(parcel.deliveredAt).toBeUndefined();
    return parcel;
  }

  it('is kept in the history, marked ignored with the reason, and moves nothing: not the parcel, not the order, no event', async () => {
    const { order, parcel } = await world.shippedParcel();
    // A delivery from the tracking number's previous life, three days before this label was bought.
    const stale = minutes(parcel.createdAt, -3 * 24 * 60);
    const answer = await scan(parcel, 'delivered', stale, 'Delivered');
    expect(answer).toEqual({ outcome: 'recorded', shipmentId: parcel.fulfillmentId, orderStatus: 'shipped', ignored: expect.stringContaining('before the parcel\'s label') });
    // Dated two hours ahead of the OMS's clock: also out of range, whatever the status.
    const ahead = new Date(Date.now() + 2 * 60 * 60_000).toISOString();
    expect(await scan(parcel, 'delivered', ahead)).toMatchObject({ outcome: 'recorded', orderStatus: 'shipped', ignored: expect.stringContaining('in the future') });
    expect(await scan(parcel, 'exception', ahead, 'Damaged')).toMatchObject({ outcome: 'recorded', orderStatus: 'shipped', ignored: expect.stringContaining('in the future') });

    const after = await stillShipped(parcel.fulfillmentId);
    expect(after.tracking?.events).toEqual([
      { status: 'label_created', at: must(parcel.shippedAt) },
      { status: 'delivered', at: stale, description: 'Delivered', ignored: expect.stringContaining(`dated ${stale}, before the parcel's label was created (${parcel.createdAt})`) },
      { status: 'delivered', at: ahead, ignored: expect.stringContaining(`dated ${ahead}`) },
      { status: 'exception', at: ahead, description: 'Damaged', ignored: expect.stringContaining('in the future') },
    ]);
    expect(await world.orders.get(order.orderId)).toMatchObject({ status: 'shipped' });
    expect(await deliveredEvents(parcel.fulfillmentId)).toEqual([]);
    expect(await said(order.orderId, 'shipment_delivered')).toEqual([]);
    expect(await said(order.orderId, 'shipment_exception')).toEqual([]);
    expect(await said(order.orderId, 'shipment_update_ignored')).toEqual([
      expect.stringContaining(`delivered dated ${stale} ignored`),
      expect.stringContaining(`delivered dated ${ahead} ignored`),
      expect.stringContaining(`exception dated ${ahead} ignored`),
    ]);

    // The same stale update again is a repeat; the real delivery still delivers the parcel.
    expect(await scan(parcel, 'delivered', stale, 'Delivered')).toMatchObject({ outcome: 'unchanged', orderStatus: 'shipped' });
    const real = minutes(must(parcel.shippedAt), 5);
    expect(await scan(parcel, 'delivered', real)).toEqual({ outcome: 'applied', shipmentId: parcel.fulfillmentId, orderStatus: 'delivered' });
    expect(await world.fulfillments.get(parcel.fulfillmentId)).toMatchObject({ status: 'delivered', deliveredAt: real });
  });

  it('is in range within the carriers\' clock skew: minutes before the label, up to an hour ahead', async () => {
    const { parcel } = await world.shippedParcel();
    expect(await scan(parcel, 'in_transit', minutes(parcel.createdAt, -10))).toEqual({ outcome: 'applied', shipmentId: parcel.fulfillmentId, orderStatus: 'shipped' });
    expect(await scan(parcel, 'out_for_delivery', new Date(Date.now() + 50 * 60_000).toISOString())).toMatchObject({ outcome: 'applied', orderStatus: 'shipped' });
    expect(must(await world.fulfillments.get(parcel.fulfillmentId)).tracking?.events.some((e) => 'ignored' in e)).toBe(false);
  });
});

describe('the carrier webhook', () => {
  const secret = 'carrier-test-secret';
  const deliver = (carrierId: string, rawBody: Buffer, signature: string) =>
    receiveCarrierWebhook({ ...world.deps, carrierIds: [carrierId], secret: async () => secret }, { carrierId, rawBody, signature });

  it('takes sha256=<lower-case hex> only: the right digest in any other form is a 401 and moves nothing', async () => {
    const { parcel } = await world.shippedParcel();
    const carrier = must(parcel.carrier);
    const rawBody = Buffer.from(JSON.stringify({ trackingNumber: carrier.trackingNumber, status: 'in_transit', occurredAt: new Date().toISOString() }));
    const hex = createHmac('sha256', secret).update(rawBody).digest('hex');
    for (const loose of [` sha256=${hex}`, `sha256=${hex}\n`, `SHA256=${hex}`, `sha256=${hex.toUpperCase()}`]) {
      await expect(deliver(carrier.carrierId, rawBody, loose)).rejects.toBeInstanceOf(UnauthorizedError);
    }
    expect(must(await world.fulfillments.get(parcel.fulfillmentId)).tracking?.events).toHaveLength(1);
    expect(await deliver(carrier.carrierId, rawBody, `sha256=${hex}`)).toMatchObject({ outcome: 'applied' });
  });
});

describe('a pickup handed over at the store', () => {
  it('is delivered like a parcel, and the store\'s repeated `shipped` report is answered unchanged, not refused', async () => {
    const { order, parcels } = await world.routedOrder([{ sku: `PICK-${newId()}`, quantity: 1 }], { fulfillment: { type: 'pickup', locationId: 'wh-parcels', fulfilledBy: 'merchant' } });
    const fulfillmentId = must(parcels[0]).fulfillmentId;
    const handed = await applyFulfillmentEvent(world.deps, { fulfillmentId, event: { type: 'shipped' }, actor: 'location:wh-parcels' });
    expect(handed).toMatchObject({ outcome: 'applied', orderStatus: 'delivered', fulfillment: { status: 'delivered', deliveredAt: expect.any(String) } });
    expect(Date.parse(must(handed.fulfillment.deliveredAt))).toBeGreaterThanOrEqual(Date.parse(must(handed.fulfillment.shippedAt)));

    expect(await applyFulfillmentEvent(world.deps, { fulfillmentId, event: { type: 'shipped' }, actor: 'location:wh-parcels' })).toMatchObject({ outcome: 'unchanged', fulfillment: { status: 'delivered' } });
    await expect(applyFulfillmentEvent(world.deps, { fulfillmentId, event: { type: 'picked' }, actor: 'location:wh-parcels' })).rejects.toBeInstanceOf(ConflictError);
    expect(await world.orders.get(order.orderId)).toMatchObject({ status: 'delivered' });
  });
});

describe('an order with a delivered parcel', () => {
  it('stays partially shipped, not back to reserved, when its other parcel is rejected and re-routed', async () => {
    const [first, second] = [`TWO-A-${newId()}`, `TWO-B-${newId()}`];
    const { order, parcels } = await world.routedOrder([
      { sku: first, quantity: 1, at: 'wh-two-a' },
      { sku: second, quantity: 1, at: 'wh-two-b' },
    ]);
    const [a, b] = [must(parcels[0]), must(parcels[1])];
    expect([a.locationId, b.locationId]).toEqual(['wh-two-a', 'wh-two-b']);
    await applyFulfillmentEvent(world.deps, { fulfillmentId: a.fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
    const shipped = must(await world.fulfillments.get(a.fulfillmentId));
    expect(await scan(shipped, 'delivered', minutes(must(shipped.shippedAt), 60))).toMatchObject({ orderStatus: 'partially_shipped' });
    expect(await world.fulfillments.get(a.fulfillmentId)).toMatchObject({ status: 'delivered' });

    await world.location('wh-two-c');
    await world.receive(second, 'wh-two-c', 1);
    await applyFulfillmentEvent(world.deps, { fulfillmentId: b.fulfillmentId, event: { type: 'rejected', reason: 'damaged' }, actor: 'test' });
    expect(await rerouteFulfillment(world.deps, { fulfillmentId: b.fulfillmentId, actor: 'test' })).toMatchObject({ outcome: 'rerouted' });
    expect(await world.orders.get(order.orderId)).toMatchObject({ status: 'partially_shipped' });
  });
});
