import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { startOms } from '#infra/local/runtime.ts';
import { newId } from '#shared/domain/ids.ts';
import { wmsIdOfSource, wmsLocationsFrom } from '#shared/domain/wms.ts';
import { lambdaContext } from '../support/api-events.ts';
import { must } from '../support/fixtures.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * FulfillmentReported on the bus: each WMS has its own source `wms.<wmsId>`
 * (on AWS only its role may put it) and may report for its own locations
 * only (OMS_WMS_LOCATIONS), like a `fulfillment:report` key limited to
 * locations. The consumer is called as the rule calls it, on DynamoDB Local.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let world: ReturnType<typeof fulfillmentWorld>;
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<{ outcome: string; reason?: string; orderStatus?: string }>;
const suffix = newId().slice(-6).toLowerCase();
const a = `wh-a-${suffix}`;
const b = `wh-b-${suffix}`;
const c = `wh-c-${suffix}`;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
  // WMS `alpha` runs warehouses a and c, `beta` runs b.
  process.env['OMS_WMS_LOCATIONS'] = JSON.stringify({ alpha: [a, c], beta: [b] });
  ({ handler } = (await import('#functions/fulfillment/apply-wms-report.ts')) as unknown as { handler: typeof handler });
});

const busEvent = (source: string, fulfillmentId: string, type: 'accepted' | 'shipped' = 'accepted') => ({
  version: '0',
  id: newId(),
  source,
  'detail-type': 'FulfillmentReported',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail: FulfillmentReported.create({ fulfillmentId, report: { type } }, { occurredAt: new Date(), actor: 'wms:beta' }).detail,
});

describe('FulfillmentReported from a WMS', () => {
  it('is applied for a fulfillment at one of its locations, as wms:<wmsId> (not the actor the event claims)', async () => {
    const { order, parcels: [atA] } = await world.routedOrder([{ sku: `WMS-A-${newId()}`, quantity: 1, at: a }]);
    const result = await handler(busEvent('wms.alpha', must(atA).fulfillmentId), lambdaContext('applyWmsReport'));
    expect(result).toMatchObject({ outcome: 'applied' });
    expect((await world.fulfillments.get(must(atA).fulfillmentId))?.status).toBe('accepted');
    const entries = await world.orders.timeline(order.orderId, { limit: 100 });
    expect(entries.items.filter((e) => e.type === 'fulfillment_accepted').map((e) => e.actor)).toEqual(['wms:alpha']);
  });

  it('is refused, with nothing written, for another location, from an unknown WMS, from the plain `wms` source, or for an unknown fulfillment', async () => {
    const { parcels: [atB] } = await world.routedOrder([{ sku: `WMS-B-${newId()}`, quantity: 1, at: b }]);
    const fb = must(atB).fulfillmentId;
    const before = await allItems(db, tableName);
    const refusals = [];
    for (const event of [busEvent('wms.alpha', fb, 'shipped'), busEvent('wms.ghost', fb), busEvent('wms', fb), busEvent('wms.beta', `ful-${newId()}`)]) {
      refusals.push(await handler(event, lambdaContext('applyWmsReport')));
    }
    expect(refusals).toEqual([
      { outcome: 'refused', reason: `wms:alpha may report for locations ${a}, ${c} only, not ${b}` },
      { outcome: 'refused', reason: expect.stringMatching(/^Source wms\.ghost is not a configured WMS \(OMS_WMS_LOCATIONS names wms\.alpha, wms\.beta\)/) },
      { outcome: 'refused', reason: expect.stringContaining('Source wms is not a configured WMS') },
      { outcome: 'refused', reason: expect.stringContaining('does not exist') },
    ]);
    expect(await allItems(db, tableName)).toEqual(before);
    // Its own WMS may.
    expect(await handler(busEvent('wms.beta', fb), lambdaContext('applyWmsReport'))).toMatchObject({ outcome: 'applied' });
  });
});

describe('WMS configuration', () => {
  it('reads OMS_WMS_LOCATIONS, and refuses a malformed one naming the problem', () => {
    expect(wmsLocationsFrom({})).toEqual({});
    expect(wmsLocationsFrom({ OMS_WMS_LOCATIONS: '{"east":["wh-east","wh-north"]}' })).toEqual({ east: ['wh-east', 'wh-north'] });
    expect(() => wmsLocationsFrom({ OMS_WMS_LOCATIONS: 'east=wh-east' })).toThrow('Invalid configuration: OMS_WMS_LOCATIONS must be JSON');
    expect(() => wmsLocationsFrom({ OMS_WMS_LOCATIONS: '{"east":[]}' })).toThrow('Invalid configuration: OMS_WMS_LOCATIONS east: Name at least one location');
    expect(() => wmsLocationsFrom({ OMS_WMS_LOCATIONS: '{"East Coast":["wh-east"]}' })).toThrow(/OMS_WMS_LOCATIONS .*lowercase letters/);
  });

  it('a malformed OMS_WMS_LOCATIONS, or wmsLocations option, stops the local runtime before it starts anything', async () => {
    const configured = process.env['OMS_WMS_LOCATIONS'];
    try {
      process.env['OMS_WMS_LOCATIONS'] = '{"east":"wh-east"}';
      await expect(startOms({ port: 0, dynamoEndpoint: 'http://127.0.0.1:9' })).rejects.toThrow('Invalid configuration: OMS_WMS_LOCATIONS east:');
    } finally {
      process.env['OMS_WMS_LOCATIONS'] = configured;
    }
    await expect(startOms({ port: 0, dynamoEndpoint: 'http://127.0.0.1:9', wmsLocations: { east: [] } })).rejects.toThrow('Invalid configuration: OMS_WMS_LOCATIONS east: Name at least one location');
  });

  it('knows a WMS by its source wms.<wmsId> only', () => {
    expect(wmsIdOfSource('wms.east')).toBe('east');
    for (const source of ['wms', 'wms.', 'wms.East', 'oms.orders', 'wmsx.east']) expect(wmsIdOfSource(source)).toBeUndefined();
  });
});
