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
    amount: z.number().int().meta({ description: "What the order costs, minor units: the lines' total for provider payments, the channel's figure for channel-paid orders." }),
    authorizationId: z.string().optional(),
    authorized: z.number().int(),
    captured: z.number().int(),
    refunded: z.number().int().optional().meta({ description: 'Refunded so far, minor units: never more than captured (paid at the channel, collected in cash), enforced by a condition on this item.' }),
    captures: z.array(
      z.object({
        captureId: z.string(),
        amount: z.number().int(),
        shipmentId: z.string(),
        lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })).optional().meta({ description: 'The units the capture paid for.' }),
        refunded: z.number().int().optional().meta({ description: 'Refunded from this capture so far, minor units.' }),
        ahead: z
          .number()
          .int()
          .optional()
          .meta({ description: "Captured with this shipment for units that had not shipped yet, minor units: a provider that captures a card only once (Stripe without multicapture) takes all the order owes with its first shipment. Included in `amount`." }),
        at: Timestamp,
      }),
    ),
    channelReference: z.string().optional(),
    declineCode: z.string().optional(),
    message: z.string().optional(),
    providerState: z
      .object({
        status: z.string().meta({ description: "The provider's own status of the payment (Stripe: the PaymentIntent's `status`, e.g. `requires_capture`, `succeeded`)." }),
        capturable: z.number().int().optional(),
        received: z.number().int().optional(),
        refunded: z.number().int().optional().meta({ description: 'Refunded at the provider in all, by anyone (the Dashboard too), minor units.' }),
        eventAt: Timestamp.meta({ description: 'When the provider created the event these figures come from: an older event never overwrites them.' }),
      })
      .optional()
      .meta({ description: "The figures the provider's webhooks last reported (Stripe: capturable, received, refunded), beside the OMS's own." }),
    dispute: z
      .object({
        disputeId: z.string(),
        amount: z.number().int(),
        reason: z.string(),
        status: z.string(),
        evidenceDueBy: Timestamp.optional(),
        openedAt: Timestamp,
      })
      .optional()
      .meta({ description: 'A chargeback the customer opened with their bank, as the provider reported it; the order is held `payment_disputed` while it can still ship.' }),
    providerEvents: z.array(z.string()).max(50).optional().meta({ description: 'Ids of the provider webhook events applied (the last 50): a redelivered event changes nothing.' }),
    version: z.number().int().min(1),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Payment' });
export type Payment = z.infer<typeof Payment>;

/** Providers the OMS itself authorizes and captures with (the order's `payment.provider`). */
export const OMS_PROVIDERS = ['sandbox', 'stripe'] as const;

/**
 * How an order is paid: by the OMS through a provider, at the channel, or in
 * cash on delivery. Only orders the merchant's own POS or web store placed
 * through the API are charged by the OMS: a marketplace or shop order was
 * paid at its channel whatever gateway name it carries, so its figure never
 * drives a provider charge.
 */
export function paymentModeOf(order: Pick<Order, 'payment'> & { channel: Pick<Order['channel'], 'channelType'> }): Payment['mode'] {
  if (order.payment.state === 'cod') return 'cash_on_delivery';
  const placedThroughApi = order.channel.channelType === 'pos' || order.channel.channelType === 'web';
  if (placedThroughApi && order.payment.state === 'authorized' && (OMS_PROVIDERS as readonly string[]).includes(order.payment.provider ?? '')) return 'provider';
  return 'channel';
}

/** Units per SKU, added up from shipment lines. */
export function unitsOf(lines: readonly { sku: string; quantity: number }[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const line of lines) units.set(line.sku, (units.get(line.sku) ?? 0) + line.quantity);
  return units;
}

/**
 * What `units` (per SKU, cumulative over the order's shipments) are worth:
 * per line the floored share of its amount, discount and tax — exactly the
 * shares the invoices of those units carry (shared/domain/invoice.ts) — plus
 * shipping and its tax once anything has shipped. Units of a SKU fill its
 * lines in order, as the invoices do. Shares are cumulative floors, so the
 * value of every unit is the order's linesTotal: the last capture takes
 * whatever rounding left, and the captures of an order add up to it exactly.
 */
export function shippedValue(order: Pick<Order, 'lines' | 'totals' | 'shipping'>, units: ReadonlyMap<string, number>): number {
  const left = new Map(units);
  const taxed = !order.totals.taxesIncluded;
  let value = 0;
  let anything = false;
  for (const line of order.lines) {
    const shipped = Math.min(line.quantity, left.get(line.sku) ?? 0);
    if (shipped <= 0) continue;
    anything = true;
    left.set(line.sku, (left.get(line.sku) ?? 0) - shipped);
    const share = (amount: number) => Math.floor((amount * shipped) / line.quantity);
    value += share(line.subtotal) - share(line.discount) + (taxed ? share(line.tax) : 0);
  }
  return anything ? value + order.totals.shipping + (taxed ? order.shipping.tax : 0) : value;
}

/**
 * The capture for one shipment: the value of the units shipped so far with
 * this shipment, less their value before it (`earlier`: the units of the
 * shipments captured already). Never more than what the authorization has
 * left.
 */
export function captureAmount(
  order: Pick<Order, 'lines' | 'totals' | 'shipping'>,
  earlier: ReadonlyMap<string, number>,
  now: ReadonlyMap<string, number>,
  authorizedLeft: number,
): number {
  const after = new Map(earlier);
  for (const [sku, quantity] of now) after.set(sku, (after.get(sku) ?? 0) + quantity);
  return Math.max(0, Math.min(authorizedLeft, shippedValue(order, after) - shippedValue(order, earlier)));
}
