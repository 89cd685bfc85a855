import * as z from 'zod';
import { EbayChannelSettings, type Channel, type ChannelSecrets } from '#shared/domain/channel.ts';
import { WritebackError, type CancellationAction, type ChannelAction, type ChannelReceipt, type RefundAction, type ShipmentAction } from '#shared/domain/channel-writeback.ts';
import { parseDecimal } from '#shared/domain/money.ts';
import type { ChannelWriter } from '#shared/ports.ts';
import { ebayAccessToken } from '../ebay-fulfillment.ts';
import { requestJson, type MarketplaceError, type RateLimiter } from '../http-client.ts';
import { SINGLE_ATTEMPT, WRITEBACK_RETRY, call, decimal, limiterFor, secret } from './common.ts';

/**
 * eBay Sell Fulfillment API v1 with the seller's OAuth user token.
 *
 * - Shipment: `createShippingFulfillment` with the shipped line items, the
 *   carrier code and tracking number; eBay offers no idempotency, so the
 *   order's shipping fulfillments are listed first and one with the same
 *   tracking number is taken as this shipment's.
 * - Refund, and cancellation of a paid order or of its lines: `issue_refund`
 *   (reasonForRefund, per-line refundItems or an order-level amount). One
 *   attempt per call (no key, no reference of ours on eBay's side), never more
 *   than the order has left to refund.
 * - An unpaid order's cancellation sends nothing: eBay's seller cancellation
 *   (Post-Order API) is not used — see docs/channels.md.
 */

const SCOPE_FULFILLMENT = 'https://api.ebay.com/oauth/api_scope/sell.fulfillment';
const SCOPE_FINANCES = 'https://api.ebay.com/oauth/api_scope/sell.finances';
const CARRIER_CODES: Record<string, string> = {
  usps: 'USPS',
  ups: 'UPS',
  fedex: 'FedEx',
  dhl: 'DHL',
  deutschepost: 'DeutschePost',
  hermes: 'Hermes',
  australiapost: 'AustraliaPost',
  chronopost: 'Chronopost',
  correos: 'Correos',
};
const REFUND_REASONS: Record<RefundAction['reason'], string> = {
  return: 'BUYER_RETURN',
  cancellation: 'SELLER_CANCEL',
  goodwill: 'OTHER_ADJUSTMENT',
  claim: 'ITEM_NOT_RECEIVED',
  other: 'OTHER_ADJUSTMENT',
};

const Fulfillments = z.object({ fulfillments: z.array(z.object({ fulfillmentId: z.string(), shipmentTrackingNumber: z.string().nullish() })).default([]) });
const Amount = z.object({ value: z.string(), currency: z.string().optional() });
const EbayOrder = z.object({
  orderId: z.string(),
  orderPaymentStatus: z.string().optional(),
  pricingSummary: z.object({ total: Amount }),
  paymentSummary: z.object({ refunds: z.array(z.object({ amount: Amount, refundStatus: z.string().optional() })).default([]) }).loose().optional(),
});
const Refunded = z.object({ refundId: z.string().optional(), refundStatus: z.string().optional() });

/** eBay's shippingCarrierCode for a carrier name; anything else is "Other". */
export function ebayCarrier(name: string): string {
  return CARRIER_CODES[name.toLowerCase().replace(/[^a-z]/g, '')] ?? 'Other';
}

export class EbayWriter implements ChannelWriter {
  readonly #settings: z.infer<typeof EbayChannelSettings>;
  readonly #secrets: { clientSecret: string; refreshToken: string };
  readonly #limiter: RateLimiter;

  constructor(channel: Channel, secrets: ChannelSecrets) {
    this.#settings = EbayChannelSettings.parse(channel.settings);
    const purpose = 'call the eBay Sell Fulfillment API';
    this.#secrets = { clientSecret: secret(secrets, 'clientSecret', channel, purpose), refreshToken: secret(secrets, 'refreshToken', channel, purpose) };
    // eBay's quotas are per day and per application; this only smooths bursts.
    this.#limiter = limiterFor(`ebay-fulfillment-writeback|${this.#settings.endpoint}|${this.#settings.clientId}`, 5, 10);
  }

  send(action: ChannelAction): Promise<ChannelReceipt> {
    switch (action.kind) {
      case 'shipment':
        return this.#ship(action);
      case 'cancellation':
        return this.#cancel(action);
      case 'refund':
        return this.#refund(action);
    }
  }

  async #ship(action: ShipmentAction): Promise<ChannelReceipt> {
    const path = `${this.#orderPath(action)}/shipping_fulfillment`;
    const { fulfillments } = Fulfillments.parse(await this.#request(SCOPE_FULFILLMENT, 'GET', path, 'the shipping fulfillments'));
    const existing = fulfillments.find((f) => f.shipmentTrackingNumber === action.trackingNumber);
    if (existing) return { reference: existing.fulfillmentId, note: `eBay already has shipping fulfillment ${existing.fulfillmentId} with tracking ${action.trackingNumber}` };
    let location: string | null = null;
    await this.#request(
      SCOPE_FULFILLMENT,
      'POST',
      path,
      'the shipping fulfillment',
      {
        lineItems: action.lines.map((l) => ({ lineItemId: l.lineId, quantity: l.quantity })),
        shippedDate: new Date(action.shippedAt).toISOString(),
        shippingCarrierCode: ebayCarrier(action.carrier.name),
        trackingNumber: action.trackingNumber,
      },
      { onHeaders: (headers) => (location = headers.get('location')) },
    );
    const reference = (location as string | null)?.split('/').pop();
    return reference ? { reference } : {};
  }

  async #cancel(action: CancellationAction): Promise<ChannelReceipt> {
    if (!action.paidAtChannel) {
      return { note: 'The order was not paid on eBay: nothing to refund. eBay cancels unpaid orders itself; the OMS does not use the Post-Order cancellation API' };
    }
    if (action.lines) return { note: 'eBay cancels whole orders only: the cancelled lines reach eBay as the refund of what they were worth' };
    return this.#issueRefund(action, {
      reasonForRefund: action.reason === 'customer' ? 'BUYER_CANCEL' : 'SELLER_CANCEL',
      comment: `Order cancelled${action.note ? `: ${action.note}` : ''}`,
      amount: undefined,
    });
  }

  #refund(action: RefundAction): Promise<ChannelReceipt> {
    const currency = action.order.currency;
    const lineSum = action.lines.reduce((sum, l) => sum + l.amount, 0);
    // Per-line amounts when they make up the whole refund; otherwise (shipping, fees) one order-level amount.
    const perLine = action.shipping === 0 && action.lines.length > 0 && lineSum === action.amount;
    return this.#issueRefund(action, {
      reasonForRefund: REFUND_REASONS[action.reason],
      comment: `Refund ${action.refundId}${action.note ? `: ${action.note}` : ''}`,
      amount: action.amount,
      ...(perLine ? { refundItems: action.lines.map((l) => ({ lineItemId: l.lineId, refundAmount: { value: decimal(l.amount, currency), currency } })) } : {}),
    });
  }

  async #issueRefund(
    action: CancellationAction | RefundAction,
    refund: { reasonForRefund: string; comment: string; amount: number | undefined; refundItems?: unknown[] },
  ): Promise<ChannelReceipt> {
    const currency = action.order.currency;
    const order = EbayOrder.parse(await this.#request(SCOPE_FULFILLMENT, 'GET', this.#orderPath(action), 'the order'));
    const refunded = (order.paymentSummary?.refunds ?? [])
      .filter((r) => r.refundStatus !== 'FAILED')
      .reduce((sum, r) => sum + parseDecimal(r.amount.value, currency).amount, 0);
    const left = parseDecimal(order.pricingSummary.total.value, currency).amount - refunded;
    const amount = refund.amount ?? left;
    if (left <= 0) return { note: `eBay order ${order.orderId} is already refunded in full` };
    if (amount > left) throw new WritebackError(`eBay order ${order.orderId} has ${decimal(left, currency)} ${currency} left to refund; the refund is ${decimal(amount, currency)} ${currency}`, false);
    const body = {
      reasonForRefund: refund.reasonForRefund,
      comment: refund.comment.slice(0, 100),
      ...(refund.refundItems ? { refundItems: refund.refundItems } : { orderLevelRefundAmount: { value: decimal(amount, currency), currency } }),
    };
    const answer = Refunded.parse(
      await this.#request(SCOPE_FINANCES, 'POST', `${this.#orderPath(action)}/issue_refund`, 'the refund', body, {
        once: true,
        // 34922: a previous refund of the order is still processing — try again later.
        retryable: (error) => error.status === 409 && (error.body ?? '').includes('34922'),
      }),
    );
    return { ...(answer.refundId ? { reference: answer.refundId } : {}), note: `eBay refund ${answer.refundStatus ?? 'PENDING'}` };
  }

  #orderPath(action: ChannelAction): string {
    return `/sell/fulfillment/v1/order/${encodeURIComponent(action.order.externalOrderId)}`;
  }

  async #request(
    scope: string,
    method: string,
    path: string,
    what: string,
    body?: unknown,
    options: { once?: boolean; onHeaders?: (headers: Headers) => void; retryable?: (error: MarketplaceError) => boolean } = {},
  ): Promise<unknown> {
    const token = await call('eBay', 'the access token', () => ebayAccessToken(this.#settings, this.#secrets, scope, WRITEBACK_RETRY));
    return call(
      'eBay',
      what,
      () =>
        requestJson(
          `${this.#settings.endpoint.replace(/\/$/, '')}${path}`,
          {
            method,
            headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          },
          { what: `eBay ${what}`, limiter: this.#limiter, retry: options.once ? SINGLE_ATTEMPT : WRITEBACK_RETRY, ...(options.onHeaders ? { onHeaders: options.onHeaders } : {}) },
        ),
      options.retryable,
    );
  }
}
