import type * as z from 'zod';
import type { Channel, ChannelSecrets, ChannelType } from '#shared/domain/channel.ts';
import type { ComplianceTopic } from '#shared/domain/compliance.ts';
import type { OrderDraft } from '#shared/domain/order.ts';

export interface WebhookRequest {
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
}

export type WebhookClass =
  /** A channel's "is this endpoint alive" call: answered 200, nothing stored. */
  | { kind: 'ping' }
  /** A topic the OMS does not consume: acknowledged so the channel does not retry, nothing stored. */
  | { kind: 'ignored'; topic: string }
  /** An order payload; `deliveryKey` identifies the delivery across the channel's retries. */
  | { kind: 'order'; topic: string; deliveryKey: string | undefined }
  /** A privacy request of the channel's platform (Shopify's mandatory compliance webhooks): stored as a compliance request, acted on after. */
  | { kind: 'compliance'; topic: ComplianceTopic; deliveryKey: string | undefined };

/** How one channel type's webhooks are verified, recognized, validated and mapped. */
export interface WebhookAdapter<P> {
  channelType: ChannelType;
  verify(request: WebhookRequest, secrets: ChannelSecrets): boolean;
  /**
   * For channels that check a new endpoint with an unsigned call before they
   * save it (WooCommerce's `webhook_id=N`): whether this request is exactly
   * that call. It is answered 200 before any signature check and nothing is
   * stored; anything else still needs its signature.
   */
  unsignedPing?(request: WebhookRequest): boolean;
  /**
   * For channels whose deliveries name their sender (Shopify's shop domain):
   * why this correctly signed delivery is not from the channel's own store,
   * or undefined when it is. A reason is a 401.
   */
  foreignSender?(request: WebhookRequest, channel: Pick<Channel, 'channelId' | 'settings'>): string | undefined;
  classify(request: WebhookRequest): WebhookClass;
  /** Shape of an order payload; a violation is a 422 naming the fields. */
  payload: z.ZodType<P>;
  toDraft(payload: P, channel: Pick<Channel, 'channelId'>): OrderDraft;
}
