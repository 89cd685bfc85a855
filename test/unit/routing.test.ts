import { describe, expect, it } from 'vitest';
import { distanceKm, locate } from '#shared/domain/geo.ts';
import type { StockPosition } from '#shared/domain/inventory.ts';
import type { Location } from '#shared/domain/location.ts';
import { BUILT_IN_RULE_SET, RuleSetInput, checkRuleSet, route, type RuleSet } from '#shared/domain/routing.ts';
import { must } from '../support/fixtures.ts';

const NOW = new Date('2026-11-27T12:00:00.000Z');

function location(locationId: string, geo: { lat: number; lon: number } | undefined, overrides: Partial<Location> = {}): Location {
  return {
    locationId,
    name: locationId,
    type: 'warehouse',
    address: { lines: ['1 St'], city: 'X', region: 'MA', postalCode: '02108', country: 'US' },
    ...(geo ? { geo } : {}),
    capabilities: ['ship'],
    active: true,
    version: 1,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...overrides,
  };
}

const BOSTON = { lat: 42.36, lon: -71.06 };
const NYC = { lat: 40.75, lon: -73.99 };
const CHICAGO = { lat: 41.88, lon: -87.63 };
const LA = { lat: 34.05, lon: -118.24 };

const locations = [location('boston', BOSTON), location('nyc', NYC, { type: 'store', capabilities: ['ship', 'pickup'], priority: 1 }), location('chicago', CHICAGO, { costPerShipment: 300 }), location('la', LA, { costPerShipment: 100 })];

function stock(entries: Record<string, Record<string, number>>): Map<string, StockPosition[]> {
  const map = new Map<string, StockPosition[]>();
  for (const [sku, at] of Object.entries(entries)) {
    map.set(
      sku,
      Object.entries(at).map(([locationId, available]) => ({ sku, locationId, shard: 0, onHand: available, reserved: 0, safetyStock: 0, available, updatedAt: NOW.toISOString() })),
    );
  }
  return map;
}

function ruleSet(input: unknown): RuleSet {
  return { ...RuleSetInput.parse(input), ruleSetId: 'test', version: 3, createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() };
}

const toBoston = { country: 'US', region: 'MA', postalCode: '02110', geo: { lat: 42.35, lon: -71.05 } };
const ship = { type: 'ship' as const };

describe('geo', () => {
  it('measures great-circle distances', () => {
    // London to Paris: 343.5 km (haversine on the mean Earth radius).
    expect(distanceKm({ lat: 51.5074, lon: -0.1278 }, { lat: 48.8566, lon: 2.3522 })).toBeCloseTo(343.56, 1);
    expect(Math.round(distanceKm(BOSTON, LA))).toBeGreaterThan(4100);
    expect(distanceKm(BOSTON, BOSTON)).toBe(0);
  });

  it('locates an address by its own coordinates, else its ZIP, region or country centroid', () => {
    expect(locate({ country: 'US', geo: BOSTON })).toEqual({ geo: BOSTON, source: 'address' });
    expect(locate({ country: 'US', postalCode: '90012-1234' }).source).toBe('postal_centroid');
    expect(distanceKm(must(locate({ country: 'US', postalCode: '90012' }).geo), LA)).toBeLessThan(400);
    expect(locate({ country: 'US', postalCode: 'unknown', region: 'tx' }).source).toBe('region_centroid');
    expect(locate({ country: 'DE', postalCode: '10115' }).source).toBe('country_centroid');
    expect(locate({ country: 'ZZ' })).toEqual({ source: 'none' });
  });
});

describe('routing rules', () => {
  it('picks the nearest location that has everything, and explains every candidate', () => {
    const decision = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 2 }] }, { ruleSet: BUILT_IN_RULE_SET, locations, stock: stock({ A: { boston: 5, la: 50 } }), now: NOW });
    expect(decision).toMatchObject({ ruleId: 'nearest', outcome: 'allocated', shipments: [{ locationId: 'boston', lines: [{ sku: 'A', quantity: 2 }] }], shortages: [] });
    expect(decision.candidates.map((c) => [c.locationId, c.rank, c.chosen])).toEqual([
      ['boston', 1, true],
      ['nyc', 2, false],
      ['chicago', 3, false],
      ['la', 4, false],
    ]);
    expect(decision.candidates[0]?.distanceKm).toBeLessThan(5);
    expect(decision.rules).toEqual([{ ruleId: 'nearest', result: 'won', message: '1 shipment: boston.' }]);
    expect(decision.destination.geoSource).toBe('address');
  });

  it('sorts by cost, priority and stock balance when the rule says so, breaking ties by the next key', () => {
    const byCost = ruleSet({ rules: [{ ruleId: 'cheap', sort: ['cost', 'distance'] }] });
    const everywhere = stock({ A: { boston: 5, nyc: 5, chicago: 5, la: 5 } });
    expect(route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: byCost, locations, stock: everywhere, now: NOW }).shipments[0]?.locationId).toBe('la');
    const byPriority = ruleSet({ rules: [{ ruleId: 'p', sort: ['priority', 'distance'] }] });
    expect(route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: byPriority, locations, stock: everywhere, now: NOW }).shipments[0]?.locationId).toBe('nyc');
    const byStock = ruleSet({ rules: [{ ruleId: 's', sort: ['stock_balance'] }] });
    expect(route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: byStock, locations, stock: stock({ A: { boston: 2, chicago: 9 } }), now: NOW }).shipments[0]?.locationId).toBe('chicago');
  });

  it('splits into the fewest shipments, prefers one location that has everything over a nearer partial one, and never splits when told not to', () => {
    const demand = [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ];
    const fewest = ruleSet({ rules: [{ ruleId: 'few', sort: ['distance'], split: { policy: 'fewest', maxShipments: 3 } }] });
    // Boston has A only, Chicago has both: one shipment from Chicago beats two.
    const one = route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: fewest, locations, stock: stock({ A: { boston: 5, chicago: 2 }, B: { chicago: 1, la: 1 } }), now: NOW });
    expect(one.shipments.map((s) => s.locationId)).toEqual(['chicago']);
    // Nobody has both: the best-ranked pair.
    const two = route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: fewest, locations, stock: stock({ A: { boston: 5 }, B: { la: 1, chicago: 1 } }), now: NOW });
    expect(two.shipments.map((s) => [s.locationId, s.lines])).toEqual([
      ['boston', [{ sku: 'A', quantity: 2 }]],
      ['chicago', [{ sku: 'B', quantity: 1 }]],
    ]);
    const never = ruleSet({ rules: [{ ruleId: 'one-box', split: { policy: 'never' }, whenShort: { action: 'backorder' } }] });
    const short = route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: never, locations, stock: stock({ A: { boston: 5 }, B: { la: 1 } }), now: NOW });
    expect(short).toMatchObject({ outcome: 'partial', action: 'backorder', shipments: [{ locationId: 'boston' }], shortages: [{ sku: 'B', quantity: 1 }] });
  });

  it('takes from locations in sort order when splitting is allowed, up to the shipment limit', () => {
    const allowed = ruleSet({ rules: [{ ruleId: 'any', sort: ['distance'], split: { policy: 'allowed', maxShipments: 2 }, whenShort: { action: 'backorder' } }] });
    const decision = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 10 }] }, { ruleSet: allowed, locations, stock: stock({ A: { boston: 3, nyc: 3, chicago: 3, la: 3 } }), now: NOW });
    expect(decision.shipments.map((s) => [s.locationId, s.lines[0]?.quantity])).toEqual([
      ['boston', 3],
      ['nyc', 3],
    ]);
    expect(decision.shortages).toEqual([{ sku: 'A', quantity: 4 }]);
  });

  it('passes to the next rule, holds, or cancels after a deadline when a rule cannot allocate everything', () => {
    const demand = [{ sku: 'A', quantity: 3 }];
    const inventory = stock({ A: { boston: 1, la: 5 } });
    const cascade = ruleSet({
      rules: [
        { ruleId: 'east', filters: { maxDistanceKm: 500 }, whenShort: { action: 'next_rule' } },
        { ruleId: 'anywhere', sort: ['distance'] },
      ],
    });
    const next = route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: cascade, locations, stock: inventory, now: NOW });
    expect(next).toMatchObject({ ruleId: 'anywhere', outcome: 'allocated', shipments: [{ locationId: 'la' }] });
    expect(next.rules.map((r) => [r.ruleId, r.result])).toEqual([
      ['east', 'short'],
      ['anywhere', 'won'],
    ]);
    expect(next.candidates.find((c) => c.locationId === 'la')).toMatchObject({ chosen: true });

    const hold = ruleSet({ rules: [{ ruleId: 'east', filters: { maxDistanceKm: 500 }, whenShort: { action: 'hold' } }] });
    expect(route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: hold, locations, stock: inventory, now: NOW })).toMatchObject({ outcome: 'held', action: 'hold', shipments: [] });

    const deadline = ruleSet({ rules: [{ ruleId: 'east', filters: { maxDistanceKm: 500 }, whenShort: { action: 'cancel_after', hours: 48 } }] });
    expect(route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: deadline, locations, stock: inventory, now: NOW })).toMatchObject({
      outcome: 'partial',
      action: 'cancel_after',
      cancelIfShortBy: '2026-11-29T12:00:00.000Z',
      shipments: [{ locationId: 'boston', lines: [{ sku: 'A', quantity: 1 }] }],
      shortages: [{ sku: 'A', quantity: 2 }],
    });

    // Every rule passed it on: the best partial allocation is kept and the rest backordered.
    const allPass = ruleSet({ rules: [{ ruleId: 'east', filters: { maxDistanceKm: 500 } }] });
    expect(route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: allPass, locations, stock: inventory, now: NOW })).toMatchObject({ ruleId: null, outcome: 'partial', action: 'backorder' });
  });

  it('applies filters and says why each location was left out', () => {
    const rules = ruleSet({
      rules: [{ ruleId: 'stores-in-ny', filters: { orderCountries: ['US'], locationTypes: ['store'], locationRegions: ['NY'] } }],
    });
    const withRegions = [...locations.slice(0, 1), location('nyc', NYC, { type: 'store', address: { lines: ['x'], city: 'New York', region: 'NY', postalCode: '10001', country: 'US' } }), location('closed', NYC, { active: false }), location('pickup-only', NYC, { capabilities: ['pickup'] })];
    const decision = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }], excludeLocationIds: ['boston'] }, { ruleSet: rules, locations: withRegions, stock: stock({ A: { boston: 9, nyc: 1 } }), now: NOW });
    expect(decision.shipments.map((s) => s.locationId)).toEqual(['nyc']);
    expect(Object.fromEntries(decision.candidates.filter((c) => !c.eligible).map((c) => [c.locationId, c.excludedBecause]))).toEqual({
      boston: 'rejected or did not accept this order before',
      closed: 'inactive',
      'pickup-only': 'cannot ship',
    });
    const abroad = route({ fulfillment: ship, destination: { country: 'CA', postalCode: 'M5V' }, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: rules, locations: withRegions, stock: stock({ A: { nyc: 1 } }), now: NOW });
    expect(abroad.rules).toEqual([expect.objectContaining({ result: 'not_applicable' })]);
  });

  it('ranks locations with unknown coordinates last by distance, and uses postal centroids when the address has none', () => {
    const withUnknown = [location('nowhere', undefined), location('la', LA)];
    const decision = route({ fulfillment: ship, destination: { country: 'US', postalCode: '90210' }, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: BUILT_IN_RULE_SET, locations: withUnknown, stock: stock({ A: { nowhere: 5, la: 1 } }), now: NOW });
    expect(decision.destination.geoSource).toBe('postal_centroid');
    expect(decision.shipments[0]?.locationId).toBe('la');
    expect(decision.candidates.find((c) => c.locationId === 'nowhere')?.distanceKm).toBeUndefined();
  });

  it('sends pickups to the chosen store, backorders what it lacks, and holds pickups it cannot serve', () => {
    const pickup = { type: 'pickup' as const, locationId: 'nyc' };
    expect(route({ fulfillment: pickup, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: BUILT_IN_RULE_SET, locations, stock: stock({ A: { nyc: 1, boston: 9 } }), now: NOW })).toMatchObject({
      outcome: 'allocated',
      shipments: [{ locationId: 'nyc' }],
    });
    expect(route({ fulfillment: pickup, demand: [{ sku: 'A', quantity: 2 }] }, { ruleSet: BUILT_IN_RULE_SET, locations, stock: stock({ A: { nyc: 1, boston: 9 } }), now: NOW })).toMatchObject({
      outcome: 'partial',
      action: 'backorder',
      shortages: [{ sku: 'A', quantity: 1 }],
    });
    expect(route({ fulfillment: { type: 'pickup', locationId: 'boston' }, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: BUILT_IN_RULE_SET, locations, stock: stock({ A: { boston: 9 } }), now: NOW })).toMatchObject({
      outcome: 'held',
      action: 'pickup_unavailable',
      candidates: [{ locationId: 'boston', excludedBecause: 'the store does not serve pickups' }],
    });
    expect(route({ fulfillment: { type: 'pickup', locationId: 'gone' }, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: BUILT_IN_RULE_SET, locations, stock: stock({}), now: NOW })).toMatchObject({ outcome: 'held', action: 'pickup_unavailable' });
  });

  it('refuses a rule set that can never allocate, with each rule\'s reason, and warns about dead rules', () => {
    const dead = RuleSetInput.parse({ rules: [{ ruleId: 'ghost', filters: { locationIds: ['nowhere'] } }, { ruleId: 'mars', filters: { locationCountries: ['ZZ'] } }] });
    const { errors } = checkRuleSet(dead, locations);
    expect(errors.map((e) => e.path)).toEqual(['rules', 'rules.0.filters', 'rules.1.filters']);
    expect(errors[2]?.message).toContain('in US, not ZZ');
    const partly = RuleSetInput.parse({ rules: [{ ruleId: 'ghost', filters: { locationIds: ['nowhere'] } }, { ruleId: 'all' }] });
    expect(checkRuleSet(partly, locations)).toMatchObject({ errors: [], warnings: [{ path: 'rules.0.filters' }] });
    expect(RuleSetInput.safeParse({ rules: [{ ruleId: 'a' }, { ruleId: 'a' }] }).success).toBe(false);
    expect(RuleSetInput.safeParse({ rules: [] }).success).toBe(false);
    expect(RuleSetInput.safeParse({ rules: [{ ruleId: 'a' }], carrier: { strategy: 'fixed', carrierId: 'parcelco' } }).success).toBe(false);
  });
});
