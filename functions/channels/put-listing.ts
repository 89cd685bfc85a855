import { channelRepository, listingRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { etag, httpHandler, ifMatchVersion } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { putListing } from '#shared/use-cases/availability.ts';

const deps = { listings: listingRepository(), channels: channelRepository(), clock: systemClock };

export const handler = httpHandler(operations.putListing, async ({ params, body, headers, correlationId, principal }) => {
  const { listing, change } = await putListing(deps, {
    channelId: params.channelId,
    sku: params.sku,
    input: body,
    ifMatch: ifMatchVersion(headers),
    actor: principal.id,
    correlationId,
  });
  return { status: change === 'created' ? 201 : 200, body: listing, headers: etag(listing.version) };
});
