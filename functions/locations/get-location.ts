import { locationRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getLocation } from '#shared/use-cases/locations.ts';

const deps = { locations: locationRepository() };

export const handler = httpHandler(operations.getLocation, async ({ params }) => {
  const location = await getLocation(deps, params.locationId);
  return { status: 200, body: location, headers: etag(location.version) };
});
