import { inventoryRepository, locationRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listLocationStock } from '#shared/use-cases/inventory.ts';

const deps = { inventory: inventoryRepository(), locations: locationRepository() };

export const handler = httpHandler(operations.listInventory, async ({ query }) => ({ status: 200, body: await listLocationStock(deps, query) }));
