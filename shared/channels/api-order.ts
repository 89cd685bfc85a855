import * as z from 'zod';
import type { Channel } from '#shared/domain/channel.ts';
import { CountryCode, GeoPoint } from '#shared/domain/common.ts';
import { CurrencyCode } from '#shared/domain/money.ts';
import { FulfillmentType, PaymentState, Sku, type OrderDraft } from '#shared/domain/order.ts';
import { compact, withTotalsCheck } from './mapping.ts';

/**
 * `POST /v1/orders`: orders from a POS or the merchant's own web store. The
 * caller already speaks the OMS's language: amounts are integer minor units.
 */
const Minor = z.number().int().min(0).meta({ description: 'Minor units (cents).' });

const ApiAddress = z.strictObject({
  name: z.string().max(200).optional(),
  company: z.string().max(200).optional(),
  lines: z.array(z.string().min(1).max(200)).min(1).max(4),
  city: z.string().max(100),
  region: z.string().max(100).optional(),
  postalCode: z.string().max(20).optional(),
  country: CountryCode,
  phone: z.string().max(40).optional(),
  geo: GeoPoint.optional(),
});

export const ApiOrderInput = z
  .strictObject({
    channelId: z.string().min(1).max(64).meta({ description: 'A `pos` or `web` channel.' }),
    externalOrderId: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: "The caller's own order id; defaults to the Idempotency-Key." }),
    externalNumber: z.string().max(100).optional(),
    placedAt: z.iso.datetime().optional(),
    customer: z
      .strictObject({ name: z.string().max(200).optional(), email: z.email().optional(), phone: z.string().max(40).optional(), smsConsent: z.boolean().optional() })
      .default({}),
    shippingAddress: ApiAddress.optional(),
    billingAddress: ApiAddress.optional(),
    currency: CurrencyCode,
    lines: z
      .array(
        z.strictObject({
          lineId: z.string().min(1).max(64).optional(),
          sku: Sku,
          title: z.string().max(500),
          quantity: z.number().int().min(1).max(100_000),
          unitPrice: Minor,
          discount: Minor.default(0),
          tax: Minor.default(0),
          requiresShipping: z.boolean().default(true),
        }),
      )
      .min(1)
      .max(1000),
    shipping: z.strictObject({ method: z.string().max(200).optional(), serviceLevel: z.string().max(100).optional(), price: Minor.default(0), tax: Minor.default(0) }).default({ price: 0, tax: 0 }),
    fulfillment: z.strictObject({ type: FulfillmentType, locationId: z.string().max(64).optional() }),
    payment: z.strictObject({ state: PaymentState, provider: z.string().max(100).optional(), reference: z.string().max(200).optional() }),
    total: Minor.optional().meta({ description: 'What the customer was charged; checked against the lines (a mismatch is a warning).' }),
    notes: z.string().max(5000).optional(),
  })
  .superRefine((order, ctx) => {
    if (order.fulfillment.type === 'ship' && !order.shippingAddress) {
      ctx.addIssue({ code: 'custom', path: ['shippingAddress'], message: 'Orders to ship need a shipping address' });
    }
    if (order.fulfillment.type !== 'ship' && !order.fulfillment.locationId) {
      ctx.addIssue({ code: 'custom', path: ['fulfillment', 'locationId'], message: 'Pickup and carry-out orders name the store' });
    }
  })
  .meta({ id: 'ApiOrderInput' });
export type ApiOrderInput = z.output<typeof ApiOrderInput>;

export function apiOrderToDraft(input: ApiOrderInput, channel: Pick<Channel, 'channelId' | 'type'>, externalOrderId: string, now: Date): OrderDraft {
  const lines = input.lines.map((line, index) => ({
    lineId: line.lineId ?? `L${index + 1}`,
    sku: line.sku,
    title: line.title,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    subtotal: line.unitPrice * line.quantity,
    discount: line.discount,
    tax: line.tax,
    requiresShipping: line.requiresShipping,
  }));
  const subtotal = lines.reduce((sum, line) => sum + line.subtotal, 0);
  const discount = lines.reduce((sum, line) => sum + line.discount, 0);
  const tax = lines.reduce((sum, line) => sum + line.tax, 0) + input.shipping.tax;
  const computed = subtotal - discount + input.shipping.price + tax;
  const placedAt = input.placedAt ? new Date(input.placedAt).toISOString() : now.toISOString();
  return withTotalsCheck({
    channel: compact({
      channelId: channel.channelId,
      channelType: channel.type,
      externalOrderId,
      externalNumber: input.externalNumber,
    }),
    customer: input.customer,
    ...compact({ shippingAddress: input.shippingAddress, billingAddress: input.billingAddress }),
    currency: input.currency,
    lines,
    shipping: input.shipping,
    fulfillment: compact({ type: input.fulfillment.type, locationId: input.fulfillment.locationId, fulfilledBy: 'merchant' as const }),
    promised: {},
    payment: input.payment,
    totals: { subtotal, discount, shipping: input.shipping.price, tax, total: input.total ?? computed, taxesIncluded: false },
    channelState: 'open',
    ...compact({ notes: input.notes }),
    warnings: [],
    channelCreatedAt: placedAt,
    channelUpdatedAt: placedAt,
  });
}
