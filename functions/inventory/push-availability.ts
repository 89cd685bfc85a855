import * as z from 'zod';
import { stockPusherFor } from '#shared/adapters/channel-stock.ts';
import { activeLocations, channelRepository, inventoryRepository, listingRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { logger } from '#shared/observability/powertools.ts';
import { queueBatchHandler } from '#shared/tasks/handler.ts';
import { pushAvailability, worthRetrying } from '#shared/use-cases/availability.ts';

const deps = {
  inventory: inventoryRepository(),
  listings: listingRepository(),
  channels: channelRepository(),
  activeLocations: activeLocations(),
  pusherFor: stockPusherFor,
  clock: systemClock,
};

/** The messages are event details: AvailabilityChanged (`data.sku`) or ListingChanged (`data.listing.sku`). */
const Message = z.object({
  data: z.union([z.object({ sku: z.string().min(1) }), z.object({ listing: z.object({ sku: z.string().min(1) }) })]),
});

/**
 * Consumer of the availability queue. The batch is grouped by SKU and each
 * SKU pushed once, with the figure read now: a burst of changes becomes one
 * update per channel. Messages of a SKU whose push should be tried again
 * (channel throttled or down, another push holding the lease) are returned
 * to the queue; permanent refusals are recorded on the listing instead.
 */
export const handler = queueBatchHandler(async (records) => {
  const bySku = new Map<string, string[]>();
  const retry: string[] = [];
  for (const record of records) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const parsed = Message.safeParse(body);
    if (!parsed.success) {
      logger.error('Not an availability message; it goes to the dead-letter queue', { messageId: record.messageId });
      retry.push(record.messageId);
      continue;
    }
    const sku = 'sku' in parsed.data.data ? parsed.data.data.sku : parsed.data.data.listing.sku;
    bySku.set(sku, [...(bySku.get(sku) ?? []), record.messageId]);
  }
  for (const [sku, messageIds] of bySku) {
    try {
      const outcomes = await pushAvailability(deps, sku);
      logger.info('Available-to-sell pushed', { sku, messages: messageIds.length, outcomes });
      if (worthRetrying(outcomes)) retry.push(...messageIds);
    } catch (error) {
      logger.error('Available-to-sell push failed; it will be retried', { sku, error: error as Error });
      retry.push(...messageIds);
    }
  }
  return retry;
});
