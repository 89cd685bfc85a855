import { LocationChanged } from '#events/location-changed.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { NotFoundError, PreconditionFailedError } from '#shared/domain/errors.ts';
import { LocationId, applyLocationInput, type Location, type LocationInput } from '#shared/domain/location.ts';
import type { Change } from '#shared/domain/common.ts';
import type { LocationRepository, Page, PageRequest } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { retryOnConcurrentModification } from './retry.ts';

export interface LocationDeps {
  locations: LocationRepository;
  clock: Clock;
}

/**
 * Create or replace a location. With `ifMatch` the caller's version must still
 * be current (412 otherwise); without it, a lost race is retried on fresh
 * state. A change is saved together with its LocationChanged event.
 */
export async function putLocation(
  deps: LocationDeps,
  command: { locationId: string; input: LocationInput; ifMatch?: number | undefined } & Actor,
): Promise<{ location: Location; change: Change }> {
  return retryOnConcurrentModification(async () => {
    const existing = await deps.locations.get(command.locationId);
    if (command.ifMatch !== undefined && existing?.version !== command.ifMatch) {
      throw new PreconditionFailedError(
        `Location ${command.locationId} is at version ${existing?.version ?? 'none'}, not ${command.ifMatch}`,
      );
    }
    const now = deps.clock.now();
    const { location, change } = applyLocationInput(existing, command.locationId, command.input, now);
    if (change === 'unchanged') return { location, change };
    const event = LocationChanged.create({ change, location }, { occurredAt: now, ...actorOf(command) });
    await deps.locations.save(location, { expectedVersion: existing?.version ?? null, events: [event] });
    return { location, change };
  }, command.ifMatch === undefined ? 3 : 1);
}

export async function getLocation(deps: Pick<LocationDeps, 'locations'>, locationId: string): Promise<Location> {
  // An id that could never have been created is simply not found (and never reaches DynamoDB).
  const location = LocationId.safeParse(locationId).success ? await deps.locations.get(locationId) : undefined;
  if (!location) throw new NotFoundError(`Location ${locationId} does not exist`);
  return location;
}

export function listLocations(deps: Pick<LocationDeps, 'locations'>, page: PageRequest): Promise<Page<Location>> {
  return deps.locations.list(page);
}
