import { listingRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getListing } from '#shared/use-cases/availability.ts';

const deps = { listings: listingRepository() };

export const handler = httpHandler(operations.getListing, async ({ params }) => {
  const listing = await getListing(deps, params.channelId, params.sku);
  return { status: 200, body: listing, headers: etag(listing.version) };
});
