import * as z from 'zod';
import { GeoPoint, PostalAddress, Timestamp, Versioned, distinct, type Change } from './common.ts';
import { Slug } from './ids.ts';
import { canonicalJson } from './canonical-json.ts';

/**
 * A stock-holding place: a warehouse that ships, or a store that ships
 * and/or serves pickups. Routing (a later issue) chooses among active
 * locations; readiness tells operations why a location would be skipped.
 */

export const LocationId = Slug.meta({ description: 'Location id chosen by the merchant.', example: 'wh-boston' });

export const LocationType = z.enum(['warehouse', 'store']);
export type LocationType = z.infer<typeof LocationType>;

export const LocationCapability = z.enum(['ship', 'pickup', 'returns']).meta({
  description: '`ship`: ships orders. `pickup`: serves store pickups. `returns`: receives returned parcels (return policies with the `nearest` strategy pick among these).',
});
export type LocationCapability = z.infer<typeof LocationCapability>;

export const LocationInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    type: LocationType,
    address: PostalAddress,
    geo: GeoPoint.optional(),
    capabilities: distinct(LocationCapability).max(3).meta({ description: 'What the location can do for orders.' }),
    active: z.boolean().default(true),
    priority: z.number().int().min(0).max(1000).optional().meta({ description: 'Routing rules sorting by `priority` prefer lower numbers.' }),
    costPerShipment: z.number().int().min(0).optional().meta({ description: 'What one shipment from here costs to handle, minor units (routing rules sorting by `cost`).' }),
  })
  .meta({ id: 'LocationInput', description: 'The full desired state of a location (PUT replaces it).' });
export type LocationInput = z.infer<typeof LocationInput>;

export const ReadinessProblemCode = z.enum(['inactive', 'no_capabilities', 'no_geo']);

export const LocationReadiness = z
  .object({
    status: z.enum(['ready', 'needs_attention']),
    problems: z.array(z.object({ code: ReadinessProblemCode, message: z.string() })),
    checkedVersion: z.number().int().meta({ description: 'The location version this assessment is about.' }),
    checkedAt: Timestamp,
  })
  .meta({ id: 'LocationReadiness' });
export type LocationReadiness = z.infer<typeof LocationReadiness>;

export const Location = z
  .object({
    locationId: LocationId,
    name: z.string(),
    type: LocationType,
    address: PostalAddress,
    geo: GeoPoint.optional(),
    capabilities: z.array(LocationCapability),
    active: z.boolean(),
    priority: z.number().int().optional(),
    costPerShipment: z.number().int().optional(),
    ...Versioned,
    readiness: LocationReadiness.optional().meta({
      description: 'Set asynchronously by the location-readiness workflow after each change.',
    }),
  })
  .meta({ id: 'Location' });
export type Location = z.infer<typeof Location>;

/**
 * The state a PUT leads to. Pure: the caller decides whether to write.
 * An identical PUT is `unchanged` (no write, no event), so retries and
 * config-as-code tools that re-apply the same state stay quiet.
 */
export function applyLocationInput(
  existing: Location | undefined,
  locationId: string,
  input: LocationInput,
  now: Date,
): { location: Location; change: Change } {
  const desired = {
    name: input.name,
    type: input.type,
    address: input.address,
    ...(input.geo ? { geo: input.geo } : {}),
    capabilities: [...input.capabilities].sort(),
    active: input.active,
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
    ...(input.costPerShipment !== undefined ? { costPerShipment: input.costPerShipment } : {}),
  };
  if (!existing) {
    const at = now.toISOString();
    return { location: { locationId, ...desired, version: 1, createdAt: at, updatedAt: at }, change: 'created' };
  }
  const current = {
    name: existing.name,
    type: existing.type,
    address: existing.address,
    ...(existing.geo ? { geo: existing.geo } : {}),
    capabilities: existing.capabilities,
    active: existing.active,
    ...(existing.priority !== undefined ? { priority: existing.priority } : {}),
    ...(existing.costPerShipment !== undefined ? { costPerShipment: existing.costPerShipment } : {}),
  };
  if (canonicalJson(current) === canonicalJson(desired)) return { location: existing, change: 'unchanged' };
  // Readiness described the old state; the workflow assesses the new one.
  const { readiness: _stale, geo: _oldGeo, priority: _oldPriority, costPerShipment: _oldCost, ...identity } = existing;
  return {
    location: { ...identity, ...desired, version: existing.version + 1, updatedAt: now.toISOString() },
    change: 'updated',
  };
}

/**
 * Can routing use this location, and if not, why? Each problem names what an
 * operator has to fix.
 */
export function assessLocationReadiness(location: Location, now: Date): LocationReadiness {
  const problems: LocationReadiness['problems'] = [];
  if (!location.active) problems.push({ code: 'inactive', message: 'The location is inactive, so routing skips it.' });
  if (location.capabilities.length === 0) {
    problems.push({
      code: 'no_capabilities',
      message: 'The location has no capabilities: it can neither ship orders nor serve pickups.',
    });
  }
  if (!location.geo) {
    problems.push({
      code: 'no_geo',
      message: 'The location has no geo coordinates, so distance-based routing cannot rank it.',
    });
  }
  return {
    status: problems.length === 0 ? 'ready' : 'needs_attention',
    problems,
    checkedVersion: location.version,
    checkedAt: now.toISOString(),
  };
}
