import { locationRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { etag, httpHandler, ifMatchVersion } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { putLocation } from '#shared/use-cases/locations.ts';

const deps = { locations: locationRepository(), clock: systemClock };

export const handler = httpHandler(operations.putLocation, async ({ params, body, headers, correlationId, principal }) => {
  const { location, change } = await putLocation(deps, {
    locationId: params.locationId,
    input: body,
    ifMatch: ifMatchVersion(headers),
    actor: principal.id,
    correlationId,
  });
  return { status: change === 'created' ? 201 : 200, body: location, headers: etag(location.version) };
});
