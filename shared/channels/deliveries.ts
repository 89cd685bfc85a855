import * as z from 'zod';
import type { ChannelType } from '#shared/domain/channel.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { parseJson } from '#shared/domain/json.ts';
import { MAX_ORDER_LINES, OrderDraft } from '#shared/domain/order.ts';
import { AmazonOrder, AmazonOrderItem, amazonToDraft } from './amazon.ts';
import { EbayOrder, ebayToDraft } from './ebay.ts';
import { fitDraft } from './mapping.ts';
import { shopifyWebhooks } from './shopify.ts';
import type { WebhookAdapter } from './webhook-adapter.ts';
import { wooCommerceWebhooks } from './woocommerce.ts';

/** Channel types that push orders by webhook, and how. */
export const webhookAdapters: Partial<Record<ChannelType, WebhookAdapter<unknown>>> = {
  shopify: shopifyWebhooks as WebhookAdapter<unknown>,
  woocommerce: wooCommerceWebhooks as WebhookAdapter<unknown>,
};

/** What a poll of Amazon stores per order: the order and its items, as the SP-API returned them. */
export const AmazonDelivery = z.object({ order: AmazonOrder, items: z.array(AmazonOrderItem).max(MAX_ORDER_LINES) });

/**
 * The canonical draft of a stored delivery, whatever way it came in. Throws
 * a ValidationError naming the fields when the payload is not an order.
 *
 * This one function decides both whether a delivery is acknowledged
 * (receiveWebhook, the Shopify partner event, a poll before it stores an
 * order) and what capture makes of it, so what is acknowledged is captured:
 * texts beyond the OMS's limits are fitted with a warning (fitDraft), and
 * whatever still cannot be an order is refused before it is stored.
 */
export function draftFromDelivery(delivery: { channelId: string; channelType: ChannelType; body: string }): OrderDraft {
  const json = parseJson(delivery.body);
  const channel = { channelId: delivery.channelId };
  const draft = (() => {
    switch (delivery.channelType) {
      case 'shopify':
      case 'woocommerce': {
        const adapter = webhookAdapters[delivery.channelType];
        if (!adapter) throw new Error(`No adapter for ${delivery.channelType}`);
        return adapter.toDraft(validated(adapter.payload, json), channel);
      }
      case 'amazon': {
        const { order, items } = validated(AmazonDelivery, json);
        return amazonToDraft(order, items, channel);
      }
      case 'ebay':
        return ebayToDraft(validated(EbayOrder, json), channel);
      default:
        throw new ValidationError(`${delivery.channelType} orders come through POST /v1/orders, not as deliveries`);
    }
  })();
  return validated(OrderDraft, fitDraft(draft), 'The payload cannot be kept as an order');
}

/** Parses with a schema; a violation becomes a ValidationError naming each field. */
export function validated<T>(schema: z.ZodType<T>, value: unknown, message = 'The payload is not an order this channel sends'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    message,
    result.error.issues.map((issue) => ({ in: 'body' as const, path: issue.path.map(String).join('.'), message: issue.message, code: issue.code })),
  );
}
