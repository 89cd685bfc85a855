import * as z from 'zod';
import { Timestamp } from './common.ts';
import { formatMoney } from './money.ts';
import type { Order } from './order.ts';

/**
 * Invoices: numbered per series without gaps (the number is taken from a
 * counter in the same transaction that stores the invoice, so a number is
 * used exactly when an invoice exists), one per shipment or per order.
 * Amounts per shipment are the shipped share of each line, computed on
 * cumulative units so the invoices of an order add up exactly to its total.
 */

export const InvoiceId = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9-]{0,19}-\d{6,}$/, 'An invoice id is <series>-<number>')
  .meta({ example: 'INV-000042' });

export const InvoiceLine = z.object({
  sku: z.string(),
  title: z.string(),
  quantity: z.number().int(),
  unitPrice: z.number().int(),
  discount: z.number().int(),
  tax: z.number().int(),
  amount: z.number().int().meta({ description: 'quantity × unit price − discount (+ tax when prices exclude it).' }),
});

/** Who a document (invoice, credit note) is addressed to: the billing address, else the shipping one, and the customer's e-mail. */
export const BillTo = z.object({
  name: z.string().optional(),
  email: z.string().optional(),
  lines: z.array(z.string()),
  city: z.string().optional(),
  region: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
});
export type BillTo = z.infer<typeof BillTo>;

/** The channel a document's order came from, as printed on it. */
export const DocumentChannel = z.object({ channelId: z.string(), externalNumber: z.string().optional() });

/** The channel and bill-to of an order's documents (its invoices and credit notes print the same). */
export function documentParties(order: Order): { channel: z.infer<typeof DocumentChannel>; billTo: BillTo } {
  const address = order.billingAddress ?? order.shippingAddress;
  return {
    channel: { channelId: order.channel.channelId, ...(order.channel.externalNumber ? { externalNumber: order.channel.externalNumber } : {}) },
    billTo: {
      ...(address?.name ?? order.customer.name ? { name: address?.name ?? order.customer.name } : {}),
      ...(order.customer.email ? { email: order.customer.email } : {}),
      lines: address?.lines ?? [],
      ...(address?.city ? { city: address.city } : {}),
      ...(address?.region ? { region: address.region } : {}),
      ...(address?.postalCode ? { postalCode: address.postalCode } : {}),
      ...(address?.country ? { country: address.country } : {}),
    },
  };
}

export const Invoice = z
  .object({
    invoiceId: z.string(),
    series: z.string(),
    number: z.number().int().min(1),
    orderId: z.string(),
    shipmentId: z.string().optional().meta({ description: 'Absent on a per-order invoice.' }),
    issuedAt: Timestamp,
    currency: z.string(),
    taxesIncluded: z.boolean(),
    channel: DocumentChannel,
    billTo: BillTo,
    lines: z.array(InvoiceLine),
    totals: z.object({ subtotal: z.number().int(), discount: z.number().int(), shipping: z.number().int(), tax: z.number().int(), total: z.number().int() }),
  })
  .meta({ id: 'Invoice' });
export type Invoice = z.infer<typeof Invoice>;

export function invoiceIdOf(series: string, number: number): string {
  return `${series}-${String(number).padStart(6, '0')}`;
}

/** Share of `amount` for units (before, before + now] of `quantity`, floored cumulatively (exact in total). */
function share(amount: number, quantity: number, before: number, now: number): number {
  return Math.floor((amount * (before + now)) / quantity) - Math.floor((amount * before) / quantity);
}

/**
 * The invoice body for units shipped now, given what earlier invoices of the
 * order covered (`invoicedBefore`, per SKU). `withShipping`: the first invoice
 * of an order carries the shipping charge.
 */
export function invoiceBody(
  order: Order,
  units: ReadonlyMap<string, number>,
  invoicedBefore: ReadonlyMap<string, number>,
  withShipping: boolean,
): Pick<Invoice, 'lines' | 'totals' | 'billTo' | 'currency' | 'taxesIncluded' | 'channel'> {
  const now = new Map(units);
  const before = new Map(invoicedBefore);
  const lines: z.infer<typeof InvoiceLine>[] = [];
  for (const line of order.lines) {
    // Units of a SKU fill its lines in order: earlier invoices first, then this one.
    const earlier = Math.min(line.quantity, before.get(line.sku) ?? 0);
    before.set(line.sku, (before.get(line.sku) ?? 0) - earlier);
    const take = Math.min(line.quantity - earlier, now.get(line.sku) ?? 0);
    now.set(line.sku, (now.get(line.sku) ?? 0) - take);
    if (take === 0) continue;
    const subtotal = share(line.subtotal, line.quantity, earlier, take);
    const discount = share(line.discount, line.quantity, earlier, take);
    const tax = share(line.tax, line.quantity, earlier, take);
    lines.push({
      sku: line.sku,
      title: line.title,
      quantity: take,
      unitPrice: line.unitPrice,
      discount,
      tax,
      amount: subtotal - discount + (order.totals.taxesIncluded ? 0 : tax),
    });
  }
  const shippingTax = withShipping ? order.shipping.tax : 0;
  const shipping = withShipping ? order.totals.shipping : 0;
  const subtotal = lines.reduce((sum, l) => sum + l.amount + l.discount - (order.totals.taxesIncluded ? 0 : l.tax), 0);
  const discount = lines.reduce((sum, l) => sum + l.discount, 0);
  const tax = lines.reduce((sum, l) => sum + l.tax, 0) + shippingTax;
  return {
    currency: order.currency,
    taxesIncluded: order.totals.taxesIncluded,
    ...documentParties(order),
    lines,
    totals: { subtotal, discount, shipping, tax, total: subtotal - discount + shipping + (order.totals.taxesIncluded ? 0 : tax) },
  };
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

const STYLE =
  'body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}.n{text-align:right}h1{margin:0 0 1rem}.meta{display:flex;justify-content:space-between;margin-bottom:1.5rem}article+article{break-before:page;margin-top:3rem}';

function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

/** One invoice as a printable section: the same on its own page and in an order's list. */
function invoiceArticle(invoice: Invoice, seller: { name: string }): string {
  const money = (minor: number) => escape(formatMoney(minor, invoice.currency));
  const rows = invoice.lines
    .map((l) => `<tr><td>${escape(l.sku)}</td><td>${escape(l.title)}</td><td class="n">${l.quantity}</td><td class="n">${money(l.unitPrice)}</td><td class="n">${money(l.discount)}</td><td class="n">${money(l.tax)}</td><td class="n">${money(l.amount)}</td></tr>`)
    .join('\n');
  const to = [invoice.billTo.name, ...invoice.billTo.lines, [invoice.billTo.postalCode, invoice.billTo.city].filter(Boolean).join(' '), invoice.billTo.region, invoice.billTo.country]
    .filter((part): part is string => Boolean(part))
    .map(escape)
    .join('<br>');
  return `<article>
<h1>Invoice ${escape(invoice.invoiceId)}</h1>
<div class="meta"><div><strong>${escape(seller.name)}</strong></div><div>Issued ${escape(invoice.issuedAt.slice(0, 10))}<br>Order ${escape(invoice.channel.externalNumber ?? invoice.orderId)}${invoice.shipmentId ? `<br>Shipment ${escape(invoice.shipmentId)}` : ''}</div></div>
<p><strong>Bill to</strong><br>${to}</p>
<table><thead><tr><th>SKU</th><th>Item</th><th class="n">Qty</th><th class="n">Unit price</th><th class="n">Discount</th><th class="n">Tax</th><th class="n">Amount</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<table style="width:auto;margin-left:auto;margin-top:1rem">
<tr><td>Subtotal</td><td class="n">${money(invoice.totals.subtotal)}</td></tr>
<tr><td>Discount</td><td class="n">−${money(invoice.totals.discount)}</td></tr>
<tr><td>Shipping</td><td class="n">${money(invoice.totals.shipping)}</td></tr>
<tr><td>Tax${invoice.taxesIncluded ? ' (included)' : ''}</td><td class="n">${money(invoice.totals.tax)}</td></tr>
<tr><td><strong>Total</strong></td><td class="n"><strong>${money(invoice.totals.total)}</strong></td></tr>
</table>
</article>`;
}

/** The invoice as a self-contained HTML document a person can read and print. */
export function renderInvoiceHtml(invoice: Invoice, seller: { name: string }): string {
  return htmlPage(`Invoice ${invoice.invoiceId}`, invoiceArticle(invoice, seller));
}

/** All invoices of an order as one printable document, each starting on a new page. */
export function renderInvoicesHtml(order: { orderId: string; reference: string }, invoices: readonly Invoice[], seller: { name: string }): string {
  const title = `Invoices of order ${order.reference}`;
  if (invoices.length === 0) return htmlPage(title, `<h1>${escape(title)}</h1>\n<p>Order ${escape(order.reference)} has no invoice yet: invoices are issued as it ships.</p>`);
  return htmlPage(title, invoices.map((invoice) => invoiceArticle(invoice, seller)).join('\n'));
}
