import { channelRepository, listingRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { deleteListing } from '#shared/use-cases/availability.ts';

const deps = { listings: listingRepository(), channels: channelRepository(), clock: systemClock };

export const handler = httpHandler(operations.deleteListing, async ({ params, correlationId, principal }) => {
  await deleteListing(deps, { channelId: params.channelId, sku: params.sku, actor: principal.id, correlationId });
  return { status: 204 };
});
