import * as z from 'zod';
import { channelRepository, inboxRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { receiveShopifyPartnerEvent } from '#shared/use-cases/receive-shopify-event.ts';

const deps = { channels: channelRepository(), inbox: inboxRepository(), clock: systemClock };

/**
 * Shopify webhooks delivered to an EventBridge partner event source (no public
 * endpoint, no signature: AWS authenticates Shopify). A rule on the partner
 * bus targets this function.
 */
export const handler = taskHandler(
  z.object({ id: z.string(), 'detail-type': z.string(), source: z.string(), detail: z.unknown() }),
  async (event) => receiveShopifyPartnerEvent(deps, event),
  { correlationId: (event) => event.id },
);
