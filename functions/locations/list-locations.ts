import { locationRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listLocations } from '#shared/use-cases/locations.ts';

const deps = { locations: locationRepository() };

export const handler = httpHandler(operations.listLocations, async ({ query }) => ({
  status: 200,
  body: await listLocations(deps, query),
}));
