import { inventoryRepository, locationRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { ConflictError, ValidationError, type ErrorDetail } from '#shared/domain/errors.ts';
import { describeMovement, type HeldMovement } from '#shared/domain/inventory.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { applyMovements } from '#shared/use-cases/inventory.ts';

const deps = { inventory: inventoryRepository(), locations: locationRepository(), clock: systemClock };

export const handler = httpHandler(operations.postMovements, async ({ body, principal }) => {
  const batch = 'movements' in body;
  const results = await applyMovements(deps, { movements: batch ? body.movements : [body], actor: principal.id });
  if (batch) return { status: 200, body: { results } };
  const [result] = results;
  if (result?.status === 'rejected') {
    // The request itself is wrong (422), or stock does not allow it now (409).
    if (result.code === 'unknown_location' || result.code === 'same_location') {
      const fields = 'locationId' in body ? { locationId: body.locationId } : { fromLocationId: body.fromLocationId, toLocationId: body.toLocationId };
      const named = Object.entries(fields).filter(([, id]) => result.code === 'same_location' || result.unknownLocations?.includes(id));
      throw new ValidationError(result.reason, named.map(([path]) => ({ in: 'body' as const, path, message: result.reason, code: result.code })));
    }
    if (result.code === 'movement_id_reused' && result.heldBy) throw new ConflictError(result.reason, result.code, heldByDetails(result.heldBy));
    throw new ConflictError(result.reason, result.code);
  }
  return { status: result?.status === 'applied' ? 201 : 200, body: { results } };
});

/** The movement that holds the id, field by field (`heldBy.sku`: `MUG-1`), after the field of this request it is about. */
function heldByDetails(heldBy: HeldMovement): ErrorDetail[] {
  const { movementId, recordedAt, ...content } = heldBy;
  const fields = ['movementId', 'recordedAt', 'type', 'sku', 'locationId', 'fromLocationId', 'toLocationId', 'quantity', 'onHand', 'safetyStock', 'reference'] as const;
  return [
    { in: 'body', path: 'movementId', code: 'movement_id_reused', message: `${movementId} already holds ${describeMovement(content)}, recorded ${recordedAt}` },
    ...fields.filter((field) => heldBy[field] !== undefined).map((field) => ({ path: `heldBy.${field}`, message: String(heldBy[field]) })),
  ];
}
