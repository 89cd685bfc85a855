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
    if (result.reason.startsWith('Unknown location') || result.reason.includes('two different locations')) {
      throw new ValidationError(result.reason, [{ in: 'body', path: 'locationId', message: result.reason }]);
    }
    throw new ConflictError(result.reason, 'insufficient_stock');
  }
  return { status: result?.status === 'applied' ? 201 : 200, body: { results } };
});
