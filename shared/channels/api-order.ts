import * as z from 'zod';
import { ChannelId, type Channel } from '#shared/domain/channel.ts';
import { CountryCode, GeoPoint } from '#shared/domain/common.ts';
import { ExternalOrderId, LineId, Slug } from '#shared/domain/ids.ts';
import { CurrencyCode, formatMoney } from '#shared/domain/money.ts';
import { FulfillmentType, MAX_MINOR_UNITS, PaymentState, Sku, type OrderDraft } from '#shared/domain/order.ts';
import { compact, withTotalsCheck } from './mapping.ts';

/**
 * `POST /v1/orders`: orders from a POS or the merchant's own web store. The
 * caller already speaks the OMS's language: amounts are integer minor units.
 */
const Minor = z
  // Integers beyond 2^53 reach the schema as their exact digits (shared/domain/json.ts): say the limit, not "received string".
  .number({ error: (issue) => (typeof issue.input === 'string' && /^-?\d+$/.test(issue.input) ? `Too big: expected number to be <=${MAX_MINOR_UNITS}` : undefined) })
  .int()
  .min(0)
  .max(MAX_MINOR_UNITS)
  .meta({ description: `Minor units (cents), at most ${MAX_MINOR_UNITS.toLocaleString('en-US')}.` });

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
    channelId: ChannelId.meta({ description: 'A `pos` or `web` channel.', example: 'web-store' }),
    externalOrderId: ExternalOrderId.optional().meta({ description: "The caller's own order id (up to 255 characters, as an Idempotency-Key); defaults to the Idempotency-Key." }),
    externalNumber: z.string().max(100).optional(),
    placedAt: z.iso.datetime().optional(),
    customer: z
      .strictObject({
        name: z.string().max(200).optional(),
        email: z.email().optional(),
        phone: z.string().max(40).optional(),
        smsConsent: z.boolean().optional(),
        locale: z.string().max(35).regex(/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/, 'Expected a BCP 47 language tag such as en, de-DE or fr').optional().meta({ description: "The customer's language: e-mails are written in it (en, de, fr; others fall back to the merchant's default).", example: 'de-DE' }),
      })
      .default({}),
    shippingAddress: ApiAddress.optional(),
    billingAddress: ApiAddress.optional(),
    currency: CurrencyCode,
    lines: z
      .array(
        z.strictObject({
          lineId: LineId.optional(),
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
    fulfillment: z.strictObject({ type: FulfillmentType, locationId: Slug.optional() }),
    payment: z.strictObject({ state: PaymentState, provider: z.string().max(100).optional(), reference: z.string().max(200).optional() }),
    total: Minor.optional().meta({
      description:
        "The caller's own total, checked: it must equal what the lines add up to (Σ unitPrice × quantity − discount + tax, plus shipping and its tax), else 422 naming both figures. The OMS always charges the lines' figure.",
    }),
    notes: z.string().max(5000).optional(),
  })
  .superRefine((order, ctx) => {
    const money = (amount: number) => `${formatMoney(amount, order.currency)} (${amount} minor units)`;
    // Fields already refused by their own schema are not checked again here.
    const valid = (amount: number) => Number.isSafeInteger(amount) && amount >= 0 && amount <= MAX_MINOR_UNITS;
    const amounts = [order.shipping.price, order.shipping.tax, ...order.lines.flatMap((line) => [line.unitPrice, line.discount, line.tax])];
    if (!amounts.every(valid) || !order.lines.every((line) => Number.isSafeInteger(line.quantity) && line.quantity >= 1)) return;
    let computed = order.shipping.price + order.shipping.tax;
    let linesValid = true;
    order.lines.forEach((line, index) => {
      const amount = line.unitPrice * line.quantity;
      if (amount > MAX_MINOR_UNITS) {
        linesValid = false;
        ctx.addIssue({ code: 'custom', path: ['lines', index, 'unitPrice'], message: `unitPrice × quantity is ${money(amount)}, beyond the limit of ${MAX_MINOR_UNITS} minor units per line` });
      } else if (line.discount > amount) {
        linesValid = false;
        ctx.addIssue({ code: 'custom', path: ['lines', index, 'discount'], message: `The discount ${money(line.discount)} is more than the line's ${money(amount)}` });
      }
      computed += amount - line.discount + line.tax;
    });
    if (!linesValid) return;
    if (computed > MAX_MINOR_UNITS) {
      ctx.addIssue({ code: 'custom', path: ['lines'], message: `The order adds up to ${money(computed)}, beyond the limit of ${MAX_MINOR_UNITS} minor units per order` });
    } else if (order.total !== undefined && order.total !== computed) {
      ctx.addIssue({
        code: 'custom',
        path: ['total'],
        message: `total is ${money(order.total)}, but the lines add up to ${money(computed)}: Σ unitPrice × quantity − discount + tax, plus shipping and its tax`,
      });
    }
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
    totals: { subtotal, discount, shipping: input.shipping.price, tax, total: computed, taxesIncluded: false },
    channelState: 'open',
    ...compact({ notes: input.notes }),
    warnings: [],
    channelCreatedAt: placedAt,
    channelUpdatedAt: placedAt,
  });
}
