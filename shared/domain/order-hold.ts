import * as z from 'zod';
import { Timestamp } from './common.ts';

/**
 * A hold placed on an order by a person or by a routing rule, for review.
 * It is orthogonal to the order's stock status: a held order still reserves
 * (reserved, backordered, or on_hold for stock), but no fulfillment is
 * created for it — it is never handed to a location — until it is released.
 * (The order's `hold` is something else: why an `on_hold` order is not
 * reserved.) Kept apart from order.ts so the schema has no dependency on it.
 */

export const HoldReason = z.enum(['fraud_review', 'payment_review', 'address_review', 'customer_request', 'high_value', 'country_mismatch', 'awaiting_return', 'payment_disputed', 'other']).meta({
  description:
    'Why the order is held: a person reviews fraud, payment or the address, the customer asked to wait, the order is worth more than a routing rule\'s threshold (`high_value`), its billing and shipping countries differ (`country_mismatch`), an exchange\'s replacement waits until the return is received (`awaiting_return`: placed and released by the exchange), the customer disputed the payment with their bank (`payment_disputed`: placed by the payment provider\'s webhook; a person releases it), or `other` (say what in `note`).',
});
export type HoldReason = z.infer<typeof HoldReason>;

/** Who or what placed a hold: a person (by name) or a routing rule set's hold rule. */
export const HoldPlacedBy = z.discriminatedUnion('type', [
  z.object({ type: z.literal('person'), name: z.string().min(1).max(100) }),
  z.object({ type: z.literal('rule'), ruleSetId: z.string(), ruleId: z.string() }),
  z.object({ type: z.literal('return'), returnId: z.string() }),
  z.object({ type: z.literal('provider'), provider: z.string(), reference: z.string().meta({ description: "The provider's object that caused the hold (a Stripe dispute `du_…`, a PaymentIntent `pi_…`)." }) }),
]);
export type HoldPlacedBy = z.infer<typeof HoldPlacedBy>;

export const OrderHold = z
  .object({
    reason: HoldReason,
    note: z.string().max(2000).optional(),
    until: Timestamp.optional().meta({ description: 'Released automatically at this instant (by the 5-minute sweep) unless a person releases it first.' }),
    since: Timestamp,
    placedBy: HoldPlacedBy,
  })
  .meta({
    id: 'OrderHold',
    description:
      'A hold placed by a person (POST /v1/orders/{orderId}/hold) or a routing rule set\'s hold rule: the order keeps (or still gets) its stock, but is not handed to any location until released (POST /v1/orders/{orderId}/release, or `until`).',
  });
export type OrderHold = z.infer<typeof OrderHold>;
