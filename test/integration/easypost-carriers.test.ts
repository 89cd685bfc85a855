import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EasyPostCarriers, easypostParcel } from '#shared/adapters/easypost-carriers.ts';
import { MarketplaceError } from '#shared/adapters/http-client.ts';
import { easypostCarrierId } from '#shared/domain/easypost.ts';
import type { LabelRequest } from '#shared/ports.ts';
import { DynamoCarrierRecordRepository } from '#shared/store/carrier-record-repository.ts';
import { startFakeEasyPost, type FakeEasyPost } from '../support/fake-easypost.ts';
import { useTestTable } from '../support/table.ts';

/** The EasyPost adapter against a loopback EasyPost that checks the documented request shapes (fixtures in test/fixtures/providers). */
let db: DynamoDBDocumentClient;
let tableName: string;
let fake: FakeEasyPost;
let records: DynamoCarrierRecordRepository;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  records = new DynamoCarrierRecordRepository(db, tableName);
  fake = await startFakeEasyPost();
});
afterAll(async () => fake?.close());

const adapter = (apiKey = fake.apiKey) =>
  new EasyPostCarriers({ apiKey: async () => apiKey, baseUrl: fake.url, carriers: ['USPS'], records, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });

let n = 0;
function request(overrides: Partial<LabelRequest> = {}): LabelRequest {
  n++;
  return {
    carrierId: 'easypost-usps',
    serviceLevel: 'GroundAdvantage',
    from: { name: 'Shipping Desk', lines: ['1 Sample Way', 'Suite 100'], city: 'Portland', region: 'OR', postalCode: '97201', country: 'US' },
    to: { name: 'Jordan Example', lines: ['742 Example Street', 'Apt 3'], city: 'Springfield', region: 'OR', postalCode: '97477', country: 'US', email: 'jordan.buyer@example.com' },
    zone: 2,
    weightGrams: 454,
    currency: 'USD',
    shipDate: new Date('2026-11-24T09:30:00Z'),
    reference: `OMS-${n}`,
    idempotencyKey: `label:ORDER${n}-F1`,
    ...overrides,
  };
}

const since = (start: number) => fake.requests.slice(start);

describe('EasyPost units', () => {
  it('converts grams and centimetres to ounces and inches, rounding each up to a tenth', () => {
    expect(easypostParcel(453.59237, { length: 25.4, width: 20.32, height: 10.16 })).toEqual({ length: 10, width: 8, height: 4, weight: 16 });
    expect(easypostParcel(454, { length: 30, width: 20, height: 10 })).toEqual({ length: 11.9, width: 7.9, height: 4, weight: 16.1 });
    expect(easypostParcel(1, { length: 1, width: 1, height: 1 })).toEqual({ length: 0.4, width: 0.4, height: 0.4, weight: 0.1 });
  });

  it('names EasyPost carriers as OMS carrier ids routing rules can hold', () => {
    expect(easypostCarrierId('USPS')).toBe('easypost-usps');
    expect(easypostCarrierId('FedEx Ground')).toBe('easypost-fedex_ground');
    expect(adapter().carrierIds()).toEqual(['easypost-usps']);
  });
});

describe('EasyPost rates and labels', () => {
  it('rates the addresses and parcel, then buys the chosen rate on the shipment it rated: tracking code, tracker URL, the ZPL fetched without the API key', async () => {
    const start = fake.requests.length;
    const label = request();
    const carriers = adapter();
    const rates = await carriers.rates({ ...label, from: label.from, to: label.to });
    expect(rates).toEqual([
      { carrierId: 'easypost-usps', serviceLevel: 'GroundAdvantage', amount: 645, currency: 'USD', zone: 2, transitDays: 3, estimatedDelivery: '2026-11-27T20:00:00.000Z' },
      { carrierId: 'easypost-usps', serviceLevel: 'Priority', amount: 890, currency: 'USD', zone: 2, transitDays: 2, estimatedDelivery: '2026-11-26T20:00:00.000Z' },
      { carrierId: 'easypost-usps', serviceLevel: 'Express', amount: 3120, currency: 'USD', zone: 2, transitDays: 1, estimatedDelivery: '2026-11-25T20:00:00.000Z' },
    ]);
    const bought = await carriers.buyLabel(label);

    const calls = since(start);
    expect(calls.map((c) => `${c.method} ${c.path.replace(/shp_\d+/, 'shp_X').replace(/\/files\/.*/, '/files/…')}`)).toEqual(['POST /v2/shipments', 'POST /v2/shipments/shp_X/buy', 'GET /files/…']);
    expect(calls[0]?.authorization).toBe(`Basic ${Buffer.from(`${fake.apiKey}:`).toString('base64')}`);
    expect(calls[0]?.body).toEqual({
      shipment: {
        reference: label.idempotencyKey,
        to_address: { name: 'Jordan Example', street1: '742 Example Street', street2: 'Apt 3', city: 'Springfield', state: 'OR', zip: '97477', country: 'US', email: 'jordan.buyer@example.com' },
        from_address: { name: 'Shipping Desk', street1: '1 Sample Way', street2: 'Suite 100', city: 'Portland', state: 'OR', zip: '97201', country: 'US' },
        parcel: { length: 11.9, width: 7.9, height: 4, weight: 16.1 },
        options: { label_format: 'ZPL' },
      },
    });
    const shipment = [...fake.shipments.values()].find((s) => s['reference'] === label.idempotencyKey);
    const groundRate = (shipment?.['rates'] as { id: string; service: string }[]).find((r) => r.service === 'GroundAdvantage');
    expect(calls[1]?.body).toEqual({ rate: { id: groundRate?.id } });
    expect(calls[2]?.authorization).toBeUndefined();
    expect(bought).toEqual({
      carrierId: 'easypost-usps',
      serviceLevel: 'GroundAdvantage',
      rate: 645,
      currency: 'USD',
      estimatedDelivery: '2026-11-27T20:00:00.000Z',
      trackingNumber: shipment?.['tracking_code'],
      trackingUrl: `https://track.easypost.com/fake-${String(shipment?.['tracking_code'])}`,
      labelFormat: 'ZPL',
      label: expect.stringMatching(new RegExp(`^\\^XA[\\s\\S]*${String(shipment?.['tracking_code'])}[\\s\\S]*\\^XZ$`)),
      weightGrams: 454,
      zone: 2,
      shipmentId: shipment?.['id'],
    });
    expect(fake.purchases.get(String(shipment?.['id']))).toBe(1);
  });

  it('a second buy with the same key (a retried step, another process) re-reads the bought shipment and returns its label without buying again', async () => {
    const label = request();
    const first = await adapter().buyLabel(label);
    const start = fake.requests.length;
    const again = await adapter().buyLabel(label);
    expect(again).toEqual(first);
    expect(since(start).map((c) => `${c.method} ${c.path.replace(/\/files\/.*/, '/files/…')}`)).toEqual([`GET /v2/shipments/${String(first.shipmentId)}`, 'GET /files/…']);
    expect(fake.purchases.get(String(first.shipmentId))).toBe(1);
    expect([...fake.shipments.values()].filter((s) => s['reference'] === label.idempotencyKey)).toHaveLength(1);
  });

  it('when another attempt bought the rated shipment meanwhile, the refused buy re-reads it and answers the label bought', async () => {
    const label = request();
    const slow = adapter();
    await slow.rates({ ...label });
    const other = await adapter().buyLabel(label);
    const secondBuys = fake.secondBuys;
    const late = await slow.buyLabel(label);
    expect(fake.secondBuys).toBe(secondBuys + 1);
    expect(late).toEqual(other);
    expect(fake.purchases.get(String(other.shipmentId))).toBe(1);
  });

  it('buys a return label with is_return and the outbound addresses unchanged: the customer stays to_address, the warehouse from_address', async () => {
    const start = fake.requests.length;
    const customer = { name: 'Jordan Example', lines: ['742 Example Street', 'Apt 3'], city: 'Springfield', region: 'OR', postalCode: '97477', country: 'US' };
    const warehouse = { name: 'Shipping Desk', lines: ['1 Sample Way'], city: 'Portland', region: 'OR', postalCode: '97201', country: 'US' };
    const label = await adapter().buyLabel(request({ from: customer, to: warehouse, isReturn: true, idempotencyKey: `return-label:RMA-${n}` }));
    const create = since(start).find((c) => c.path === '/v2/shipments');
    expect(create?.body?.['shipment']).toMatchObject({
      is_return: true,
      to_address: { name: 'Jordan Example', street1: '742 Example Street', city: 'Springfield' },
      from_address: { name: 'Shipping Desk', street1: '1 Sample Way', city: 'Portland' },
    });
    expect(fake.shipments.get(String(label.shipmentId))).toMatchObject({ is_return: true });
  });

  it('retries a 429 (Retry-After) and a 500, and refunds a label through its shipment when it is voided', async () => {
    fake.failNext('/v2/shipments', 429, 1);
    const start = fake.requests.length;
    const carriers = adapter();
    const label = request();
    await carriers.rates({ ...label });
    fake.failNext('/v2/shipments/', 500, 1);
    const bought = await carriers.buyLabel(label);
    expect(since(start).filter((c) => c.path === '/v2/shipments')).toHaveLength(2);
    expect(since(start).filter((c) => c.path.endsWith('/buy'))).toHaveLength(2);
    expect(fake.purchases.get(String(bought.shipmentId))).toBe(1);

    await carriers.voidLabel(bought.carrierId, bought.trackingNumber, bought.shipmentId);
    expect(fake.refunds).toContain(bought.shipmentId);
    await expect(carriers.voidLabel(bought.carrierId, bought.trackingNumber)).rejects.toThrow(/no EasyPost shipment id/);
  });

  it('fails fast with the provider\'s answer on a wrong API key, a service it does not offer, or addresses it was not given', async () => {
    const start = fake.requests.length;
    const refused = adapter('EZTK_wrong').rates({ ...request() });
    await expect(refused).rejects.toBeInstanceOf(MarketplaceError);
    await expect(refused).rejects.toThrow(/HTTP 401/);
    expect(since(start)).toHaveLength(1);
    await expect(adapter().buyLabel(request({ serviceLevel: 'Teleport' }))).rejects.toThrow(/has no rate easypost-usps Teleport \(offered: easypost-usps GroundAdvantage/);
    await expect(adapter().rates({ zone: 2, weightGrams: 100, currency: 'USD', shipDate: new Date(), idempotencyKey: 'label:nowhere' })).rejects.toThrow(/no from\/to address/);
  });
});

describe('the carrier records', () => {
  it('file one shipment per key (the first wins) and each webhook event id once until forgotten', async () => {
    expect(await records.claimShipment('label:X-F1', 'shp_1')).toBe('shp_1');
    expect(await records.claimShipment('label:X-F1', 'shp_2')).toBe('shp_1');
    expect(await records.shipmentFor('label:X-F1')).toBe('shp_1');
    expect(await records.firstDelivery('easypost', 'evt_1')).toBe(true);
    expect(await records.firstDelivery('easypost', 'evt_1')).toBe(false);
    await records.forgetDelivery('easypost', 'evt_1');
    expect(await records.firstDelivery('easypost', 'evt_1')).toBe(true);
  });
});
