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

/** Deliveries of a write-back before it is recorded failed (the write-back queue's maxReceiveCount: on the last one the consumer records the failure itself). */
export const WRITEBACK_DELIVERIES = 10;
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
    id: z.string().meta({ description: 'The OMS carrier id (e.g. `easypost-usps`, `parcelco`).' }),
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
  /** Per refunded line: units, what they are worth with their tax (`amount`, minor units) and the tax part of it (`tax`). */
  lines: z.array(ChannelLineRef.extend({ amount: z.number().int().min(0), tax: z.number().int().min(0) })),
  /** Shipping refunded (minor units, tax included). */
  shipping: z.number().int().min(0),
  reason: z.enum(['return', 'cancellation', 'goodwill', 'claim', 'other']),
  note: z.string().optional(),
  /** Units the channel should put back in its own stock: never — the OMS owns stock (Shopify restockType NO_RESTOCK, WooCommerce api_restock false). */
  restock: z.literal(false),
  /** The money was paid at the channel, so the channel gives it back (WooCommerce `api_refund`, Shopify refund transaction); absent: true. False: the OMS refunded through its own provider and the channel only records the refund. */
  paidAtChannel: z.boolean().optional(),
});
export type RefundAction = z.infer<typeof RefundAction>;

export const ChannelAction = z.discriminatedUnion('kind', [ShipmentAction, CancellationAction, RefundAction]);
export type ChannelAction = z.infer<typeof ChannelAction>;

/** What a channel answered: its own reference for what was created (fulfillment id, refund id, feed id), and what it said. */
export interface ChannelReceipt {
  reference?: string | undefined;
  note?: string | undefined;
  /**
   * The channel offers no API for this (Amazon refunds of merchant-fulfilled
   * orders): nothing was sent, a person must do it at the channel as `note`
   * says. The action is recorded failed (not retryable) so the order is listed
   * for them, and a refund stays `to_refund_at_channel`.
   */
  manual?: true | undefined;
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

/**
 * An action's state on the order (`channelSync`): `pending` while it is being
 * sent or waits for its next try, `sent` once the channel accepted it (with
 * the channel's reference), `failed` when the channel refused it or kept
 * failing (with the channel's answer) — then only a person's retry sends it
 * again (POST /v1/orders/{orderId}/channel-sync/{actionId}/retry).
 */
export const ChannelSyncStatus = z.enum(['pending', 'sent', 'failed']);
export type ChannelSyncStatus = z.infer<typeof ChannelSyncStatus>;

export const ChannelSyncRecord = z
  .object({
    orderId: z.string(),
    actionId: z.string().meta({ description: '`shipment:<shipmentId>`, `cancel`, `cancel:<changeId>` or `refund:<refundId>`: one per order and what happened.' }),
    kind: z.enum(['shipment', 'cancellation', 'refund']),
    channelId: z.string(),
    status: ChannelSyncStatus,
    summary: z.string().meta({ description: 'What is sent, for people (e.g. "Shipment 01J… (3 units, UPS 1Z999…)").' }),
    action: ChannelAction.meta({ description: 'What is sent, as the channel client receives it (a retry sends it again unchanged).' }),
    attempts: z.number().int().min(0).meta({ description: 'Calls to the channel so far.' }),
    reference: z.string().optional().meta({ description: "The channel's reference for what it created (fulfillment, refund, feed)." }),
    channelNote: z.string().optional().meta({ description: 'What the channel said on success, when it said something worth keeping (e.g. a refund it still processes).' }),
    lastError: z
      .object({
        message: z.string().meta({ description: "The channel's answer." }),
        status: z.number().int().optional().meta({ description: 'HTTP status of the channel\'s answer.' }),
        retryable: z.boolean(),
        at: z.string(),
      })
      .optional(),
    claimedUntil: z.string().optional().meta({ description: 'While a call is in flight: another delivery waits until then.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    sentAt: z.string().optional(),
    failedAt: z.string().optional(),
  })
  .meta({ id: 'ChannelSyncRecord' });
export type ChannelSyncRecord = z.infer<typeof ChannelSyncRecord>;

/** An OMS cancellation reason (free text from staff, payments, routing rules) as the channels classify it. */
export function cancelReasonOf(reason: string, actor: string): CancelReason {
  const text = reason.toLowerCase();
  if (/fraud/.test(text)) return 'fraud';
  if (/pay|unpaid|declin/.test(text)) return 'unpaid';
  if (/stock|short|backorder|inventory/.test(text)) return 'out_of_stock';
  if (/customer|buyer|asked|request/.test(text)) return 'customer';
  // A person or an API caller (bootstrap token, API key, signed-in user): staff; `api` is the actor of entries written before principals.
  return actor === 'api' || actor === 'bootstrap' || actor.startsWith('key:') || actor.startsWith('user:') ? 'staff' : 'other';
}

/**
 * A shipment's units per channel line: a SKU's shipped units fill the order's
 * lines with that SKU in order, after the units earlier shipments took (as
 * invoices and captures count them).
 */
export function shipmentLines(
  lines: readonly { lineId: string; sku: string; quantity: number }[],
  earlier: readonly { sku: string; quantity: number }[],
  shipment: readonly { sku: string; quantity: number }[],
): ChannelLineRef[] {
  const taken = new Map<string, number>();
  for (const item of earlier) taken.set(item.sku, (taken.get(item.sku) ?? 0) + item.quantity);
  const left = new Map<string, number>();
  for (const item of shipment) left.set(item.sku, (left.get(item.sku) ?? 0) + item.quantity);
  const result: ChannelLineRef[] = [];
  for (const line of lines) {
    const before = Math.min(line.quantity, taken.get(line.sku) ?? 0);
    taken.set(line.sku, (taken.get(line.sku) ?? 0) - before);
    const quantity = Math.min(line.quantity - before, left.get(line.sku) ?? 0);
    if (quantity <= 0) continue;
    left.set(line.sku, (left.get(line.sku) ?? 0) - quantity);
    result.push({ lineId: line.lineId, sku: line.sku, quantity });
  }
  return result;
}

/** Carrier names as people (and channels) know them, from the OMS carrier id (`easypost-ups`, `ups`, `parcelco`). */
export function carrierName(carrierId: string): string {
  // EasyPost carriers are `easypost-<carrier>` (e.g. `easypost-usps`); other forms `<provider>:<carrier>`.
  const bare = carrierId.includes(':') ? carrierId.slice(carrierId.indexOf(':') + 1) : carrierId.replace(/^easypost-/, '');
  const known: Record<string, string> = { usps: 'USPS', ups: 'UPS', fedex: 'FedEx', dhl: 'DHL', dhlexpress: 'DHL Express', ontrac: 'OnTrac', canadapost: 'Canada Post', royalmail: 'Royal Mail', dpd: 'DPD', gls: 'GLS', hermes: 'Hermes', parcelco: 'ParcelCo', swiftship: 'SwiftShip' };
  return known[bare.toLowerCase().replace(/[^a-z]/g, '')] ?? bare;
}

/** The units a change cancelled, per channel line (a line whose quantity went down: before − after). */
export function cancelledLines(changes: readonly { lineId: string; sku: string; before: number; after: number }[]): ChannelLineRef[] {
  return changes.filter((line) => line.after < line.before).map((line) => ({ lineId: line.lineId, sku: line.sku, quantity: line.before - line.after }));
}
