import { inventoryRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listSkuMovements } from '#shared/use-cases/inventory.ts';

const deps = { inventory: inventoryRepository() };

export const handler = httpHandler(operations.listMovements, async ({ params, query }) => ({ status: 200, body: await listSkuMovements(deps, params.sku, query) }));
