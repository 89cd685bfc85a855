import * as z from 'zod';
import { Timestamp } from './common.ts';
import type { Order } from './order.ts';

/**
 * The money side of an order. Orders paid at the channel (Amazon, eBay, a
 * paid Shopify or WooCommerce order) record the channel's reference and are
 * never captured by the OMS. Orders from the web store or POS that carry a
 * payment method of a connected provider are authorized when routed and
 * captured shipment by shipment: each capture covers what left, the last
 * one the rest of the total.
 */

export const PaymentStatus = z.enum(['authorized', 'partially_captured', 'captured', 'channel_paid', 'cash_on_delivery', 'declined', 'voided']);

export const Payment = z
  .object({
    orderId: z.string(),
    mode: z.enum(['provider', 'channel', 'cash_on_delivery']),
    provider: z.string().optional(),
    status: PaymentStatus,
    currency: z.string(),
    amount: z.number().int().meta({ description: 'The order total, minor units.' }),
    authorizationId: z.string().optional(),
    authorized: z.number().int(),
    captured: z.number().int(),
    captures: z.array(z.object({ captureId: z.string(), amount: z.number().int(), shipmentId: z.string(), at: Timestamp })),
    channelReference: z.string().optional(),
    declineCode: z.string().optional(),
    message: z.string().optional(),
    version: z.number().int().min(1),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Payment' });
export type Payment = z.infer<typeof Payment>;

/** Providers the OMS itself authorizes and captures with (the order's `payment.provider`). */
export const OMS_PROVIDERS = ['sandbox'] as const;

/** How an order is paid: by the OMS through a provider, at the channel, or in cash on delivery. */
export function paymentModeOf(order: Pick<Order, 'payment'>): Payment['mode'] {
  if (order.payment.state === 'cod') return 'cash_on_delivery';
  if (order.payment.state === 'authorized' && (OMS_PROVIDERS as readonly string[]).includes(order.payment.provider ?? '')) return 'provider';
  return 'channel';
}

/** Net value of a line (after discount, plus tax when prices exclude it). */
function lineValue(line: Order['lines'][number], taxesIncluded: boolean): number {
  return line.subtotal - line.discount + (taxesIncluded ? 0 : line.tax);
}

/**
 * How much should have been captured once `shippedBySku` units have left:
 * the shipped share of each line (floored, so shares never add up to more
 * than the line) plus shipping with the first parcel; everything once the
 * whole order shipped.
 */
export function captureTarget(order: Pick<Order, 'lines' | 'totals'>, shippedBySku: ReadonlyMap<string, number>): number {
  const ordered = new Map<string, number>();
  for (const line of order.lines) ordered.set(line.sku, (ordered.get(line.sku) ?? 0) + line.quantity);
  const complete = [...ordered].every(([sku, q]) => (shippedBySku.get(sku) ?? 0) >= q);
  if (complete) return order.totals.total;
  const left = new Map(shippedBySku);
  let target = 0;
  for (const line of order.lines) {
    const shipped = Math.min(line.quantity, left.get(line.sku) ?? 0);
    left.set(line.sku, (left.get(line.sku) ?? 0) - shipped);
    target += Math.floor((lineValue(line, order.totals.taxesIncluded) * shipped) / line.quantity);
  }
  const anything = [...shippedBySku.values()].some((q) => q > 0);
  return Math.min(order.totals.total, target + (anything ? order.totals.shipping : 0));
}
