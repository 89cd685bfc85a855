import { inventoryRepository, locationRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { applyMovements } from '#shared/use-cases/inventory.ts';

const deps = { inventory: inventoryRepository(), locations: locationRepository(), clock: systemClock };

export const handler = httpHandler(operations.postMovements, async ({ body }) => {
  const batch = 'movements' in body;
  const results = await applyMovements(deps, { movements: batch ? body.movements : [body], actor: 'api' });
  if (batch) return { status: 200, body: { results } };
  const [result] = results;
  if (result?.status === 'rejected') {
    // The request itself is wrong (422), or stock does not allow it now (409).
    if (result.code === 'unknown_location' || result.code === 'same_location') {
      const fields = 'locationId' in body ? { locationId: body.locationId } : { fromLocationId: body.fromLocationId, toLocationId: body.toLocationId };
      const named = Object.entries(fields).filter(([, id]) => result.code === 'same_location' || result.unknownLocations?.includes(id));
      throw new ValidationError(result.reason, named.map(([path]) => ({ in: 'body' as const, path, message: result.reason, code: result.code })));
    }
    throw new ConflictError(result.reason, result.code);
  }
  return { status: result?.status === 'applied' ? 201 : 200, body: { results } };
});
