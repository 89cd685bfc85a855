import * as z from 'zod';
import { CountryCode, Timestamp, Versioned, distinct, type GeoPoint } from './common.ts';
import { distanceKm, locate, type Destination, type GeoSource } from './geo.ts';
import { Slug } from './ids.ts';
import { LocationType, type Location } from './location.ts';
import type { StockPosition } from './inventory.ts';
import type { Need } from './reservation.ts';
import { HoldRule, HoldRuleResult } from './routing-holds.ts';

/**
 * Routing (sourcing) rules as data: which locations an order's units come
 * from. A rule set is an ordered list of rules; each filters the candidate
 * locations, sorts them, splits the order as its policy allows, and says
 * what happens when it cannot allocate everything. `route` is pure: it
 * explains every decision (candidates, the rule that won, why others lost)
 * and the reservation transaction commits it.
 */

export const RuleSetId = Slug.meta({ description: '`default`, or a channel id: that channel\'s orders use this rule set.', example: 'default' });

export const SortKey = z.enum(['distance', 'stock_balance', 'cost', 'priority']).meta({
  description:
    '`distance`: nearest to the shipping address first (great-circle). `stock_balance`: most units of the ordered SKUs first. `cost`: lowest `costPerShipment` first. `priority`: lowest location `priority` first.',
});
export type SortKey = z.infer<typeof SortKey>;

export const RoutingRule = z
  .strictObject({
    ruleId: Slug,
    description: z.string().max(500).optional(),
    filters: z
      .strictObject({
        orderCountries: distinct(CountryCode).min(1).optional().meta({ description: 'The rule applies only to orders shipping to these countries.' }),
        locationTypes: distinct(LocationType).min(1).optional(),
        locationIds: distinct(Slug).min(1).max(100).optional(),
        locationCountries: distinct(CountryCode).min(1).optional(),
        locationRegions: distinct(z.string().min(1).max(100)).min(1).optional(),
        maxDistanceKm: z.number().positive().max(40_000).optional().meta({ description: 'Locations farther than this from the shipping address are skipped.' }),
      })
      .default({})
      .meta({ description: 'Only active locations that can ship are candidates; these narrow them further.' }),
    sort: z.array(SortKey).max(4).default(['distance', 'priority']).meta({ description: 'Sort keys in order; later keys break ties. The location id breaks the last tie.' }),
    split: z
      .strictObject({
        policy: z.enum(['never', 'fewest', 'allowed']).default('fewest').meta({
          description: '`never`: one location ships everything. `fewest`: as few shipments as possible. `allowed`: take from locations in sort order.',
        }),
        maxShipments: z.number().int().min(1).max(10).default(3),
      })
      .default({ policy: 'fewest', maxShipments: 3 }),
    whenShort: z
      .discriminatedUnion('action', [
        z.strictObject({ action: z.literal('next_rule') }),
        z.strictObject({ action: z.literal('backorder') }),
        z.strictObject({ action: z.literal('hold') }),
        z.strictObject({ action: z.literal('cancel_after'), hours: z.number().int().min(1).max(24 * 90) }),
      ])
      .default({ action: 'next_rule' })
      .meta({
        description:
          'When the rule cannot allocate everything: try the next rule; reserve what it can and backorder the rest (if the SKU allows backorders, else hold); hold the order for review reserving nothing; or backorder and cancel the order if still short after `hours`.',
      }),
  })
  .meta({ description: 'One rule: filters, sort keys, split policy, and what to do when it cannot allocate everything.' });
export type RoutingRule = z.infer<typeof RoutingRule>;

export const CarrierSelection = z
  .strictObject({
    strategy: z.enum(['cheapest_on_time', 'fastest', 'fixed']).default('cheapest_on_time').meta({
      description: '`cheapest_on_time`: the cheapest rate that meets the promised delivery date (fastest if none does). `fastest`: earliest delivery. `fixed`: always `carrierId` and `serviceLevel`.',
    }),
    carrierId: Slug.optional(),
    serviceLevel: z.string().min(1).max(50).optional(),
  })
  .refine((c) => c.strategy !== 'fixed' || (c.carrierId && c.serviceLevel), { message: 'A fixed carrier needs carrierId and serviceLevel', path: ['carrierId'] });
export type CarrierSelection = z.infer<typeof CarrierSelection>;

export const RuleSetInput = z
  .strictObject({
    description: z.string().max(500).optional(),
    rules: z
      .array(RoutingRule)
      .min(1)
      .max(20)
      .refine((rules) => new Set(rules.map((r) => r.ruleId)).size === rules.length, 'Rule ids must be distinct'),
    holds: z
      .array(HoldRule)
      .max(20)
      .refine((holds) => new Set(holds.map((r) => r.ruleId)).size === holds.length, 'Hold rule ids must be distinct')
      .optional()
      .meta({ description: 'Conditions on the order (value above a threshold, billing and shipping countries differ) that hold it for review when it is first routed; it still reserves. See docs/routing.md.' }),
    carrier: CarrierSelection.default({ strategy: 'cheapest_on_time' }),
    invoicing: z
      .strictObject({
        per: z.enum(['shipment', 'order']).default('shipment'),
        series: z.string().regex(/^[A-Z0-9][A-Z0-9-]{0,19}$/, 'Use 1-20 upper-case letters, digits or "-"').default('INV'),
        creditNoteSeries: z
          .string()
          .regex(/^[A-Z0-9][A-Z0-9-]{0,19}$/, 'Use 1-20 upper-case letters, digits or "-"')
          .default('CN')
          .meta({ description: 'Series of the credit notes refunds issue (gap-free, numbered apart from the invoices).' }),
      })
      .default({ per: 'shipment', series: 'INV', creditNoteSeries: 'CN' }),
    acceptWithinMinutes: z.number().int().min(1).max(7 * 24 * 60).default(240).meta({
      description: 'A location that has not accepted a fulfillment within this time loses it: its lines are re-routed.',
    }),
    defaultUnitWeightGrams: z.number().int().min(1).max(1_000_000).default(500).meta({ description: 'Weight of a unit whose SKU policy has no weight (for rates).' }),
  })
  .meta({ id: 'RoutingRuleSetInput', description: 'The full desired state of a rule set (PUT replaces it).' });
export type RuleSetInput = z.infer<typeof RuleSetInput>;

export const RuleSet = RuleSetInput.extend({ ruleSetId: RuleSetId, ...Versioned }).meta({ id: 'RoutingRuleSet' });
export type RuleSet = z.infer<typeof RuleSet>;

/** What applies when no rule set is stored: nearest first, fewest shipments, backorder what is short. */
export const BUILT_IN_RULE_SET: RuleSet = {
  ...RuleSetInput.parse({
    description: 'Built in: nearest location first (most stock when distances are unknown), as few shipments as possible (at most 3), backorder what is short.',
    rules: [{ ruleId: 'nearest', sort: ['distance', 'stock_balance'], split: { policy: 'fewest', maxShipments: 3 }, whenShort: { action: 'backorder' } }],
  }),
  ruleSetId: 'built-in',
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const Units = z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) }));

export const RoutingCandidate = z.object({
  locationId: z.string(),
  eligible: z.boolean(),
  excludedBecause: z.string().optional(),
  rank: z.number().int().optional(),
  distanceKm: z.number().optional(),
  costPerShipment: z.number().int().optional(),
  priority: z.number().int().optional(),
  availableUnits: z.number().int().meta({ description: 'Units of the ordered SKUs available there (capped at what the order needs).' }),
  chosen: z.boolean(),
  notChosenBecause: z.string().optional().meta({
    description:
      'On every candidate not chosen: why, from the decision itself — left out by a filter; ranked below a chosen location by the rule\'s sort (the key and both values); not needed because the chosen locations cover every line; the split policy\'s limit; no stock of what is missing; or the rule held the order.',
    example: 'ranked below wh-boston by distance (it is 312 km away; wh-boston is 2 km away), and wh-boston ships every line',
  }),
});
export type RoutingCandidate = z.infer<typeof RoutingCandidate>;

export const RoutingDecision = z
  .object({
    ruleSetId: z.string(),
    ruleSetVersion: z.number().int(),
    ruleId: z.string().nullable().meta({ description: 'The rule that decided; null when no rule could (pickup orders, exhausted rules).' }),
    outcome: z.enum(['allocated', 'partial', 'held', 'unallocated']),
    action: z.enum(['backorder', 'hold', 'cancel_after', 'pickup_unavailable']).optional(),
    cancelIfShortBy: Timestamp.optional(),
    destination: z.object({
      country: z.string().optional(),
      postalCode: z.string().optional(),
      geo: z.object({ lat: z.number(), lon: z.number() }).optional(),
      geoSource: z.enum(['address', 'postal_centroid', 'region_centroid', 'country_centroid', 'none']),
    }),
    rules: z.array(
      z.object({
        ruleId: z.string(),
        result: z.enum(['won', 'short', 'not_applicable', 'no_candidates']),
        message: z.string(),
      }),
    ),
    candidates: z.array(RoutingCandidate).meta({ description: 'The locations the deciding (or last tried) rule considered, best first.' }),
    shipments: z.array(z.object({ locationId: z.string(), lines: Units, distanceKm: z.number().optional() })),
    shortages: Units,
    excludedLocationIds: z.array(z.string()).optional().meta({ description: 'Locations left out because they rejected or did not accept this order before.' }),
    holdRules: z.array(HoldRuleResult).optional().meta({ description: "What each of the rule set's hold rules found when the order was first routed (present when the rule set has hold rules); `held`: it put the order on hold for review." }),
    decidedAt: Timestamp,
  })
  .meta({ id: 'RoutingDecision' });
export type RoutingDecision = z.infer<typeof RoutingDecision>;

export interface RoutingRequest {
  fulfillment: { type: 'ship' | 'pickup' | 'carry_out'; locationId?: string | undefined };
  destination?: Destination | undefined;
  demand: readonly Need[];
  /** Locations that rejected or timed out on this order. */
  excludeLocationIds?: readonly string[];
}

export interface RoutingInputs {
  ruleSet: RuleSet;
  locations: readonly Location[];
  /** Positions per SKU (all locations, all shards). */
  stock: ReadonlyMap<string, readonly StockPosition[]>;
  now: Date;
}

interface Candidate {
  location: Location;
  distanceKm: number | undefined;
  /** Units available per SKU (over shards, positive only). */
  available: Map<string, number>;
}

/** Routes one order (or the part of it still to place). Pure and deterministic. */
export function route(request: RoutingRequest, inputs: RoutingInputs): RoutingDecision {
  const { ruleSet, now } = inputs;
  const located = request.destination ? locate(request.destination) : { source: 'none' as GeoSource };
  const decidedAt = now.toISOString();
  const excluded = new Set(request.excludeLocationIds ?? []);
  const base = {
    ruleSetId: ruleSet.ruleSetId,
    ruleSetVersion: ruleSet.version,
    destination: {
      ...(request.destination?.country ? { country: request.destination.country } : {}),
      ...(request.destination?.postalCode ? { postalCode: request.destination.postalCode } : {}),
      ...(located.geo ? { geo: located.geo } : {}),
      geoSource: located.source,
    },
    ...(excluded.size ? { excludedLocationIds: [...excluded].sort() } : {}),
    decidedAt,
  };
  const candidateOf = (location: Location): Candidate => ({
    location,
    distanceKm: located.geo && location.geo ? toTenth(distanceKm(located.geo, location.geo)) : undefined,
    available: availableAt(location.locationId, request.demand, inputs.stock),
  });

  if (request.fulfillment.type !== 'ship') {
    // Pickup and carry-out: the customer chose the store; it serves them or the order is held.
    const store = inputs.locations.find((l) => l.locationId === request.fulfillment.locationId);
    const why = !store
      ? `store ${request.fulfillment.locationId ?? '(none)'} does not exist`
      : !store.active
        ? 'the store is inactive'
        : request.fulfillment.type === 'pickup' && !store.capabilities.includes('pickup')
          ? 'the store does not serve pickups'
          : excluded.has(store.locationId)
            ? 'the store rejected this order'
            : undefined;
    if (why || !store) {
      const candidates = store ? [asCandidate(candidateOf(store), request.demand, { eligible: false, excludedBecause: why ?? 'unknown store', chosen: false, notChosenBecause: why ?? 'unknown store' })] : [];
      return { ...base, ruleId: null, outcome: 'held', action: 'pickup_unavailable', rules: [], candidates, shipments: [], shortages: [...request.demand] };
    }
    // The store serves the order; what it lacks waits for stock there (if the SKU allows backorders).
    const candidate = candidateOf(store);
    const shipments = takeInOrder([candidate], request.demand);
    const shortages = shortOf(request.demand, shipments);
    const candidates = [
      asCandidate(candidate, request.demand, {
        eligible: true,
        rank: 1,
        chosen: shipments.length > 0,
        ...(shipments.length > 0 ? {} : { notChosenBecause: `${noStockOf(request.demand)}; the order waits for stock at the store` }),
      }),
    ];
    if (shortages.length === 0) return { ...base, ruleId: null, outcome: 'allocated', rules: [], candidates, shipments, shortages: [] };
    return { ...base, ruleId: null, outcome: shipments.length ? 'partial' : 'unallocated', action: 'backorder', rules: [], candidates, shipments, shortages };
  }

  const rules: RoutingDecision['rules'] = [];
  let lastCandidates: RoutingCandidate[] = [];
  let fallback: { shipments: Shipment[]; candidates: RoutingCandidate[] } | undefined;
  for (const rule of ruleSet.rules) {
    const { orderCountries } = rule.filters;
    if (orderCountries && !(request.destination && orderCountries.includes(request.destination.country))) {
      rules.push({ ruleId: rule.ruleId, result: 'not_applicable', message: `Applies to orders shipping to ${orderCountries.join(', ')}; this one ships to ${request.destination?.country ?? 'an unknown country'}.` });
      continue;
    }
    const considered = inputs.locations.map((location) => ({ candidate: candidateOf(location), why: exclusion(rule, location, excluded, located.geo) }));
    const eligible = sortCandidates(
      considered.filter((c) => !c.why).map((c) => c.candidate),
      rule.sort,
      request.demand,
    );
    const allocation = allocate(rule, eligible, request.demand);
    const { shipments } = allocation;
    const shortages = shortOf(request.demand, shipments);
    const decided: Decided = { rule, ranked: eligible, demand: request.demand, allocation, shortages };
    const chosen = new Set(shipments.map((s) => s.locationId));
    const candidates = [
      ...eligible.map((c, index) =>
        asCandidate(c, request.demand, {
          eligible: true,
          rank: index + 1,
          chosen: chosen.has(c.location.locationId),
          ...(chosen.has(c.location.locationId) ? {} : { notChosenBecause: whyNotChosen(c, decided) }),
        }),
      ),
      ...considered.flatMap((c) => (c.why ? [asCandidate(c.candidate, request.demand, { eligible: false, excludedBecause: c.why, chosen: false, notChosenBecause: `left out by rule ${rule.ruleId}: ${c.why}` })] : [])),
    ].slice(0, 25);
    lastCandidates = candidates;
    if (eligible.length === 0) {
      rules.push({ ruleId: rule.ruleId, result: 'no_candidates', message: 'No active location that ships passes the filters.' });
    } else if (shortages.length === 0) {
      rules.push({ ruleId: rule.ruleId, result: 'won', message: `${shipments.length} shipment${shipments.length === 1 ? '' : 's'}: ${shipments.map((s) => s.locationId).join(', ')}.` });
      return { ...base, ruleId: rule.ruleId, outcome: 'allocated', rules, candidates, shipments: withDistance(shipments, eligible), shortages: [] };
    } else {
      rules.push({
        ruleId: rule.ruleId,
        result: 'short',
        message: `Short of ${shortages.map((s) => `${s.quantity} × ${s.sku}`).join(', ')} ${describeSplit(rule)}.`,
      });
    }
    if (rule.whenShort.action === 'next_rule') {
      if (!fallback || unitsOf(shipments) > unitsOf(fallback.shipments)) fallback = { shipments: withDistance(shipments, eligible), candidates };
      continue;
    }
    const shipped = withDistance(shipments, eligible);
    if (rule.whenShort.action === 'hold') {
      // Nothing is reserved: the locations the allocation would have used are not chosen either.
      const held = `rule ${rule.ruleId} holds an order it cannot allocate in full (short of ${unitList(shortages)}): nothing was reserved`;
      const unchosen = candidates.map((c) => (c.chosen ? { ...c, chosen: false, notChosenBecause: held } : c));
      return { ...base, ruleId: rule.ruleId, outcome: 'held', action: 'hold', rules, candidates: unchosen, shipments: [], shortages: [...request.demand] };
    }
    return {
      ...base,
      ruleId: rule.ruleId,
      outcome: shipments.length ? 'partial' : 'unallocated',
      action: rule.whenShort.action,
      ...(rule.whenShort.action === 'cancel_after' ? { cancelIfShortBy: new Date(now.getTime() + rule.whenShort.hours * 3_600_000).toISOString() } : {}),
      rules,
      candidates,
      shipments: shipped,
      shortages,
    };
  }
  // Every rule passed the order on: reserve the best partial allocation found and backorder the rest.
  const best = fallback ?? { shipments: [], candidates: lastCandidates };
  return {
    ...base,
    ruleId: null,
    outcome: best.shipments.length ? 'partial' : 'unallocated',
    action: 'backorder',
    rules,
    candidates: best.candidates,
    shipments: best.shipments,
    shortages: shortOf(request.demand, best.shipments),
  };
}

interface Shipment {
  locationId: string;
  lines: Need[];
  distanceKm?: number;
}

function toTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

function availableAt(locationId: string, demand: readonly Need[], stock: ReadonlyMap<string, readonly StockPosition[]>): Map<string, number> {
  const available = new Map<string, number>();
  for (const need of demand) {
    const units = (stock.get(need.sku) ?? []).filter((p) => p.locationId === locationId && p.available > 0).reduce((sum, p) => sum + p.available, 0);
    if (units > 0) available.set(need.sku, units);
  }
  return available;
}

function exclusion(rule: RoutingRule, location: Location, excluded: ReadonlySet<string>, destination: GeoPoint | undefined): string | undefined {
  const f = rule.filters;
  if (!location.active) return 'inactive';
  if (!location.capabilities.includes('ship')) return 'cannot ship';
  if (excluded.has(location.locationId)) return 'rejected or did not accept this order before';
  if (f.locationTypes && !f.locationTypes.includes(location.type)) return `type ${location.type} is not ${f.locationTypes.join('/')}`;
  if (f.locationIds && !f.locationIds.includes(location.locationId)) return 'not among the rule\'s locations';
  if (f.locationCountries && !f.locationCountries.includes(location.address.country)) return `in ${location.address.country}, not ${f.locationCountries.join('/')}`;
  if (f.locationRegions && !(location.address.region && f.locationRegions.includes(location.address.region))) return `region ${location.address.region ?? 'unknown'} is not ${f.locationRegions.join('/')}`;
  if (f.maxDistanceKm !== undefined) {
    if (!destination || !location.geo) return 'distance unknown (maxDistanceKm needs coordinates)';
    const km = distanceKm(destination, location.geo);
    if (km > f.maxDistanceKm) return `${Math.round(km)} km away, more than ${f.maxDistanceKm} km`;
  }
  return undefined;
}

/** Units of the demand a location can give (each SKU capped at what is ordered). */
function unitsFor(c: Candidate, demand: readonly Need[]): number {
  return demand.reduce((sum, d) => sum + Math.min(d.quantity, c.available.get(d.sku) ?? 0), 0);
}

/** One comparator per sort key: negative when `a` ranks before `b`. */
function comparators(demand: readonly Need[]): Record<SortKey, (a: Candidate, b: Candidate) => number> {
  const missingLast = (a: number | undefined, b: number | undefined) => (a === undefined ? (b === undefined ? 0 : 1) : b === undefined ? -1 : a - b);
  return {
    distance: (a, b) => missingLast(a.distanceKm, b.distanceKm),
    stock_balance: (a, b) => unitsFor(b, demand) - unitsFor(a, demand) || totalAvailable(b) - totalAvailable(a),
    cost: (a, b) => missingLast(a.location.costPerShipment, b.location.costPerShipment),
    priority: (a, b) => missingLast(a.location.priority, b.location.priority),
  };
}

function sortCandidates(candidates: Candidate[], sort: readonly SortKey[], demand: readonly Need[]): Candidate[] {
  const compare = comparators(demand);
  return [...candidates].sort((a, b) => {
    for (const key of sort) {
      const order = compare[key](a, b);
      if (order !== 0) return order;
    }
    return a.location.locationId.localeCompare(b.location.locationId);
  });
}

function totalAvailable(c: Candidate): number {
  return [...c.available.values()].reduce((sum, n) => sum + n, 0);
}

function covers(candidates: readonly Candidate[], demand: readonly Need[]): boolean {
  return demand.every((d) => candidates.reduce((sum, c) => sum + (c.available.get(d.sku) ?? 0), 0) >= d.quantity);
}

/** Takes each SKU from the given locations in order. */
function takeInOrder(candidates: readonly Candidate[], demand: readonly Need[]): Shipment[] {
  const byLocation = new Map<string, Need[]>();
  for (const need of demand) {
    let remaining = need.quantity;
    for (const c of candidates) {
      if (remaining === 0) break;
      const take = Math.min(remaining, c.available.get(need.sku) ?? 0);
      if (take === 0) continue;
      byLocation.set(c.location.locationId, [...(byLocation.get(c.location.locationId) ?? []), { sku: need.sku, quantity: take }]);
      remaining -= take;
    }
  }
  return candidates.flatMap((c) => {
    const lines = byLocation.get(c.location.locationId);
    return lines ? [{ locationId: c.location.locationId, lines }] : [];
  });
}

/**
 * How the locations were picked, which is also why the others were not:
 * `single` the best-ranked location that has everything; `one_location` the
 * one that has the most (a rule that never splits, short); `in_order`
 * locations in sort order while they add something missing (`allowed`);
 * `pair` the best-ranked pair that has everything; `greedy` the location
 * covering most of what is still missing, repeatedly, within the limit.
 */
interface Allocation {
  shipments: Shipment[];
  by: 'single' | 'one_location' | 'in_order' | 'pair' | 'greedy';
}

function allocate(rule: RoutingRule, sorted: readonly Candidate[], demand: readonly Need[]): Allocation {
  const { policy, maxShipments } = rule.split;
  const single = sorted.find((c) => covers([c], demand));
  if (single) return { shipments: takeInOrder([single], demand), by: 'single' };
  if (policy === 'never' || maxShipments === 1) {
    // Short: the one location that covers the most units (sort order breaks ties).
    const best = greedy(sorted, demand, 1);
    return { shipments: takeInOrder(best, demand), by: 'one_location' };
  }
  if (policy === 'allowed') {
    const used: Candidate[] = [];
    for (const c of sorted) {
      if (used.length === maxShipments || covers(used, demand)) break;
      if (demand.some((d) => (c.available.get(d.sku) ?? 0) > 0 && !covers(used, [d]))) used.push(c);
    }
    return { shipments: takeInOrder(used, demand), by: 'in_order' };
  }
  // fewest: the best-ranked pair that covers everything, else greedy set cover within the limit.
  const top = sorted.slice(0, 30);
  for (const [i, first] of top.entries()) {
    for (const second of top.slice(i + 1)) {
      if (covers([first, second], demand)) return { shipments: takeInOrder([first, second], demand), by: 'pair' };
    }
  }
  return { shipments: takeInOrder(greedy(sorted, demand, maxShipments), demand), by: 'greedy' };
}

/** Repeatedly picks the location that covers the most still-missing units. */
function greedy(sorted: readonly Candidate[], demand: readonly Need[], limit: number): Candidate[] {
  const chosen: Candidate[] = [];
  const missing = new Map(demand.map((d) => [d.sku, d.quantity]));
  while (chosen.length < limit) {
    let best: Candidate | undefined;
    let bestUnits = 0;
    for (const c of sorted) {
      if (chosen.includes(c)) continue;
      const units = [...missing].reduce((sum, [sku, q]) => sum + Math.min(q, c.available.get(sku) ?? 0), 0);
      if (units > bestUnits) {
        best = c;
        bestUnits = units;
      }
    }
    if (!best) break;
    chosen.push(best);
    for (const [sku, q] of missing) missing.set(sku, Math.max(0, q - (best.available.get(sku) ?? 0)));
  }
  // Keep the chosen locations in the rule's sort order.
  return sorted.filter((c) => chosen.includes(c));
}

function shortOf(demand: readonly Need[], shipments: readonly Shipment[]): Need[] {
  return demand
    .map((d) => ({ sku: d.sku, quantity: d.quantity - shipments.reduce((sum, s) => sum + s.lines.filter((l) => l.sku === d.sku).reduce((n, l) => n + l.quantity, 0), 0) }))
    .filter((d) => d.quantity > 0);
}

function unitsOf(shipments: readonly Shipment[]): number {
  return shipments.reduce((sum, s) => sum + s.lines.reduce((n, l) => n + l.quantity, 0), 0);
}

function withDistance(shipments: Shipment[], candidates: readonly Candidate[]): Shipment[] {
  return shipments.map((s) => {
    const km = candidates.find((c) => c.location.locationId === s.locationId)?.distanceKm;
    return km === undefined ? s : { ...s, distanceKm: km };
  });
}

function describeSplit(rule: RoutingRule): string {
  if (rule.split.policy === 'never' || rule.split.maxShipments === 1) return 'from any single location';
  return `within ${rule.split.maxShipments} shipments`;
}

function asCandidate(c: Candidate, demand: readonly Need[], extra: Pick<RoutingCandidate, 'eligible' | 'chosen'> & Partial<RoutingCandidate>): RoutingCandidate {
  return {
    locationId: c.location.locationId,
    ...(c.distanceKm !== undefined ? { distanceKm: c.distanceKm } : {}),
    ...(c.location.costPerShipment !== undefined ? { costPerShipment: c.location.costPerShipment } : {}),
    ...(c.location.priority !== undefined ? { priority: c.location.priority } : {}),
    availableUnits: unitsFor(c, demand),
    ...extra,
  };
}

/** A rule's decision, as far as explaining its losers needs it. */
interface Decided {
  rule: RoutingRule;
  /** The eligible locations, best first. */
  ranked: readonly Candidate[];
  demand: readonly Need[];
  allocation: Allocation;
  shortages: readonly Need[];
}

const idOf = (c: Candidate) => c.location.locationId;

function names(candidates: readonly Candidate[]): string {
  const ids = candidates.map(idOf);
  return ids.length <= 1 ? (ids[0] ?? '') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}

function unitList(needs: readonly Need[]): string {
  return needs.map((n) => `${n.quantity} × ${n.sku}`).join(', ');
}

function noStockOf(demand: readonly Need[]): string {
  const skus = demand.map((d) => d.sku);
  return `has none of ${skus.length === 1 ? skus[0] : `${skus.slice(0, -1).join(', ')} or ${skus.at(-1)}`} available`;
}

/**
 * Why the rule's sort put `c` below `above`: the first sort key that tells
 * them apart, with both values ("by distance (it is 312 km away; wh-boston is
 * 2 km away)"), or the location id when every key ties.
 */
function rankedBelow(c: Candidate, above: Candidate, d: Decided): string {
  const compare = comparators(d.demand);
  const ordered = d.demand.reduce((sum, n) => sum + n.quantity, 0);
  const key = d.rule.sort.find((k) => compare[k](above, c) !== 0);
  const value = (x: Candidate): string => {
    switch (key) {
      case 'distance':
        return x.distanceKm === undefined ? 'has no coordinates' : `is ${x.distanceKm < 10 ? x.distanceKm : Math.round(x.distanceKm)} km away`;
      case 'stock_balance':
        return unitsFor(c, d.demand) !== unitsFor(above, d.demand) ? `has ${unitsFor(x, d.demand)} of the ${ordered} units ordered` : `has ${totalAvailable(x)} units of the ordered SKUs in stock`;
      case 'cost':
        return x.location.costPerShipment === undefined ? 'has no costPerShipment' : `has costPerShipment ${x.location.costPerShipment}`;
      case 'priority':
        return x.location.priority === undefined ? 'has no priority' : `has priority ${x.location.priority}`;
      default:
        return '';
    }
  };
  const label: Record<SortKey, string> = { distance: 'distance', stock_balance: 'stock', cost: 'cost', priority: 'priority' };
  if (!key) return `ties with ${idOf(above)}${d.rule.sort.length ? ` on ${d.rule.sort.map((k) => label[k]).join(', ')}` : ''} and comes after it by location id`;
  return `ranked below ${idOf(above)} by ${label[key]} (it ${value(c)}; ${idOf(above)} ${value(above)})`;
}

/**
 * Why an eligible location was not chosen, derived from how the rule picked
 * (see Allocation): no stock of what is ordered, ranked below a chosen
 * location, not needed once the chosen ones cover every line, or the split
 * policy's limit.
 */
function whyNotChosen(c: Candidate, d: Decided): string {
  const { demand, ranked, allocation, shortages } = d;
  if (unitsFor(c, demand) === 0) return noStockOf(demand);
  const chosen = ranked.filter((x) => allocation.shipments.some((s) => s.locationId === idOf(x)));
  const last = chosen.at(-1);
  if (!last) return 'no location was chosen';
  const rank = (x: Candidate) => ranked.indexOf(x);
  const lacking = (locations: readonly Candidate[]) => unitList(shortOf(demand, takeInOrder(locations, demand)));
  const coveredAbove = chosen.filter((x) => rank(x) < rank(c));
  const { maxShipments } = d.rule.split;

  switch (allocation.by) {
    case 'single':
      if (rank(c) > rank(last)) return `${rankedBelow(c, last, d)}, and ${idOf(last)} ships every line`;
      return `cannot ship every line alone (short of ${lacking([c])}); ${idOf(last)}, ranked below it, can, in one shipment`;
    case 'pair': {
      const [first] = chosen;
      if (rank(c) > rank(last)) return `${rankedBelow(c, last, d)}, and ${names(chosen)} already cover every line`;
      if (!first || rank(c) < rank(first)) return `cannot ship every line alone (short of ${lacking([c])}), nor with any one other location`;
      return `with ${idOf(first)} it would still be short of ${lacking([first, c])}; ${names(chosen)} cover every line`;
    }
    case 'in_order':
      if (coveredAbove.length < chosen.length) return `what it has of the order is already covered by ${names(coveredAbove)}, ranked above it`;
      if (shortages.length === 0) return `${rankedBelow(c, last, d)}, and ${names(chosen)} already cover every line`;
      if (chosen.length >= maxShipments) return `the rule allows at most ${maxShipments} shipment${maxShipments === 1 ? '' : 's'}, taken by ${names(chosen)}; ${rankedBelow(c, last, d)}`;
      return `what it has of the order is already covered by ${names(coveredAbove)}, ranked above it`;
    case 'one_location': {
      const more = unitsFor(last, demand) > unitsFor(c, demand);
      const ordered = demand.reduce((sum, n) => sum + n.quantity, 0);
      return `the rule ships from one location only, and ${idOf(last)} has ${more ? 'more' : 'as much'} of the order (${unitsFor(last, demand)} of the ${ordered} units ordered; it has ${unitsFor(c, demand)})${more ? '' : `; ${rankedBelow(c, last, d)}`}`;
    }
    case 'greedy':
      if (shortages.length === 0) return `${names(chosen)}, each taken for covering the most of what was still missing, cover every line without it`;
      if (chosen.length >= maxShipments) return `the rule allows at most ${maxShipments} shipments, and ${names(chosen)} cover more of the order`;
      return `has nothing of what is still missing (short of ${unitList(shortages)})`;
  }
}

/**
 * Problems that make a rule set useless with the current locations: a rule
 * set none of whose rules can ever have a candidate is rejected (with each
 * rule's reason); rules that match nothing while others do are warnings.
 */
export function checkRuleSet(input: RuleSetInput, locations: readonly Location[]): { errors: { path: string; message: string }[]; warnings: { path: string; message: string }[] } {
  const dead: { path: string; message: string }[] = [];
  input.rules.forEach((rule, index) => {
    const matching = locations.filter((l) => !exclusion({ ...rule, filters: { ...rule.filters, maxDistanceKm: undefined } }, l, new Set(), undefined));
    if (matching.length === 0) {
      const reasons = [...new Set(locations.map((l) => exclusion(rule, l, new Set(), undefined)).filter(Boolean))].slice(0, 3);
      dead.push({
        path: `rules.${index}.filters`,
        message: `Rule ${rule.ruleId} matches no active location that ships${reasons.length ? ` (${reasons.join('; ')})` : locations.length === 0 ? ' (there are no locations)' : ''}`,
      });
    }
  });
  if (dead.length === input.rules.length) return { errors: [{ path: 'rules', message: 'This rule set can never allocate: no rule has a candidate location.' }, ...dead], warnings: [] };
  return { errors: [], warnings: dead };
}
