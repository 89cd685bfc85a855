import { activeLocations, channelRepository, inventoryRepository, listingRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getSkuInventory } from '#shared/use-cases/inventory.ts';

const deps = { inventory: inventoryRepository(), listings: listingRepository(), channels: channelRepository(), activeLocations: activeLocations() };

export const handler = httpHandler(operations.getSkuInventory, async ({ params }) => ({ status: 200, body: await getSkuInventory(deps, params.sku) }));
