import { LocationChanged } from '#events/location-changed.ts';
import { locationRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { assessReadiness } from '#shared/use-cases/location-readiness.ts';

const deps = { locations: locationRepository(), clock: systemClock };

/** Task `AssessReadiness` of the location-readiness workflow; its input is the LocationChanged detail. */
export const handler = taskHandler(
  LocationChanged.detail,
  async ({ metadata, data }) => ({
    ...(await assessReadiness(deps, { locationId: data.location.locationId, version: data.location.version })),
    correlationId: metadata.correlationId ?? metadata.eventId,
  }),
  { correlationId: ({ metadata }) => metadata.correlationId ?? metadata.eventId },
);
