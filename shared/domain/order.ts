import * as z from 'zod';
import { ChannelType } from './channel.ts';
import { CountryCode, GeoPoint, Timestamp } from './common.ts';
import { CurrencyCode, formatMoney } from './money.ts';
import { ExternalOrderId, LineId, identifier } from './ids.ts';
import { OrderHold } from './order-hold.ts';

/**
 * The canonical OMS order: what every channel's payload is mapped to.
 * Money is integer minor units in the order's `currency`.
 */

/**
 * SKUs are free text from channels and callers, and keys of stock: an
 * identifier (shared/domain/ids.ts: well-formed Unicode, normalised to NFC,
 * nothing invisible) that never contains `#` (the key separator).
 */
export const Sku = identifier({ max: 100, also: { chars: '#', message: 'A SKU cannot contain "#"' } });

export const OrderStatus = z.enum([
  'received',
  'on_hold',
  'reserved',
  'backordered',
  'routed',
  'fulfilling',
  'partially_shipped',
  'shipped',
  'delivered',
  'cancelled',
  'exception',
  'fulfilled_by_channel',
]);
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Statuses after which a channel can no longer change or cancel the order. */
export const SHIPPED_OR_LATER: readonly OrderStatus[] = ['partially_shipped', 'shipped', 'delivered', 'fulfilled_by_channel'];

export const PaymentState = z.enum(['paid', 'authorized', 'pending', 'cod']);
export type PaymentState = z.infer<typeof PaymentState>;

export const OrderAddress = z
  .object({
    name: z.string().max(200).optional(),
    company: z.string().max(200).optional(),
    lines: z.array(z.string().max(200)).max(4),
    city: z.string().max(100).optional(),
    region: z.string().max(100).optional(),
    postalCode: z.string().max(20).optional(),
    country: CountryCode,
    phone: z.string().max(40).optional(),
    geo: GeoPoint.optional().meta({ description: 'Coordinates when the channel sends them (used by distance routing).' }),
  })
  .meta({ id: 'OrderAddress' });
export type OrderAddress = z.infer<typeof OrderAddress>;

/**
 * Units one order line can hold: far above any shop's order line (a channel
 * line beyond it is a payload error, refused before it is acknowledged), and
 * small enough that stock positions, reservations and unitPrice × quantity
 * stay ordinary integers.
 */
export const MAX_LINE_QUANTITY = 100_000;

/** Lines one order can hold: stored in chunks of 50, so an order and its capture fit one DynamoDB transaction. */
export const MAX_ORDER_LINES = 1000;

/**
 * A line as the OMS keeps it. Its ids are read back as they were captured:
 * lines captured since the identifier rules follow them (DraftLine), older
 * ones are never refused or rewritten on read.
 */
export const OrderLine = z
  .object({
    lineId: z.string().min(1).max(64).meta({ description: "The channel's line id, or L<n> when it has none." }),
    sku: z.string().min(1).max(100),
    title: z.string().max(500),
    quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
    unitPrice: z.number().int().meta({ description: 'Price of one unit, minor units.' }),
    subtotal: z.number().int().meta({ description: 'Line amount before discounts, as the channel computed it.' }),
    discount: z.number().int().min(0),
    tax: z.number().int().min(0),
    requiresShipping: z.boolean(),
  })
  .meta({ id: 'OrderLine' });
export type OrderLine = z.infer<typeof OrderLine>;

/** A line of a channel's draft: its ids follow the identifier rules before they become keys. */
const DraftLine = OrderLine.extend({ lineId: LineId.meta({ description: "The channel's line id, or L<n> when it has none." }), sku: Sku });

/** The channel's reference of an order, as kept (see OrderLine). */
const OrderChannelRef = z.object({
  channelId: z.string(),
  channelType: ChannelType,
  externalOrderId: z.string().min(1).max(255),
  externalNumber: z.string().max(100).optional(),
  marketplaceId: z
    .string()
    .regex(/^[A-Z0-9]{10,14}$/)
    .optional()
    .meta({ description: 'Amazon: the marketplace the order was placed in (shipment confirmations name it).' }),
});

/** The order's customer data was erased (GDPR); shared/domain/customer.ts does the erasing. */
export const ErasureMark = z
  .object({
    erasureId: z.string().meta({ description: 'The erasure (ULID) that removed the personal data.' }),
    erasedAt: Timestamp,
  })
  .meta({
    id: 'ErasureMark',
    description: "Set when the customer's personal data was erased from the order (POST /v1/customers/{customerId}/erase): the order is kept for accounting, its customer and addresses are pseudonyms, and later channel deliveries do not bring the data back.",
  });
export type ErasureMark = z.infer<typeof ErasureMark>;

export const FulfillmentType = z.enum(['ship', 'pickup', 'carry_out']);

export const OrderWarning = z
  .object({
    code: z
      .enum(['totals_mismatch', 'amount_rounded', 'address_incomplete', 'field_truncated', 'field_dropped'])
      .meta({
        description:
          'field_truncated: a text longer than the OMS keeps was cut (details: field, originalLength, keptLength); field_dropped: a value that cannot be kept was left out (an e-mail or phone longer than any valid one, coordinates off the Earth; details: field, reason). The full payload stays on the order\'s source.',
      }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'OrderWarning' });
export type OrderWarning = z.infer<typeof OrderWarning>;

/** Everything a channel adapter produces; the OMS adds ids, status and timestamps. */
export const OrderDraft = z
  .object({
    channel: OrderChannelRef.extend({ externalOrderId: ExternalOrderId }),
    customer: z.object({
      name: z.string().max(200).optional(),
      email: z.string().max(320).optional(),
      phone: z.string().max(40).optional(),
      smsConsent: z.boolean().optional().meta({ description: 'The customer agreed to order updates by SMS (sent only then).' }),
      locale: z
        .string()
        .max(35)
        .regex(/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/)
        .optional()
        .meta({
          description:
            "The customer's language (BCP 47 tag, e.g. `de-DE`), from the channel when it says (Shopify `customer_locale`, the Amazon marketplace's language) or given by the API caller; e-mails are written in it when the OMS has wording for it, else in the merchant's default (docs/notifications.md).",
          example: 'de-DE',
        }),
    }),
    shippingAddress: OrderAddress.optional(),
    billingAddress: OrderAddress.optional(),
    currency: CurrencyCode,
    lines: z.array(DraftLine).min(1).max(MAX_ORDER_LINES),
    shipping: z.object({
      method: z.string().max(200).optional(),
      serviceLevel: z.string().max(100).optional(),
      carrier: z.string().max(100).optional(),
      price: z.number().int().min(0),
      tax: z.number().int().min(0),
    }),
    fulfillment: z.object({
      type: FulfillmentType,
      locationId: z.string().optional().meta({ description: 'Store for pickup / carry-out.' }),
      fulfilledBy: z.enum(['merchant', 'channel']).meta({ description: '`channel`: the marketplace ships it (Amazon AFN); never routed.' }),
    }),
    promised: z.object({ shipBy: Timestamp.optional(), deliverBy: Timestamp.optional() }),
    payment: z.object({
      state: PaymentState,
      method: z.string().max(100).optional(),
      provider: z.string().max(100).optional(),
      reference: z.string().max(200).optional(),
    }),
    totals: z.object({
      subtotal: z.number().int(),
      discount: z.number().int().min(0),
      shipping: z.number().int().min(0),
      tax: z.number().int().min(0),
      total: z.number().int().meta({ description: 'The total the channel charged.' }),
      taxesIncluded: z.boolean().meta({ description: 'Whether line prices already include tax.' }),
    }),
    /** The channel's own status, mapped: cancelled at the channel, or held (Amazon Pending). */
    channelState: z.enum(['open', 'pending', 'cancelled', 'shipped']),
    notes: z.string().max(5000).optional(),
    warnings: z.array(OrderWarning),
    channelCreatedAt: Timestamp,
    channelUpdatedAt: Timestamp,
  })
  .meta({ id: 'OrderDraft' });
export type OrderDraft = z.infer<typeof OrderDraft>;

/** What an order created by an exchange (a return's replacement) or a claim's reship points back to. */
export const ExchangeFor = z
  .object({
    orderId: z.string().meta({ description: 'The original order.' }),
    returnId: z.string().optional().meta({ description: 'The return whose exchange created this order.' }),
    claimId: z.string().optional().meta({ description: 'The claim whose reship created this order.' }),
  })
  .meta({ id: 'ExchangeFor', description: 'Set on an order created by an exchange or a claim: the original order, and the return or claim.' });
export type ExchangeFor = z.infer<typeof ExchangeFor>;

export const Order = OrderDraft.extend({
  channel: OrderChannelRef,
  lines: z.array(OrderLine).min(1).max(1000),
  orderId: z.string().meta({ description: 'OMS order id (ULID: sorts by creation time).' }),
  status: OrderStatus,
  hold: z
    .object({
      reason: z.enum(['payment_pending', 'out_of_stock', 'too_large', 'routing_review', 'pickup_unavailable', 'money_review']),
      since: Timestamp,
      note: z.string().max(2000).optional().meta({ description: 'What a person has to look at (money_review: each problem with the amounts).' }),
    })
    .optional()
    .meta({
      description:
        'Why an on_hold order waits: payment still pending at the channel, stock it may not backorder, more stock positions than one reservation transaction can hold (split the order), a routing rule that holds short orders for review, a pickup store that cannot serve the order, or money that does not add up (a channel order with negative or inconsistent amounts: never reserved, charged or invoiced as is).',
    }),
  fulfillmentHold: OrderHold.optional(),
  exchangeFor: ExchangeFor.optional(),
  erasure: ErasureMark.optional(),
  version: z.number().int().min(1),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}).meta({ id: 'Order' });
export type Order = z.infer<typeof Order>;

/** An order in lists: the header without its lines. */
export const OrderSummary = Order.omit({ lines: true })
  .extend({ lineCount: z.number().int().min(1) })
  .meta({ id: 'OrderSummary' });
export type OrderSummary = z.infer<typeof OrderSummary>;

export const TimelineEntry = z
  .object({
    at: Timestamp,
    type: z.string().meta({ example: 'received' }),
    actor: z.string(),
    message: z.string(),
    correlationId: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/**
 * Totals are checked: lines − discounts + shipping + tax (unless prices
 * include tax) must equal the channel's total within its rounding (one
 * minor unit per line, plus one). A mismatch becomes a warning on the order,
 * never a silent drop or a refusal.
 */
export function checkTotals(totals: OrderDraft['totals'], lineCount: number, currency: string): OrderWarning | undefined {
  const expected = totals.subtotal - totals.discount + totals.shipping + (totals.taxesIncluded ? 0 : totals.tax);
  const difference = totals.total - expected;
  const tolerance = lineCount + 1;
  if (Math.abs(difference) <= tolerance) return undefined;
  const money = (amount: number) => formatMoney(amount, currency);
  return {
    code: 'totals_mismatch',
    message: `Lines ${money(totals.subtotal)} − discounts ${money(totals.discount)} + shipping ${money(totals.shipping)}${totals.taxesIncluded ? '' : ` + tax ${money(totals.tax)}`} = ${money(expected)}, but the channel's total is ${money(totals.total)}`,
    details: { expected, actual: totals.total, difference, currency },
  };
}

/**
 * The largest amount the OMS takes in one money field, one line (price ×
 * quantity) or one order: 10^12 minor units (ten billion dollars, a trillion
 * yen). Sums of 1,000 such lines stay exact integers in a JavaScript number,
 * so no total is ever rounded by floating point.
 */
export const MAX_MINOR_UNITS = 1_000_000_000_000;

/**
 * What the lines say the order costs: Σ (price × quantity − discount + tax)
 * + shipping + shipping tax (taxes only when prices exclude them). This, not
 * a caller's or a channel's `total`, is what a provider is asked to
 * authorize and capture, and what the invoices of the order add up to.
 */
export function linesTotal(order: Pick<OrderDraft, 'lines' | 'shipping' | 'totals'>): number {
  const taxed = !order.totals.taxesIncluded;
  const lines = order.lines.reduce((sum, line) => sum + line.subtotal - line.discount + (taxed ? line.tax : 0), 0);
  return lines + order.totals.shipping + (taxed ? order.shipping.tax : 0);
}

/** One reason an order's money cannot be trusted as is. */
export interface MoneyProblem {
  /** Field of the order it is about (`lines.0.discount`, `totals.total`). */
  path: string;
  message: string;
}

/**
 * Money a person must look at before the order is reserved, charged or
 * invoiced: negative prices or totals, a discount larger than its line,
 * amounts beyond MAX_MINOR_UNITS, totals that do not add up (checkTotals,
 * with its rounding tolerance). Channel orders with any of these are held
 * `money_review`; API orders never get this far (their schema refuses them).
 */
export function moneyProblems(draft: Pick<OrderDraft, 'lines' | 'shipping' | 'totals' | 'currency'>): MoneyProblem[] {
  const money = (amount: number) => formatMoney(amount, draft.currency);
  const problems: MoneyProblem[] = [];
  const tooLarge = (path: string, amount: number) => {
    if (Math.abs(amount) > MAX_MINOR_UNITS) problems.push({ path, message: `${path} ${money(amount)} is beyond the OMS's limit of ${money(MAX_MINOR_UNITS)}` });
  };
  draft.lines.forEach((line, index) => {
    const at = `lines.${index}`;
    if (line.unitPrice < 0) problems.push({ path: `${at}.unitPrice`, message: `Line ${line.lineId} (${line.sku}) has a negative price, ${money(line.unitPrice)}` });
    if (line.subtotal < 0) problems.push({ path: `${at}.subtotal`, message: `Line ${line.lineId} (${line.sku}) has a negative amount, ${money(line.subtotal)}` });
    else if (line.discount > line.subtotal) {
      problems.push({ path: `${at}.discount`, message: `Line ${line.lineId} (${line.sku}) is discounted ${money(line.discount)}, more than its ${money(line.subtotal)}` });
    }
    tooLarge(`${at}.unitPrice`, line.unitPrice);
    tooLarge(`${at}.subtotal`, line.subtotal);
    tooLarge(`${at}.discount`, line.discount);
    tooLarge(`${at}.tax`, line.tax);
  });
  for (const field of ['subtotal', 'discount', 'shipping', 'tax', 'total'] as const) tooLarge(`totals.${field}`, draft.totals[field]);
  if (draft.totals.total < 0) problems.push({ path: 'totals.total', message: `The total is negative, ${money(draft.totals.total)}` });
  const mismatch = checkTotals(draft.totals, draft.lines.length, draft.currency);
  if (mismatch) problems.push({ path: 'totals.total', message: mismatch.message });
  return problems;
}

/** The money_review hold for an order whose money has `problems`. */
export function moneyReviewHold(problems: readonly MoneyProblem[], since: string): NonNullable<Order['hold']> {
  return { reason: 'money_review', since, note: problems.map((p) => p.message).join('; ').slice(0, 2000) };
}

/** The timeline entry of a money_review hold. */
export function moneyReviewEntry(note: string | undefined): Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'> {
  return {
    type: 'held',
    message: `Held for money review: ${note ?? 'the amounts do not add up'}. Not reserved, charged or invoiced until the channel corrects it or a person releases it.`,
    data: { reason: 'money_review' },
  };
}

/** The status an order starts in, from what the channel says about it. */
export function initialStatus(draft: OrderDraft): { status: OrderStatus; hold?: Order['hold'] } {
  if (draft.channelState === 'cancelled') return { status: 'cancelled' };
  if (draft.fulfillment.fulfilledBy === 'channel') return { status: 'fulfilled_by_channel' };
  if (draft.channelState === 'shipped') return { status: 'shipped' };
  const problems = moneyProblems(draft);
  if (problems.length > 0) return { status: 'on_hold', hold: moneyReviewHold(problems, draft.channelCreatedAt) };
  if (draft.channelState === 'pending') return { status: 'on_hold', hold: { reason: 'payment_pending', since: draft.channelCreatedAt } };
  return { status: 'received' };
}
