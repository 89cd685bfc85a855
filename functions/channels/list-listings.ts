import { channelRepository, listingRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listListings } from '#shared/use-cases/availability.ts';

const deps = { listings: listingRepository(), channels: channelRepository() };

export const handler = httpHandler(operations.listListings, async ({ params, query }) => ({
  status: 200,
  body: await listListings(deps, params.channelId, query),
}));
