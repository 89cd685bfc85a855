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

  it('says why every candidate that was not chosen lost, naming the sort key and both values', () => {
    const decision = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 2 }] }, { ruleSet: BUILT_IN_RULE_SET, locations, stock: stock({ A: { boston: 5, nyc: 4, la: 50 } }), now: NOW });
    expect(Object.fromEntries(decision.candidates.map((c) => [c.locationId, c.notChosenBecause]))).toEqual({
      boston: undefined,
      nyc: 'ranked below boston by distance (it is 303 km away; boston is 1.4 km away), and boston ships every line',
      chicago: 'has none of A available',
      la: 'ranked below boston by distance (it is 4170 km away; boston is 1.4 km away), and boston ships every line',
    });
    for (const c of decision.candidates) expect(Boolean(c.notChosenBecause)).toBe(!c.chosen);

    const byCost = ruleSet({ rules: [{ ruleId: 'cheap', sort: ['cost', 'priority'] }] });
    const cheapest = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: byCost, locations, stock: stock({ A: { boston: 5, chicago: 5, la: 5 } }), now: NOW });
    expect(cheapest.candidates.find((c) => c.locationId === 'chicago')?.notChosenBecause).toBe('ranked below la by cost (it has costPerShipment 300; la has costPerShipment 100), and la ships every line');
    const byStock = ruleSet({ rules: [{ ruleId: 's', sort: ['stock_balance'] }] });
    const fullest = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: byStock, locations, stock: stock({ A: { boston: 2, chicago: 9 } }), now: NOW });
    expect(fullest.candidates.find((c) => c.locationId === 'boston')?.notChosenBecause).toBe(
      'ranked below chicago by stock (it has 2 units of the ordered SKUs in stock; chicago has 9 units of the ordered SKUs in stock), and chicago ships every line',
    );
    const tied = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: ruleSet({ rules: [{ ruleId: 'p', sort: ['priority'] }] }), locations, stock: stock({ A: { boston: 1, chicago: 1 } }), now: NOW });
    expect(tied.candidates.find((c) => c.locationId === 'chicago')?.notChosenBecause).toBe('ties with boston on priority and comes after it by location id, and boston ships every line');
  });

  it('says when a location lost to the fewest shipments, to the split policy\'s limit, or to a hold', () => {
    const demand = [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ];
    const fewest = ruleSet({ rules: [{ ruleId: 'few', sort: ['distance'], split: { policy: 'fewest', maxShipments: 3 } }] });
    const one = route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: fewest, locations, stock: stock({ A: { boston: 5, chicago: 2 }, B: { chicago: 1 } }), now: NOW });
    expect(one.candidates.find((c) => c.locationId === 'boston')?.notChosenBecause).toBe('cannot ship every line alone (short of 1 × B); chicago, ranked below it, can, in one shipment');
    const pair = route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: fewest, locations, stock: stock({ A: { boston: 5, nyc: 1 }, B: { nyc: 1, chicago: 1, la: 1 } }), now: NOW });
    expect(pair.shipments.map((s) => s.locationId)).toEqual(['boston', 'nyc']);
    expect(pair.candidates.find((c) => c.locationId === 'chicago')?.notChosenBecause).toBe(
      'ranked below nyc by distance (it is 1366 km away; nyc is 303 km away), and boston and nyc already cover every line',
    );
    const threeSkus = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }, { sku: 'C', quantity: 1 }] }, { ruleSet: fewest, locations, stock: stock({ A: { boston: 1, nyc: 1 }, B: { nyc: 1, chicago: 1 }, C: { la: 1 } }), now: NOW });
    expect(Object.fromEntries(threeSkus.candidates.filter((c) => !c.chosen).map((c) => [c.locationId, c.notChosenBecause]))).toEqual({
      boston: 'cannot ship every line alone (short of 1 × B, 1 × C), nor with any one other location',
      chicago: 'with nyc it would still be short of 1 × C; nyc and la cover every line',
    });
    const threeParcels = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }, { sku: 'C', quantity: 1 }] }, { ruleSet: fewest, locations, stock: stock({ A: { boston: 1, nyc: 1 }, B: { chicago: 1 }, C: { la: 1 } }), now: NOW });
    expect(threeParcels.shipments.map((s) => s.locationId)).toEqual(['boston', 'chicago', 'la']);
    expect(threeParcels.candidates.find((c) => c.locationId === 'nyc')?.notChosenBecause).toBe('boston, chicago and la, each taken for covering the most of what was still missing, cover every line without it');

    const never = ruleSet({ rules: [{ ruleId: 'one-box', split: { policy: 'never' }, whenShort: { action: 'backorder' } }] });
    const oneBox = route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: never, locations, stock: stock({ A: { boston: 5 }, B: { la: 1 } }), now: NOW });
    expect(oneBox.candidates.find((c) => c.locationId === 'la')?.notChosenBecause).toBe('the rule ships from one location only, and boston has more of the order (2 of the 3 units ordered; it has 1)');
    const allowed = ruleSet({ rules: [{ ruleId: 'any', sort: ['distance'], split: { policy: 'allowed', maxShipments: 2 }, whenShort: { action: 'backorder' } }] });
    const limited = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 10 }] }, { ruleSet: allowed, locations, stock: stock({ A: { boston: 3, nyc: 3, chicago: 3 } }), now: NOW });
    expect(limited.candidates.find((c) => c.locationId === 'chicago')?.notChosenBecause).toBe(
      'the rule allows at most 2 shipments, taken by boston and nyc; ranked below nyc by distance (it is 1366 km away; nyc is 303 km away)',
    );
    const notNeeded = route({ fulfillment: ship, destination: toBoston, demand }, { ruleSet: allowed, locations, stock: stock({ A: { boston: 3, nyc: 3 }, B: { chicago: 1 } }), now: NOW });
    expect(notNeeded.candidates.find((c) => c.locationId === 'nyc')?.notChosenBecause).toBe('what it has of the order is already covered by boston, ranked above it');

    const hold = ruleSet({ rules: [{ ruleId: 'east', filters: { maxDistanceKm: 500 }, whenShort: { action: 'hold' } }] });
    const held = route({ fulfillment: ship, destination: toBoston, demand: [{ sku: 'A', quantity: 3 }] }, { ruleSet: hold, locations, stock: stock({ A: { boston: 1, la: 5 } }), now: NOW });
    expect(held.candidates.map((c) => [c.locationId, c.chosen, c.notChosenBecause])).toEqual([
      ['boston', false, 'rule east holds an order it cannot allocate in full (short of 2 × A): nothing was reserved'],
      ['nyc', false, 'has none of A available'],
      ['chicago', false, 'left out by rule east: 1366 km away, more than 500 km'],
      ['la', false, 'left out by rule east: 4170 km away, more than 500 km'],
    ]);
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
      candidates: [{ locationId: 'boston', excludedBecause: 'the store does not serve pickups', notChosenBecause: 'the store does not serve pickups' }],
    });
    expect(route({ fulfillment: pickup, demand: [{ sku: 'A', quantity: 1 }] }, { ruleSet: BUILT_IN_RULE_SET, locations, stock: stock({ A: { boston: 9 } }), now: NOW }).candidates).toEqual([
      expect.objectContaining({ locationId: 'nyc', chosen: false, notChosenBecause: 'has none of A available; the order waits for stock at the store' }),
    ]);
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
