import { inventoryRepository, locationRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { putSkuPolicy } from '#shared/use-cases/inventory.ts';

const deps = { inventory: inventoryRepository(), locations: locationRepository(), clock: systemClock };

export const handler = httpHandler(operations.putSkuPolicy, async ({ params, body, principal }) => ({
  status: 200,
  body: await putSkuPolicy(deps, { sku: params.sku, input: body, actor: principal.id }),
}));
