import { AmazonChannelSettings, EbayChannelSettings, type Channel, type ChannelSecrets } from '#shared/domain/channel.ts';
import type { MarketplaceOrders } from '#shared/ports.ts';
import { AmazonSpApiOrders } from './amazon-sp-api.ts';
import { EbayFulfillmentOrders } from './ebay-fulfillment.ts';

/** The marketplace client of a polled channel, from its settings and secrets. */
export function marketplaceFor(channel: Channel, secrets: ChannelSecrets): MarketplaceOrders {
  const credentials = { clientSecret: secrets['clientSecret'] ?? '', refreshToken: secrets['refreshToken'] ?? '' };
  switch (channel.type) {
    case 'amazon':
      return new AmazonSpApiOrders(AmazonChannelSettings.parse(channel.settings), credentials);
    case 'ebay':
      return new EbayFulfillmentOrders(EbayChannelSettings.parse(channel.settings), credentials);
    default:
      throw new Error(`${channel.type} channels are not polled`);
  }
}
