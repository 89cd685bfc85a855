import * as z from 'zod';
import { ChannelType } from './channel.ts';

/**
 * Write-back: what the OMS tells the channel an order came from once the
 * order changes here — a shipment left (with carrier and tracking), the order
 * or some of its lines were cancelled, money was refunded. One action per
 * (order, what happened, channel), sent by a channel client
 * (shared/adapters/channel-writeback.ts) and tracked on the order as its
 * `channelSync` state.
 */

export const WRITEBACK_TYPES = ['shopify', 'woocommerce', 'amazon', 'ebay'] as const;
export type WritebackChannelType = (typeof WRITEBACK_TYPES)[number];

/** The order as the channel knows it. */
export const ChannelOrderRef = z.object({
  orderId: z.string().meta({ description: 'The OMS order id.' }),
  channelId: z.string(),
  channelType: ChannelType,
  externalOrderId: z.string().meta({ description: "The channel's order id (Shopify numeric id, WooCommerce id, Amazon AmazonOrderId, eBay orderId)." }),
  currency: z.string(),
  /** Amazon: the marketplace the order was placed in (from the captured order), when known. */
  marketplaceId: z.string().optional(),
});
export type ChannelOrderRef = z.infer<typeof ChannelOrderRef>;

/** A line as the channel knows it: its own line id (Shopify line item, WooCommerce line item, Amazon OrderItemId, eBay lineItemId). */
export const ChannelLineRef = z.object({ lineId: z.string(), sku: z.string(), quantity: z.number().int().min(1) });
export type ChannelLineRef = z.infer<typeof ChannelLineRef>;

export const ShipmentAction = z.object({
  kind: z.literal('shipment'),
  /** Stable per (order, shipment): `shipment:<shipmentId>`. */
  actionId: z.string(),
  order: ChannelOrderRef,
  shipmentId: z.string(),
  lines: z.array(ChannelLineRef).min(1),
  carrier: z.object({
    id: z.string().meta({ description: 'The OMS carrier id (e.g. `easypost:USPS`, `parcelco`).' }),
    name: z.string().meta({ description: 'The carrier as people name it (USPS, UPS, FedEx, DHL, …): each client maps it to its channel\'s carrier codes.' }),
  }),
  trackingNumber: z.string(),
  trackingUrl: z.string().optional(),
  shippedAt: z.string(),
  /** Every unit of the order has shipped with this shipment (WooCommerce marks the order `completed`). */
  completesOrder: z.boolean(),
  /** Whether the channel should send its own shipping e-mail (Shopify `notifyCustomer`). */
  notifyCustomer: z.boolean(),
});
export type ShipmentAction = z.infer<typeof ShipmentAction>;

export const CancelReason = z.enum(['customer', 'out_of_stock', 'unpaid', 'fraud', 'staff', 'other']);
export type CancelReason = z.infer<typeof CancelReason>;

export const CancellationAction = z.object({
  kind: z.literal('cancellation'),
  /** `cancel` for the whole order; `cancel:<changeId>` for lines. */
  actionId: z.string(),
  order: ChannelOrderRef,
  reason: CancelReason,
  /** The cancelled lines; absent: the whole order. */
  lines: z.array(ChannelLineRef).optional(),
  note: z.string().optional(),
  /**
   * The order was paid at the channel. A whole-order cancellation then asks
   * the channel to refund as it cancels (Shopify `refundMethod`, eBay
   * SELLER_CANCEL refund): the OMS records no refund of its own for it. A
   * line cancellation never moves money itself: the OMS records the
   * difference as a refund (`change:<changeId>`) that reaches the channel as
   * a RefundAction of its own, so the money is never given back twice.
   */
  paidAtChannel: z.boolean(),
});
export type CancellationAction = z.infer<typeof CancellationAction>;

export const RefundAction = z.object({
  kind: z.literal('refund'),
  /** `refund:<refundId>`. */
  actionId: z.string(),
  order: ChannelOrderRef,
  refundId: z.string(),
  /** Minor units, the whole refund (lines, their tax, shipping, less any fee). */
  amount: z.number().int().min(1),
  /** Per refunded line: units, and the amount and tax refunded for them (minor units). */
  lines: z.array(ChannelLineRef.extend({ amount: z.number().int().min(0), tax: z.number().int().min(0) })),
  /** Shipping refunded (minor units, tax included). */
  shipping: z.number().int().min(0),
  reason: z.enum(['return', 'cancellation', 'goodwill', 'claim', 'other']),
  note: z.string().optional(),
  /** Units the channel should put back in its own stock: never — the OMS owns stock (Shopify restockType NO_RESTOCK, WooCommerce api_restock false). */
  restock: z.literal(false),
});
export type RefundAction = z.infer<typeof RefundAction>;

export const ChannelAction = z.discriminatedUnion('kind', [ShipmentAction, CancellationAction, RefundAction]);
export type ChannelAction = z.infer<typeof ChannelAction>;

/** What a channel answered: its own reference for what was created (fulfillment id, refund id, feed id), and what it said. */
export interface ChannelReceipt {
  reference?: string | undefined;
  note?: string | undefined;
}

/**
 * A channel call failed. `retryable`: throttling, 5xx, network — try again
 * later; otherwise (401 revoked token, 404 order gone, 422 refused) the action
 * fails visibly with the channel's message and is not retried by itself.
 */
export class WritebackError extends Error {
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(message: string, retryable: boolean, status?: number) {
    super(message);
    this.name = 'WritebackError';
    this.retryable = retryable;
    this.status = status;
  }
}
