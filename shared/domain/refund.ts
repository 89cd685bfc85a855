import * as z from 'zod';
import { Timestamp } from './common.ts';
import { ValidationError, type ErrorDetail } from './errors.ts';
import { BillTo, DocumentChannel, InvoiceLine, documentParties, type Invoice } from './invoice.ts';
import { formatMoney } from './money.ts';
import { MAX_MINOR_UNITS, type Order } from './order.ts';
import type { Payment } from './payment.ts';

/**
 * Refunds and credit notes. A refund gives money back for units of an
 * order (returned, cancelled, claimed) or as goodwill. Its amount is exact
 * in minor units: a line's refunded units take their share of its price,
 * discount and tax by cumulative floors over every unit of the line refunded
 * so far — the same shares invoiceBody gives shipped units — so refunding
 * every unit of a line refunds exactly the line. Shipping (and its tax) is
 * refunded once at most; a fee (restocking) is deducted, never below zero.
 *
 * How the money moves depends on how the order was paid (paymentModeOf):
 * through a provider the captures are refunded (status `refunded`); at the
 * channel the refund waits for the channel write-back (`to_refund_at_channel`);
 * cash on delivery is paid back by a person (`to_refund_manually`). Units
 * cancelled before they shipped were never captured or collected:
 * `nothing_to_refund`, amount 0. A provider refund is `pending` from the
 * write that takes its amount from the payment's refundable total until the
 * provider answered; a provider that refuses it for good makes it `failed`
 * (the refused amount goes back to the refundable total).
 */

export const RefundKind = z.enum(['return', 'goodwill', 'cancellation', 'claim']);
export type RefundKind = z.infer<typeof RefundKind>;

export const RefundStatus = z.enum(['pending', 'refunded', 'to_refund_at_channel', 'to_refund_manually', 'nothing_to_refund', 'store_credit', 'failed']);
export type RefundStatus = z.infer<typeof RefundStatus>;

export const RefundLine = z.object({
  lineId: z.string(),
  sku: z.string(),
  title: z.string(),
  quantity: z.number().int().min(1),
  unitPrice: z.number().int(),
  subtotal: z.number().int().meta({ description: "The units' share of the line's subtotal." }),
  discount: z.number().int(),
  tax: z.number().int(),
  amount: z.number().int().meta({ description: 'subtotal − discount (+ tax when prices exclude it): what these units are worth.' }),
});
export type RefundLine = z.infer<typeof RefundLine>;

export const Refund = z
  .object({
    refundId: z.string().meta({ description: 'ULID.' }),
    orderId: z.string(),
    returnId: z.string().optional(),
    key: z.string().meta({ description: 'One refund per key and order (`return:<returnId>`, `cancel:<orderId>:<n>`, `goodwill:<Idempotency-Key>`).' }),
    kind: RefundKind,
    reason: z.string(),
    note: z.string().optional(),
    currency: z.string(),
    lines: z.array(RefundLine),
    shipping: z.object({ amount: z.number().int(), tax: z.number().int() }).optional().meta({ description: 'The shipping charge and its tax, when this refund gives them back.' }),
    fee: z.number().int().min(0).meta({ description: 'Deducted (restocking fee), at most what the units and shipping are worth.' }),
    goodwill: z.number().int().min(0).meta({ description: 'A goodwill amount (no lines).' }),
    value: z.number().int().min(0).meta({ description: 'What the refund is worth: lines + shipping − fee + goodwill.' }),
    amount: z.number().int().min(0).meta({ description: 'The money given back, minor units (0 when nothing was captured or collected for the units).' }),
    mode: z.enum(['provider', 'channel', 'cash_on_delivery']),
    status: RefundStatus,
    provider: z.string().optional(),
    providerRefunds: z
      .array(
        z.object({
          captureId: z.string(),
          amount: z.number().int(),
          idempotencyKey: z.string(),
          refundId: z.string().optional(),
          declined: z.object({ code: z.string(), message: z.string() }).optional().meta({ description: 'Status `failed`: the provider refused this part for good.' }),
        }),
      )
      .meta({ description: 'Provider refunds, one per capture refunded (each at most what the capture has left).' }),
    failure: z
      .object({
        code: z.string().meta({ description: "The provider's code for the refusal (e.g. `amount_too_large`: the capture was already refunded at the provider)." }),
        message: z.string(),
        notRefunded: z.number().int().min(0).meta({ description: 'What was not given back, minor units: refundable again on the payment.' }),
        at: Timestamp,
      })
      .optional()
      .meta({ description: 'Status `failed`: why the provider refused the refund, and how much of it was not given back.' }),
    channelReference: z.string().optional().meta({ description: "The channel's payment reference, for the channel write-back." }),
    refundedAtChannel: z
      .object({ at: z.string(), reference: z.string().optional().meta({ description: "The channel's id of the refund it made." }) })
      .optional()
      .meta({ description: 'The channel write-back sent it and the channel took it: the refund, `to_refund_at_channel` until then, is `refunded`.' }),
    creditNoteId: z.string().optional(),
    storeCreditCode: z.string().optional().meta({ description: 'Status `store_credit`: the code the amount was issued as (GET /v1/store-credits?email=).' }),
    creditNote: z.string().optional().meta({ description: 'Why the refund has no credit note (e.g. the order was never invoiced).' }),
    actor: z.string(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    completedAt: Timestamp.optional(),
  })
  .meta({ id: 'Refund' });
export type Refund = z.infer<typeof Refund>;

export const CreditNoteId = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9-]{0,19}-\d{6,}$/, 'A credit note id is <series>-<number>')
  .meta({ example: 'CN-000007' });

export const CreditNote = z
  .object({
    creditNoteId: z.string(),
    series: z.string(),
    number: z.number().int().min(1),
    orderId: z.string(),
    refundId: z.string(),
    returnId: z.string().optional(),
    invoiceIds: z.array(z.string()).min(1).meta({ description: 'The invoices it corrects.' }),
    reason: z.string(),
    issuedAt: Timestamp,
    currency: z.string(),
    taxesIncluded: z.boolean(),
    channel: DocumentChannel,
    billTo: BillTo,
    lines: z.array(InvoiceLine),
    totals: z.object({
      subtotal: z.number().int(),
      discount: z.number().int(),
      shipping: z.number().int(),
      tax: z.number().int(),
      fee: z.number().int(),
      goodwill: z.number().int(),
      total: z.number().int().meta({ description: 'What is credited: subtotal − discount + shipping (+ tax when prices exclude it) − fee + goodwill.' }),
    }),
  })
  .meta({ id: 'CreditNote' });
export type CreditNote = z.infer<typeof CreditNote>;

/** A provider refund still `pending` this long after it was recorded is finished by the deadline sweep (its caller failed or crashed). */
export const PENDING_REFUND_GRACE_MS = 60_000;

/** When the sweep should finish a pending refund recorded at `createdAt`. */
export function pendingRefundDueAt(createdAt: string): string {
  return new Date(Date.parse(createdAt) + PENDING_REFUND_GRACE_MS).toISOString();
}

/** Share of `amount` for units (before, before + now] of `quantity`, floored cumulatively (exact in total). */
function share(amount: number, quantity: number, before: number, now: number): number {
  return Math.floor((amount * (before + now)) / quantity) - Math.floor((amount * before) / quantity);
}

/** Units refunded so far per order line (by lineId), from earlier refunds. */
export function refundedUnits(refunds: readonly Pick<Refund, 'lines'>[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const refund of refunds) for (const line of refund.lines) units.set(line.lineId, (units.get(line.lineId) ?? 0) + line.quantity);
  return units;
}

export interface RefundRequest {
  lines?: readonly { sku: string; quantity: number }[] | undefined;
  shipping?: boolean | undefined;
  fee?: number | undefined;
  amount?: number | undefined;
}

/**
 * What a refund is worth. Units of a SKU fill its lines in order, after the
 * units earlier refunds took; each line's share of subtotal, discount and
 * tax is floored cumulatively over the units refunded so far, so the
 * refunds of every unit add up to the line exactly. Shipping once at most.
 * Throws a ValidationError naming the field for units the order cannot give
 * back (more than ordered minus refunded, unknown SKUs), a negative fee, or
 * a goodwill amount with lines.
 */
export function refundValue(
  order: Pick<Order, 'lines' | 'totals' | 'shipping' | 'currency'>,
  request: RefundRequest,
  earlier: readonly Pick<Refund, 'lines' | 'shipping'>[],
): Pick<Refund, 'lines' | 'shipping' | 'fee' | 'goodwill' | 'value'> {
  const problems: ErrorDetail[] = [];
  const lines = request.lines ?? [];
  if (request.amount !== undefined) {
    if (lines.length > 0) problems.push({ in: 'body', path: 'lines', message: 'A goodwill amount refunds no lines: give either lines or an amount' });
    if (!Number.isInteger(request.amount) || request.amount < 1 || request.amount > MAX_MINOR_UNITS) {
      problems.push({ in: 'body', path: 'amount', message: `A goodwill amount is a positive integer number of minor units, at most ${MAX_MINOR_UNITS}` });
    }
  } else if (lines.length === 0 && !request.shipping) {
    problems.push({ in: 'body', path: 'lines', message: 'Name the units to refund (or a goodwill amount)' });
  }
  const fee = request.fee ?? 0;
  if (!Number.isInteger(fee) || fee < 0 || fee > MAX_MINOR_UNITS) problems.push({ in: 'body', path: 'fee', message: 'A fee is a non-negative integer number of minor units' });
  const before = refundedUnits(earlier);
  const wanted = new Map<string, number>();
  lines.forEach((line, index) => {
    if (!Number.isInteger(line.quantity) || line.quantity < 1) problems.push({ in: 'body', path: `lines.${index}.quantity`, message: 'A quantity is a positive integer' });
    else wanted.set(line.sku, (wanted.get(line.sku) ?? 0) + line.quantity);
  });
  const taxed = !order.totals.taxesIncluded;
  const out: RefundLine[] = [];
  for (const [sku, quantity] of wanted) {
    let left = quantity;
    const ofSku = order.lines.filter((l) => l.sku === sku);
    const refundable = ofSku.reduce((sum, l) => sum + l.quantity - Math.min(l.quantity, before.get(l.lineId) ?? 0), 0);
    const index = lines.findIndex((l) => l.sku === sku);
    if (ofSku.length === 0) {
      problems.push({ in: 'body', path: `lines.${index}.sku`, message: `The order has no line with SKU ${sku}` });
      continue;
    }
    if (quantity > refundable) {
      problems.push({ in: 'body', path: `lines.${index}.quantity`, message: `${quantity} units of ${sku} asked, ${refundable} can still be refunded (ordered ${ofSku.reduce((s, l) => s + l.quantity, 0)})` });
      continue;
    }
    for (const line of ofSku) {
      const earlierUnits = Math.min(line.quantity, before.get(line.lineId) ?? 0);
      const take = Math.min(line.quantity - earlierUnits, left);
      if (take <= 0) continue;
      left -= take;
      const subtotal = share(line.subtotal, line.quantity, earlierUnits, take);
      const discount = share(line.discount, line.quantity, earlierUnits, take);
      const tax = share(line.tax, line.quantity, earlierUnits, take);
      out.push({ lineId: line.lineId, sku: line.sku, title: line.title, quantity: take, unitPrice: line.unitPrice, subtotal, discount, tax, amount: subtotal - discount + (taxed ? tax : 0) });
    }
  }
  if (problems.length > 0) throw new ValidationError('The refund cannot be made as asked', problems);
  const shippingDone = earlier.some((r) => r.shipping !== undefined);
  const shipping = request.shipping && !shippingDone && order.totals.shipping + order.shipping.tax > 0 ? { amount: order.totals.shipping, tax: order.shipping.tax } : undefined;
  const gross = out.reduce((sum, l) => sum + l.amount, 0) + (shipping ? shipping.amount + (taxed ? shipping.tax : 0) : 0);
  const goodwill = request.amount ?? 0;
  const deducted = Math.min(fee, gross);
  return { lines: out, ...(shipping ? { shipping } : {}), fee: deducted, goodwill, value: gross - deducted + goodwill };
}

/**
 * What the payment still allows to refund: captured (provider), paid (channel) or collected (cash on delivery) minus earlier refunds.
 * `collected` (cash on delivery): true once the whole order shipped, false before anything did, or the amount its shipped parcels were billed.
 */
export function refundable(payment: Pick<Payment, 'mode' | 'captured' | 'amount' | 'refunded'>, collected: boolean | number): number {
  const limit = payment.mode === 'cash_on_delivery' ? cashLimit(payment, collected) : payment.captured;
  return Math.max(0, limit - (payment.refunded ?? 0));
}

/** What a cash-on-delivery order has collected: all of it once shipped, nothing before, or what its shipped parcels were billed (never more than the amount). */
export function cashLimit(payment: Pick<Payment, 'amount'>, collected: boolean | number): number {
  return typeof collected === 'number' ? Math.min(payment.amount, collected) : collected ? payment.amount : 0;
}

/** The attribute of the payment item a refund's conditional write compares the refunded total with. */
export function refundLimitAttribute(mode: Payment['mode']): 'captured' | 'amount' {
  return mode === 'cash_on_delivery' ? 'amount' : 'captured';
}

/**
 * How a provider refund is split over the payment's captures: oldest first,
 * each at most what that capture has left (captured minus refunded).
 */
export function splitOverCaptures(captures: readonly Pick<Payment['captures'][number], 'captureId' | 'amount' | 'refunded'>[], amount: number): { captureId: string; amount: number }[] {
  const parts: { captureId: string; amount: number }[] = [];
  let left = amount;
  for (const capture of captures) {
    if (left <= 0) break;
    const take = Math.min(left, capture.amount - (capture.refunded ?? 0));
    if (take <= 0) continue;
    parts.push({ captureId: capture.captureId, amount: take });
    left -= take;
  }
  if (left > 0) throw new Error(`The captures hold ${amount - left} less than the ${amount} to refund`);
  return parts;
}

export function creditNoteIdOf(series: string, number: number): string {
  return `${series}-${String(number).padStart(6, '0')}`;
}

/**
 * The credit note body for a refund: its units as invoice lines (the same
 * shares), the shipping it gives back, the fee kept and any goodwill amount,
 * referencing the invoices that covered those units (every invoice of the
 * order for a goodwill refund or a shipping refund).
 */
export function creditNoteBody(
  order: Order,
  refund: Pick<Refund, 'refundId' | 'returnId' | 'reason' | 'lines' | 'shipping' | 'fee' | 'goodwill' | 'value'>,
  invoices: readonly Invoice[],
): Omit<CreditNote, 'creditNoteId' | 'number' | 'series' | 'issuedAt'> {
  const skus = new Set(refund.lines.map((l) => l.sku));
  const corrected = refund.goodwill > 0 || refund.shipping ? invoices : invoices.filter((i) => i.lines.some((l) => skus.has(l.sku)));
  const invoiceIds = (corrected.length > 0 ? corrected : invoices).map((i) => i.invoiceId);
  const taxed = !order.totals.taxesIncluded;
  const lines = refund.lines.map((l) => ({ sku: l.sku, title: l.title, quantity: l.quantity, unitPrice: l.unitPrice, discount: l.discount, tax: l.tax, amount: l.amount }));
  const subtotal = refund.lines.reduce((sum, l) => sum + l.subtotal, 0);
  const discount = refund.lines.reduce((sum, l) => sum + l.discount, 0);
  const shipping = refund.shipping?.amount ?? 0;
  const tax = refund.lines.reduce((sum, l) => sum + l.tax, 0) + (refund.shipping?.tax ?? 0);
  const total = subtotal - discount + shipping + (taxed ? tax : 0) - refund.fee + refund.goodwill;
  return {
    orderId: order.orderId,
    refundId: refund.refundId,
    ...(refund.returnId ? { returnId: refund.returnId } : {}),
    invoiceIds,
    reason: refund.reason,
    currency: order.currency,
    taxesIncluded: order.totals.taxesIncluded,
    ...documentParties(order),
    lines,
    totals: { subtotal, discount, shipping, tax, fee: refund.fee, goodwill: refund.goodwill, total },
  };
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/** The credit note as a self-contained HTML document a person can read and print (the invoices' look). */
export function renderCreditNoteHtml(note: CreditNote, seller: { name: string }): string {
  const money = (minor: number) => escape(formatMoney(minor, note.currency));
  const rows = note.lines
    .map((l) => `<tr><td>${escape(l.sku)}</td><td>${escape(l.title)}</td><td class="n">${l.quantity}</td><td class="n">${money(l.unitPrice)}</td><td class="n">${money(l.discount)}</td><td class="n">${money(l.tax)}</td><td class="n">${money(l.amount)}</td></tr>`)
    .join('\n');
  const to = [note.billTo.name, ...note.billTo.lines, [note.billTo.postalCode, note.billTo.city].filter(Boolean).join(' '), note.billTo.region, note.billTo.country]
    .filter((part): part is string => Boolean(part))
    .map(escape)
    .join('<br>');
  const style =
    'body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}.n{text-align:right}h1{margin:0 0 1rem}.meta{display:flex;justify-content:space-between;margin-bottom:1.5rem}';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Credit note ${escape(note.creditNoteId)}</title>
<style>${style}</style></head>
<body>
<article>
<h1>Credit note ${escape(note.creditNoteId)}</h1>
<div class="meta"><div><strong>${escape(seller.name)}</strong></div><div>Issued ${escape(note.issuedAt.slice(0, 10))}<br>Order ${escape(note.channel.externalNumber ?? note.orderId)}<br>Corrects ${note.invoiceIds.map(escape).join(', ')}</div></div>
<p><strong>Credit to</strong><br>${to}</p>
<p>Reason: ${escape(note.reason)}</p>
${note.lines.length > 0 ? `<table><thead><tr><th>SKU</th><th>Item</th><th class="n">Qty</th><th class="n">Unit price</th><th class="n">Discount</th><th class="n">Tax</th><th class="n">Amount</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>` : ''}
<table style="width:auto;margin-left:auto;margin-top:1rem">
<tr><td>Subtotal</td><td class="n">${money(note.totals.subtotal)}</td></tr>
<tr><td>Discount</td><td class="n">−${money(note.totals.discount)}</td></tr>
<tr><td>Shipping</td><td class="n">${money(note.totals.shipping)}</td></tr>
<tr><td>Tax${note.taxesIncluded ? ' (included)' : ''}</td><td class="n">${money(note.totals.tax)}</td></tr>
${note.totals.fee > 0 ? `<tr><td>Restocking fee</td><td class="n">−${money(note.totals.fee)}</td></tr>\n` : ''}${note.totals.goodwill > 0 ? `<tr><td>Goodwill</td><td class="n">${money(note.totals.goodwill)}</td></tr>\n` : ''}<tr><td><strong>Total credited</strong></td><td class="n"><strong>${money(note.totals.total)}</strong></td></tr>
</table>
</article>
</body></html>
`;
}
