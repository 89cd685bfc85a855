import * as z from 'zod';
import { shopifyWebhooks } from '#shared/channels/shopify.ts';
import { draftFromDelivery, validated } from '#shared/channels/deliveries.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { ChannelRepository, InboxRepository, Page, PageRequest } from '#shared/ports.ts';
import type { Channel } from '#shared/domain/channel.ts';
import type { WebhookOutcome } from './receive-webhook.ts';

/**
 * The envelope Shopify puts around a webhook when it delivers to an
 * EventBridge partner event source: the headers it would have sent in
 * `detail.metadata`, the order in `detail.payload`.
 */
export const ShopifyPartnerDetail = z.object({
  metadata: z.looseObject({
    'X-Shopify-Topic': z.string(),
    'X-Shopify-Shop-Domain': z.string(),
    'X-Shopify-Webhook-Id': z.string().optional(),
    'X-Shopify-API-Version': z.string().optional(),
  }),
  payload: z.unknown(),
});

/** Unwraps the partner event and stores it in the inbox like a webhook delivery; capture follows from the queue. */
export async function receiveShopifyPartnerEvent(
  deps: { channels: Pick<ChannelRepository, 'list'>; inbox: InboxRepository; clock: Clock },
  event: { id: string; detail: unknown },
): Promise<WebhookOutcome> {
  const { metadata, payload } = validated(ShopifyPartnerDetail, event.detail);
  const shopDomain = metadata['X-Shopify-Shop-Domain'];
  const channel = await findShopifyChannel(deps.channels, shopDomain);
  if (!channel) throw new NotFoundError(`No Shopify channel is set up for ${shopDomain}`);
  const topic = metadata['X-Shopify-Topic'];
  const kind = shopifyWebhooks.classify({ headers: { 'x-shopify-topic': topic }, rawBody: Buffer.alloc(0) });
  if (kind.kind !== 'order') return { outcome: 'ignored', topic };
  // The mapping capture runs: an event that cannot become an order is refused here, never stored to fail capture.
  const body = JSON.stringify(payload);
  draftFromDelivery({ channelId: channel.channelId, channelType: 'shopify', body });
  const deliveryId = metadata['X-Shopify-Webhook-Id'] ?? `eventbridge:${event.id}`;
  const stored = await deps.inbox.put({
    channelId: channel.channelId,
    channelType: 'shopify',
    deliveryId,
    via: 'eventbridge',
    topic,
    receivedAt: deps.clock.now().toISOString(),
    headers: Object.fromEntries(Object.entries(metadata).map(([name, value]) => [name.toLowerCase(), String(value)])),
    contentType: 'application/json',
    correlationId: event.id,
    body,
  });
  return { outcome: stored, deliveryId, topic };
}

async function findShopifyChannel(channels: Pick<ChannelRepository, 'list'>, shopDomain: string): Promise<Channel | undefined> {
  let cursor: string | undefined;
  do {
    const page: Page<Channel> = await channels.list({ limit: 100, cursor } satisfies PageRequest);
    const match = page.items.find((c) => c.type === 'shopify' && c.settings['shopDomain'] === shopDomain.toLowerCase());
    if (match) return match;
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}
