import { createHash } from 'node:crypto';
import * as z from 'zod';
import { AmazonChannelSettings, type Channel, type ChannelSecrets } from '#shared/domain/channel.ts';
import { WritebackError, type CancelReason, type CancellationAction, type ChannelAction, type ChannelReceipt, type ShipmentAction } from '#shared/domain/channel-writeback.ts';
import type { ChannelWriter } from '#shared/ports.ts';
import { lwaAccessToken } from '../amazon-sp-api.ts';
import { requestJson, type RateLimiter } from '../http-client.ts';
import { WRITEBACK_RETRY, call, limiterFor, secret } from './common.ts';

/**
 * Amazon Selling Partner API for merchant-fulfilled orders.
 *
 * - Shipment: Orders v0 `confirmShipment` (POST
 *   /orders/v0/orders/{orderId}/shipmentConfirmation, 204), one package per
 *   OMS shipment. `packageReferenceId` is a positive number derived from the
 *   shipment id, so a retry edits the same package instead of adding one.
 * - Cancellation: Feeds 2021-06-30 `POST_ORDER_ACKNOWLEDGEMENT_DATA`
 *   (createFeedDocument → upload → createFeed) with StatusCode Failure and a
 *   CancelReason per item. UNVERIFIED against Amazon: the XML element names
 *   and CancelReason values come from the MWS-era schema; the processing
 *   report is not read back (the feed id is the receipt).
 * - Refund: Amazon documents no API the OMS can use to refund a
 *   merchant-fulfilled order, so the receipt says to issue it in Seller Central.
 */

const CARRIER_CODES: Record<string, string> = { usps: 'USPS', ups: 'UPS', fedex: 'FedEx', dhl: 'DHL' };
const CANCEL_REASONS: Record<CancelReason, string> = {
  customer: 'BuyerCanceled',
  out_of_stock: 'NoInventory',
  unpaid: 'GeneralAdjustment',
  fraud: 'GeneralAdjustment',
  staff: 'GeneralAdjustment',
  other: 'GeneralAdjustment',
};

const FeedDocument = z.object({ feedDocumentId: z.string(), url: z.string() });
const Feed = z.object({ feedId: z.string() });
const OrderItems = z.object({ payload: z.object({ OrderItems: z.array(z.object({ OrderItemId: z.string() })), NextToken: z.string().optional() }) });

/** Amazon's carrier code for a carrier name; anything else is "Other" with the name in carrierName. */
export function amazonCarrier(name: string): { carrierCode: string; carrierName: string } {
  const code = CARRIER_CODES[name.toLowerCase().replace(/[^a-z]/g, '')];
  return { carrierCode: code ?? 'Other', carrierName: name };
}

/** A positive number, stable per shipment (Amazon accepts only positive numeric package references). */
export function packageReferenceId(shipmentId: string): string {
  return String(BigInt(`0x${createHash('sha256').update(shipmentId).digest('hex').slice(0, 12)}`) + 1n);
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class AmazonWriter implements ChannelWriter {
  readonly #channel: Channel;
  readonly #settings: z.infer<typeof AmazonChannelSettings>;
  readonly #secrets: { clientSecret: string; refreshToken: string };
  readonly #limits: { confirmShipment: RateLimiter; createFeedDocument: RateLimiter; createFeed: RateLimiter; getOrderItems: RateLimiter };

  constructor(channel: Channel, secrets: ChannelSecrets) {
    this.#channel = channel;
    this.#settings = AmazonChannelSettings.parse(channel.settings);
    const purpose = 'call the Selling Partner API';
    this.#secrets = { clientSecret: secret(secrets, 'clientSecret', channel, purpose), refreshToken: secret(secrets, 'refreshToken', channel, purpose) };
    const key = `${this.#settings.endpoint}|${this.#settings.clientId}`;
    this.#limits = {
      confirmShipment: limiterFor(`amazon-confirmShipment|${key}`, 2, 10),
      createFeedDocument: limiterFor(`amazon-createFeedDocument|${key}`, 0.5, 15),
      createFeed: limiterFor(`amazon-createFeed|${key}`, 0.0083, 15),
      getOrderItems: limiterFor(`amazon-getOrderItems-writeback|${key}`, 0.5, 30),
    };
  }

  send(action: ChannelAction): Promise<ChannelReceipt> {
    switch (action.kind) {
      case 'shipment':
        return this.#ship(action);
      case 'cancellation':
        return this.#cancel(action);
      case 'refund':
        return Promise.resolve({
          manual: true,
          note: `Amazon has no API the OMS can use to refund a merchant-fulfilled order: issue the refund of ${action.amount} minor units (${action.order.currency}) for order ${action.order.externalOrderId} in Seller Central (Orders → Manage Orders → Refund order)`,
        });
    }
  }

  async #ship(action: ShipmentAction): Promise<ChannelReceipt> {
    const reference = packageReferenceId(action.shipmentId);
    await this.#call('confirmShipment', this.#limits.confirmShipment, 'POST', `/orders/v0/orders/${encodeURIComponent(action.order.externalOrderId)}/shipmentConfirmation`, {
      marketplaceId: this.#marketplace(action),
      packageDetail: {
        packageReferenceId: reference,
        ...amazonCarrier(action.carrier.name),
        shippingMethod: action.carrier.name,
        trackingNumber: action.trackingNumber,
        shipDate: new Date(action.shippedAt).toISOString(),
        orderItems: action.lines.map((l) => ({ orderItemId: l.lineId, quantity: l.quantity })),
      },
    });
    return { reference: `package:${reference}` };
  }

  async #cancel(action: CancellationAction): Promise<ChannelReceipt> {
    const sellerId = this.#settings.sellerId;
    if (!sellerId) throw new WritebackError(`Channel ${this.#channel.channelId} has no sellerId setting: Amazon's order acknowledgement feed needs the merchant identifier`, false);
    const itemIds = action.lines?.map((l) => l.lineId) ?? (await this.#orderItemIds(action.order.externalOrderId));
    const reason = CANCEL_REASONS[action.reason];
    const items = itemIds.map((id) => `      <Item><AmazonOrderItemCode>${xml(id)}</AmazonOrderItemCode><CancelReason>${reason}</CancelReason></Item>`).join('\n');
    const document = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">',
      `  <Header><DocumentVersion>1.01</DocumentVersion><MerchantIdentifier>${xml(sellerId)}</MerchantIdentifier></Header>`,
      '  <MessageType>OrderAcknowledgement</MessageType>',
      '  <Message>',
      '    <MessageID>1</MessageID>',
      '    <OrderAcknowledgement>',
      `      <AmazonOrderID>${xml(action.order.externalOrderId)}</AmazonOrderID>`,
      '      <StatusCode>Failure</StatusCode>',
      items,
      '    </OrderAcknowledgement>',
      '  </Message>',
      '</AmazonEnvelope>',
      '',
    ].join('\n');
    const contentType = 'text/xml; charset=UTF-8';
    const created = FeedDocument.parse(await this.#call('createFeedDocument', this.#limits.createFeedDocument, 'POST', '/feeds/2021-06-30/documents', { contentType }));
    // The upload URL is pre-signed: no access token.
    await call('Amazon', 'the feed upload', () =>
      requestJson(created.url, { method: 'PUT', headers: { 'content-type': contentType }, body: document }, { what: 'SP-API feed upload', retry: WRITEBACK_RETRY }),
    );
    const feed = Feed.parse(
      await this.#call('createFeed', this.#limits.createFeed, 'POST', '/feeds/2021-06-30/feeds', {
        feedType: 'POST_ORDER_ACKNOWLEDGEMENT_DATA',
        marketplaceIds: [this.#marketplace(action)],
        inputFeedDocumentId: created.feedDocumentId,
      }),
    );
    return { reference: `feed:${feed.feedId}`, note: 'Amazon processes the cancellation feed asynchronously; its processing report is not checked by the OMS' };
  }

  async #orderItemIds(orderId: string): Promise<string[]> {
    const ids: string[] = [];
    let next: string | undefined;
    do {
      const query = next ? `?NextToken=${encodeURIComponent(next)}` : '';
      const { payload } = OrderItems.parse(await this.#call('getOrderItems', this.#limits.getOrderItems, 'GET', `/orders/v0/orders/${encodeURIComponent(orderId)}/orderItems${query}`));
      ids.push(...payload.OrderItems.map((i) => i.OrderItemId));
      next = payload.NextToken;
    } while (next);
    return ids;
  }

  #marketplace(action: ChannelAction): string {
    return action.order.marketplaceId ?? (this.#settings.marketplaceIds[0] as string);
  }

  async #call(operation: string, limiter: RateLimiter, method: string, path: string, body?: unknown): Promise<unknown> {
    const token = await call('Amazon', 'the access token (Login with Amazon)', () => lwaAccessToken(this.#settings, this.#secrets, WRITEBACK_RETRY));
    return call('Amazon', operation, () =>
      requestJson(
        `${this.#settings.endpoint.replace(/\/$/, '')}${path}`,
        {
          method,
          headers: { 'x-amz-access-token': token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        },
        { what: `SP-API ${operation}`, limiter, retry: WRITEBACK_RETRY },
      ),
    );
  }
}
