import type { Channel, ChannelSecrets } from '#shared/domain/channel.ts';
import { WritebackError } from '#shared/domain/channel-writeback.ts';
import type { ChannelWriter } from '#shared/ports.ts';
import { AmazonWriter } from './writeback/amazon.ts';
import { EbayWriter } from './writeback/ebay.ts';
import { ShopifyWriter } from './writeback/shopify.ts';
import { WooWriter } from './writeback/woocommerce.ts';

/**
 * Write-back clients, one per channel type (shared/adapters/writeback/):
 * shipments, cancellations and refunds told to the channel an order came
 * from. Base URLs come from the channel's settings (tests use local fakes).
 * Every failure is a WritebackError: a 4xx other than 429, or a refusal in
 * the answer, is final and carries the channel's message; throttling, 5xx
 * and network failures are retried a few times here and then reported as
 * retryable. See docs/channels.md#write-back.
 */
export function channelWriterFor(channel: Channel, secrets: ChannelSecrets): ChannelWriter {
  switch (channel.type) {
    case 'shopify':
      return new ShopifyWriter(channel, secrets);
    case 'woocommerce':
      return new WooWriter(channel, secrets);
    case 'amazon':
      return new AmazonWriter(channel, secrets);
    case 'ebay':
      return new EbayWriter(channel, secrets);
    default:
      throw new WritebackError(`${channel.type} channels take no write-back: the OMS is where their orders live`, false);
  }
}
