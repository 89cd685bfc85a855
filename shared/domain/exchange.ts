import * as z from 'zod';
import { Timestamp } from './common.ts';
import type { ErrorDetail } from './errors.ts';
import { MAX_MINOR_UNITS, Sku, linesTotal, type ExchangeFor, type Order, type OrderLine } from './order.ts';
import { paymentModeOf } from './payment.ts';

/**
 * Exchanges, claims and store credit: the pure rules. An exchange is a
 * return whose resolution is `exchange`: the customer gets replacement
 * units in a NEW order (same customer, addresses, channel), priced at the
 * returned lines' prices (or a price staff give); the returned units are a
 * credit against it, and only the difference moves money. A claim (damaged
 * or lost in transit) reships units at no charge, or refunds them, without
 * a return. Store credit is a refund issued as a code instead of money back.
 */

const Minor = z.number().int().min(0).max(MAX_MINOR_UNITS);

export const ExchangeLineInput = z
  .strictObject({
    sku: Sku.meta({ description: 'The replacement SKU (another size or colour, or the same SKU again).' }),
    quantity: z.number().int().min(1).max(100_000),
    replaces: z.string().min(1).max(64).optional().meta({ description: 'The order line (of the return) this replaces: the replacement is priced like it. Defaults to the return\'s line with the same SKU.' }),
    unitPrice: Minor.optional().meta({ description: 'A price staff give for one unit (minor units, the whole price: no tax is added on top); otherwise the replaced line\'s own price share.' }),
  })
  .meta({ id: 'ExchangeLineInput' });
export type ExchangeLineInput = z.infer<typeof ExchangeLineInput>;

export const ExchangeRequestInput = z
  .strictObject({
    lines: z.array(ExchangeLineInput).min(1).max(100).meta({ description: 'The replacement lines. Default: the returned SKUs and quantities.' }),
  })
  .meta({ id: 'ExchangeRequestInput', description: 'Only with `resolution: exchange`.' });
export type ExchangeRequestInput = z.infer<typeof ExchangeRequestInput>;

export const ExchangeAction = z.enum(['none', 'authorize', 'collect_at_channel', 'collect_on_delivery', 'refund']).meta({
  description:
    'What the difference does: `none` (costs the same), `authorize` (costs more, paid through a provider: the new order is authorized for the difference and captured as it ships), `collect_at_channel` (costs more, paid at the channel: owed, recorded), `collect_on_delivery` (cash on delivery: the carrier collects it), `refund` (costs less: refunded on the original order through issueRefund when the return is received).',
});
export type ExchangeAction = z.infer<typeof ExchangeAction>;

/** The exchange as its return keeps it. */
export const Exchange = z
  .object({
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), replaces: z.string().optional(), unitPrice: z.number().int().optional() })),
    credit: z.number().int().meta({ description: 'What the returned units are worth (their shares of price, discount and tax), minor units.' }),
    value: z.number().int().meta({ description: 'What the replacement lines are worth at their prices, minor units.' }),
    difference: z.number().int().meta({ description: 'value − credit: positive is charged, negative refunded.' }),
    action: ExchangeAction,
    shipsOn: z.enum(['approval', 'receipt']),
    orderId: z.string().optional().meta({ description: 'The replacement order, once created (on approval).' }),
    createdAt: Timestamp.optional(),
    releasedAt: Timestamp.optional().meta({ description: 'When the replacement order\'s `awaiting_return` hold was released (on receipt).' }),
  })
  .meta({ id: 'Exchange' });
export type Exchange = z.infer<typeof Exchange>;

/** Share of `amount` for `now` units out of `quantity`, as invoices and refunds floor it (from the first unit). */
function share(amount: number, quantity: number, now: number): number {
  return Math.floor((amount * now) / quantity);
}

function valueOf(line: Pick<OrderLine, 'subtotal' | 'discount' | 'tax'>, taxed: boolean): number {
  return line.subtotal - line.discount + (taxed ? line.tax : 0);
}

/** `quantity` units of `line` at its own shares of subtotal, discount and tax (cumulative floors from the first unit). */
function unitsOfLine(line: OrderLine, quantity: number): Pick<OrderLine, 'unitPrice' | 'subtotal' | 'discount' | 'tax' | 'title' | 'requiresShipping'> {
  return {
    unitPrice: line.unitPrice,
    subtotal: share(line.subtotal, line.quantity, quantity),
    discount: share(line.discount, line.quantity, quantity),
    tax: share(line.tax, line.quantity, quantity),
    title: line.title,
    requiresShipping: line.requiresShipping,
  };
}

export interface PricedReplacement {
  /** The new order's lines, the credit already taken off (as discount, then tax): they add up to what is charged. */
  lines: OrderLine[];
  /** The replacement at its prices, before the credit. */
  value: number;
  credit: number;
  /** value − credit. */
  difference: number;
}

/**
 * Prices replacement lines against the units they replace. Each
 * replacement line is priced by, in this order: the staff's `unitPrice`;
 * the order line it `replaces` (which must be a line of the return); the
 * return's line with the same SKU; the order's line with the same SKU. The
 * price is that line's own share for the quantity (cumulative floors from
 * the first unit, as invoices give them), so a like-for-like exchange costs
 * exactly what came back: difference 0. The credit — what the returned
 * units are worth by the same shares — is taken off the new lines in order
 * (as discount, then, for prices without tax, off the tax), so the new
 * order's linesTotal is exactly max(0, difference): what a provider is asked
 * to authorize and capture. Problems name `exchange.lines.<i>.<field>`.
 */
export function priceReplacement(
  order: Pick<Order, 'lines' | 'totals'>,
  credited: readonly { lineId: string; quantity: number }[],
  wanted: readonly ExchangeLineInput[],
): { priced: PricedReplacement; problems: ErrorDetail[] } {
  const taxed = !order.totals.taxesIncluded;
  const problems: ErrorDetail[] = [];
  const credit = credited.reduce((sum, c) => {
    const line = order.lines.find((l) => l.lineId === c.lineId);
    return line ? sum + valueOf(unitsOfLine(line, c.quantity), taxed) : sum;
  }, 0);
  const lines: OrderLine[] = [];
  wanted.forEach((w, i) => {
    const at = `exchange.lines.${i}`;
    const title = order.lines.find((l) => l.sku === w.sku)?.title ?? w.sku;
    if (w.unitPrice !== undefined) {
      const subtotal = w.unitPrice * w.quantity;
      if (subtotal > MAX_MINOR_UNITS) problems.push({ in: 'body', path: `${at}.unitPrice`, message: `${w.quantity} × ${w.unitPrice} is beyond the OMS's limit of ${MAX_MINOR_UNITS} minor units` });
      lines.push({ lineId: `L${i + 1}`, sku: w.sku, title, quantity: w.quantity, unitPrice: w.unitPrice, subtotal, discount: 0, tax: 0, requiresShipping: true });
      return;
    }
    let source: OrderLine | undefined;
    if (w.replaces !== undefined) {
      if (!credited.some((c) => c.lineId === w.replaces)) {
        problems.push({ in: 'body', path: `${at}.replaces`, message: `Line ${w.replaces} is not a line of this return; it returns ${credited.map((c) => c.lineId).join(', ')}`, code: 'unknown_line' });
        return;
      }
      source = order.lines.find((l) => l.lineId === w.replaces);
    } else {
      source =
        order.lines.find((l) => l.sku === w.sku && credited.some((c) => c.lineId === l.lineId)) ?? order.lines.find((l) => l.sku === w.sku);
    }
    if (!source) {
      problems.push({ in: 'body', path: `${at}.unitPrice`, message: `The order has no line with SKU ${w.sku} to price it by: name the line it replaces (replaces) or give a unitPrice`, code: 'no_price' });
      return;
    }
    lines.push({ lineId: `L${i + 1}`, sku: w.sku, quantity: w.quantity, ...unitsOfLine(source, w.quantity), ...(source.sku === w.sku ? {} : { title }) });
  });
  const value = lines.reduce((sum, l) => sum + valueOf(l, taxed), 0);
  return { priced: { lines: withCredit(lines, Math.min(credit, value), taxed), value, credit, difference: value - credit }, problems };
}

/**
 * The exchange a return request asks for: its replacement lines (default:
 * the returned SKUs and quantities, each replacing its own line), priced
 * against the returned units, and what the difference does. Problems name
 * the field (`exchange`, `exchange.lines.<i>.<field>`).
 */
export function planExchange(
  order: Order,
  returned: readonly { lineId: string; sku: string; quantity: number }[],
  input: { resolution: string; exchange?: ExchangeRequestInput | undefined },
  shipsOn: 'approval' | 'receipt',
): { exchange?: Exchange; problems: ErrorDetail[] } {
  if (input.resolution !== 'exchange') {
    return input.exchange ? { problems: [{ in: 'body', path: 'exchange', message: 'Replacement lines go with `resolution: exchange` only', code: 'not_an_exchange' }] } : { problems: [] };
  }
  const wanted: ExchangeLineInput[] = input.exchange?.lines ?? returned.map((l) => ({ sku: l.sku, quantity: l.quantity, replaces: l.lineId }));
  const { priced, problems } = priceReplacement(order, returned, wanted);
  if (problems.length > 0) return { problems };
  return {
    exchange: {
      lines: wanted.map((w) => ({ sku: w.sku, quantity: w.quantity, ...(w.replaces !== undefined ? { replaces: w.replaces } : {}), ...(w.unitPrice !== undefined ? { unitPrice: w.unitPrice } : {}) })),
      credit: priced.credit,
      value: priced.value,
      difference: priced.difference,
      action: exchangeAction(order, priced.difference),
      shipsOn,
    },
    problems: [],
  };
}

/** Takes `credit` off the lines in order: discount up to each line's subtotal, then (prices without tax) its tax. Exact: the lines lose exactly `credit`. */
export function withCredit(lines: readonly OrderLine[], credit: number, taxed: boolean): OrderLine[] {
  let left = credit;
  return lines.map((line) => {
    const take = Math.min(left, valueOf(line, taxed));
    if (take <= 0) return line;
    left -= take;
    const discount = Math.min(take, line.subtotal - line.discount);
    return { ...line, discount: line.discount + discount, tax: line.tax - (take - discount) };
  });
}

/** The lines of a reship: the claimed units at their shares, wholly credited (nothing is charged). */
export function reshipLines(order: Pick<Order, 'lines' | 'totals'>, claimed: readonly { lineId: string; quantity: number }[]): OrderLine[] {
  const taxed = !order.totals.taxesIncluded;
  const lines: OrderLine[] = [];
  claimed.forEach((c, i) => {
    const line = order.lines.find((l) => l.lineId === c.lineId);
    if (line) lines.push({ lineId: `L${i + 1}`, sku: line.sku, quantity: c.quantity, ...unitsOfLine(line, c.quantity) });
  });
  return withCredit(lines, lines.reduce((sum, l) => sum + valueOf(l, taxed), 0), taxed);
}

/** What the difference of an exchange does, by how the original order was paid. */
export function exchangeAction(original: Pick<Order, 'payment'> & { channel: Pick<Order['channel'], 'channelType'> }, difference: number): ExchangeAction {
  if (difference < 0) return 'refund';
  if (difference === 0) return 'none';
  const mode = paymentModeOf(original);
  return mode === 'provider' ? 'authorize' : mode === 'cash_on_delivery' ? 'collect_on_delivery' : 'collect_at_channel';
}

/**
 * The replacement order (exchange or reship) as a new order of the same
 * customer, addresses and channel, under the external id `exchange:<returnId>`
 * or `claim:<claimId>` (so it is created once). No shipping is charged. The
 * payment: a provider authorization for a positive difference; cash on
 * delivery for the difference; otherwise `paid` (by the exchange or the
 * claim: what the customer owes at a channel is recorded on the exchange).
 */
export function replacementOrder(
  original: Order,
  input: { externalOrderId: string; lines: OrderLine[]; action: ExchangeAction; exchangeFor: ExchangeFor; at: string },
): Omit<Order, 'orderId' | 'status' | 'version' | 'createdAt' | 'updatedAt'> {
  const totals = {
    subtotal: input.lines.reduce((s, l) => s + l.subtotal, 0),
    discount: input.lines.reduce((s, l) => s + l.discount, 0),
    shipping: 0,
    tax: input.lines.reduce((s, l) => s + l.tax, 0),
    total: 0,
    taxesIncluded: original.totals.taxesIncluded,
  };
  const shipping = { ...(original.shipping.method ? { method: original.shipping.method } : {}), ...(original.shipping.serviceLevel ? { serviceLevel: original.shipping.serviceLevel } : {}), ...(original.shipping.carrier ? { carrier: original.shipping.carrier } : {}), price: 0, tax: 0 };
  totals.total = linesTotal({ lines: input.lines, shipping, totals });
  const payment: Order['payment'] =
    input.action === 'authorize'
      ? { ...original.payment }
      : input.action === 'collect_on_delivery'
        ? { state: 'cod' }
        : { state: 'paid', method: input.exchangeFor.claimId ? 'claim' : 'exchange', reference: input.externalOrderId };
  return {
    channel: { channelId: original.channel.channelId, channelType: original.channel.channelType, externalOrderId: input.externalOrderId },
    customer: original.customer,
    ...(original.shippingAddress ? { shippingAddress: original.shippingAddress } : {}),
    ...(original.billingAddress ? { billingAddress: original.billingAddress } : {}),
    currency: original.currency,
    lines: input.lines,
    shipping,
    fulfillment: { type: original.fulfillment.type === 'carry_out' ? 'ship' : original.fulfillment.type, ...(original.fulfillment.locationId && original.fulfillment.type === 'pickup' ? { locationId: original.fulfillment.locationId } : {}), fulfilledBy: 'merchant' },
    promised: {},
    payment,
    totals,
    channelState: 'open',
    notes: input.exchangeFor.claimId ? `Reship for claim ${input.exchangeFor.claimId} of order ${original.orderId}` : `Exchange for return ${input.exchangeFor.returnId ?? ''} of order ${original.orderId}`,
    warnings: [],
    channelCreatedAt: input.at,
    channelUpdatedAt: input.at,
    exchangeFor: input.exchangeFor,
  };
}

// ---------------------------------------------------------------- claims

export const ClaimKind = z.enum(['damaged', 'lost']).meta({ description: '`damaged`: arrived broken; `lost`: never arrived.' });
/** What a claim is about: staff say `damaged` or `lost`; a carrier's scan opens one as `lost` or `exception` (until staff say what it was). */
export const ClaimRecordKind = z.enum(['damaged', 'lost', 'exception']).meta({
  description: '`damaged`: arrived broken; `lost`: never arrived (staff, or the carrier declared it lost); `exception`: the carrier reported an exception on the parcel (a claim to review; staff may say `damaged` or `lost` when they resolve it).',
});
export const ClaimResolution = z.enum(['reship', 'refund']).meta({ description: '`reship`: a new order for the units at no charge; `refund`: their value back through issueRefund (kind `claim`).' });

export const ClaimInput = z
  .strictObject({
    lines: z
      .array(z.strictObject({ lineId: z.string().min(1).max(64).meta({ description: 'The order line.' }), quantity: z.number().int().min(1).max(100_000) }))
      .min(1)
      .max(100)
      .refine((lines) => new Set(lines.map((l) => l.lineId)).size === lines.length, 'Name each line once'),
    kind: ClaimKind,
    resolution: ClaimResolution,
    note: z.string().trim().min(1).max(2000).optional(),
  })
  .meta({ id: 'ClaimInput' });
export type ClaimInput = z.infer<typeof ClaimInput>;

export const Claim = z
  .object({
    claimId: z.string().meta({ description: 'ULID.' }),
    orderId: z.string(),
    kind: ClaimRecordKind,
    resolution: ClaimResolution.optional().meta({ description: 'Absent while a claim the carrier opened waits for staff (POST /v1/orders/{orderId}/claims/{claimId}/resolve).' }),
    lines: z.array(z.object({ lineId: z.string(), sku: z.string(), quantity: z.number().int() })),
    note: z.string().optional(),
    reportedBy: z.string().meta({ description: '`api` (staff) or `carrier:<carrierId>`.' }),
    shipment: z
      .object({ shipmentId: z.string(), carrierId: z.string(), trackingNumber: z.string(), status: z.string(), occurredAt: z.string(), description: z.string().optional() })
      .optional()
      .meta({ description: 'The parcel and the carrier scan that opened the claim (claims from carrier tracking only).' }),
    status: z.enum(['open', 'settled', 'dismissed']).meta({
      description: '`open` until its reship order or refund exists (a carrier\'s claim stays open until staff resolve it); `dismissed` when staff found nothing to make good (the parcel turned up): its units can be claimed again.',
    }),
    resolvedBy: z.string().optional(),
    resolvedAt: Timestamp.optional(),
    resolutionNote: z.string().optional(),
    reshipOrderId: z.string().optional(),
    refund: z.object({ refundId: z.string(), amount: z.number().int(), status: z.string() }).optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: z.number().int().min(1),
  })
  .meta({ id: 'Claim' });
export type Claim = z.infer<typeof Claim>;

/** Claim problems: unknown lines, more units than shipped minus what earlier claims took. */
export function claimProblems(input: ClaimInput, order: Pick<Order, 'lines'>, shipped: ReadonlyMap<string, number>, claimed: ReadonlyMap<string, number>): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  input.lines.forEach((l, i) => {
    const line = order.lines.find((o) => o.lineId === l.lineId);
    if (!line) {
      problems.push({ in: 'body', path: `lines.${i}.lineId`, message: `The order has no line ${l.lineId}`, code: 'unknown_line' });
      return;
    }
    const left = (shipped.get(l.lineId) ?? 0) - (claimed.get(l.lineId) ?? 0);
    if (l.quantity > left) {
      problems.push({
        in: 'body',
        path: `lines.${i}.quantity`,
        message: `Line ${l.lineId} (${line.sku}): ${l.quantity} claimed, but only ${Math.max(0, left)} can be (${shipped.get(l.lineId) ?? 0} shipped, ${claimed.get(l.lineId) ?? 0} in earlier claims)`,
        code: (shipped.get(l.lineId) ?? 0) === 0 ? 'not_shipped' : 'over_claimed',
      });
    }
  });
  return problems;
}

/** Staff resolve a claim: reship or refund its units, or dismiss it (the parcel was found, nothing to make good). */
export const ClaimResolveInput = z
  .strictObject({
    resolution: z.enum(['reship', 'refund', 'dismiss']).meta({ description: '`reship` (a new order at no charge), `refund` (their value back, kind `claim`), or `dismiss` (nothing to make good: the units can be claimed again).' }),
    kind: ClaimKind.optional().meta({ description: 'What it turned out to be, for a claim the carrier opened as `exception`.' }),
    by: z.string().trim().min(1).max(100).meta({ description: 'Who resolves it.' }),
    note: z.string().trim().min(1).max(2000).optional(),
  })
  .meta({ id: 'ClaimResolveInput' });
export type ClaimResolveInput = z.infer<typeof ClaimResolveInput>;

/**
 * An order's claims ledger (`CLAIMS` in its partition): the units held by
 * its open and settled claims per line, and the claim each shipment's
 * carrier scan opened. Every claim is written conditional on its version,
 * so two claims racing for the last units cannot both pass, and a parcel
 * opens one claim however many exception scans arrive.
 */
export const ClaimLedger = z.object({
  orderId: z.string(),
  claimed: z.record(z.string(), z.number().int().min(0)),
  shipments: z.record(z.string(), z.string()),
  version: z.number().int().min(1),
});
export type ClaimLedger = z.infer<typeof ClaimLedger>;

/** The ledger as the claims stored before it existed make it (open and settled ones hold their units). */
export function ledgerOf(orderId: string, claims: readonly Pick<Claim, 'claimId' | 'status' | 'lines' | 'shipment'>[]): Omit<ClaimLedger, 'version'> {
  const claimed: Record<string, number> = {};
  const shipments: Record<string, string> = {};
  for (const c of claims) {
    if (c.shipment) shipments[c.shipment.shipmentId] = c.claimId;
    if (c.status === 'dismissed') continue;
    for (const l of c.lines) claimed[l.lineId] = (claimed[l.lineId] ?? 0) + l.quantity;
  }
  return { orderId, claimed, shipments };
}

/** The ledger with `lines` added (`sign` 1) or given back (`sign` -1, a dismissed claim). */
export function ledgerWith(ledger: Pick<ClaimLedger, 'claimed'>, lines: readonly { lineId: string; quantity: number }[], sign: 1 | -1): Record<string, number> {
  const claimed = { ...ledger.claimed };
  for (const l of lines) claimed[l.lineId] = Math.max(0, (claimed[l.lineId] ?? 0) + sign * l.quantity);
  return claimed;
}

/**
 * The units a parcel's carrier claim covers: the parcel's SKUs and
 * quantities on the order's lines with that SKU, at most what each line
 * shipped minus what earlier claims hold. Empty when everything in the
 * parcel is already claimed.
 */
export function parcelClaimLines(
  order: Pick<Order, 'lines'>,
  parcel: readonly { sku: string; quantity: number }[],
  shipped: ReadonlyMap<string, number>,
  claimed: Readonly<Record<string, number>>,
): { lineId: string; sku: string; quantity: number }[] {
  const out: { lineId: string; sku: string; quantity: number }[] = [];
  const used = new Map<string, number>();
  for (const p of parcel) {
    let left = p.quantity;
    for (const line of order.lines) {
      if (left <= 0) break;
      if (line.sku !== p.sku) continue;
      const room = (shipped.get(line.lineId) ?? 0) - (claimed[line.lineId] ?? 0) - (used.get(line.lineId) ?? 0);
      const take = Math.min(left, room);
      if (take <= 0) continue;
      used.set(line.lineId, (used.get(line.lineId) ?? 0) + take);
      left -= take;
      const existing = out.find((o) => o.lineId === line.lineId);
      if (existing) existing.quantity += take;
      else out.push({ lineId: line.lineId, sku: line.sku, quantity: take });
    }
  }
  return out;
}

// ---------------------------------------------------------------- store credit

export const StoreCredit = z
  .object({
    code: z.string().meta({ description: 'What the customer types at checkout: `SC-` and 16 characters.', example: 'SC-7K2M9QXH4TBR8WNE' }),
    amount: z.number().int().min(0),
    currency: z.string(),
    email: z.string().meta({ description: 'The customer the credit belongs to (lower case).' }),
    orderId: z.string(),
    returnId: z.string().optional(),
    refundId: z.string(),
    creditNoteId: z.string().optional(),
    issuedAt: Timestamp,
  })
  .meta({ id: 'StoreCredit', description: 'Credit issued instead of money back (resolution `store_credit`). Redeeming it at checkout is not part of the OMS yet.' });
export type StoreCredit = z.infer<typeof StoreCredit>;

const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** A store-credit code from 16 random bytes' worth of choice (no 0/O, 1/I). */
export function storeCreditCode(random: Uint8Array): string {
  let code = 'SC-';
  for (let i = 0; i < 16; i++) code += CODE_ALPHABET[(random[i] ?? 0) % CODE_ALPHABET.length];
  return code;
}
