import * as z from 'zod';
import { Timestamp, Versioned } from './common.ts';
import { distanceKm, locate } from './geo.ts';
import { Slug } from './ids.ts';
import type { Location } from './location.ts';
import type { Order } from './order.ts';
import { Exchange, ExchangeRequestInput } from './exchange.ts';

/**
 * Returns (RMA). A return policy is data, like a routing rule set: `default`
 * or a channel id, versioned, replaced whole by PUT. A return is one request
 * of a customer to send back shipped units of an order; it moves
 * requested → approved → in_transit → received → closed (or rejected, or
 * expired when nothing arrives in time). Its waits (approval, the parcel,
 * the receipt) live in its item in the table, never in a running workflow.
 */

export const PolicyId = Slug.meta({ description: '`default`, or a channel id: that channel\'s orders use this policy.', example: 'default' });

export const ReturnReasonCode = Slug.meta({ description: 'A reason code from the policy\'s list (`damaged`, `wrong_item`, `not_as_described`, `changed_mind`, `size`, …).', example: 'size' });

export const ReturnReason = z
  .strictObject({
    reason: ReturnReasonCode,
    description: z.string().max(200).optional(),
    needsApproval: z.boolean().default(false).meta({ description: 'A return naming this reason waits for staff to approve it; returns whose reasons all need none are approved at once.' }),
    restockingFee: z.boolean().default(false).meta({ description: 'The policy\'s restocking fee applies to lines returned for this reason (typically a change of mind, not a fault).' }),
  })
  .meta({ description: 'A reason customers can give, and what it implies.' });
export type ReturnReason = z.infer<typeof ReturnReason>;

const DEFAULT_REASONS: z.input<typeof ReturnReason>[] = [
  { reason: 'damaged', needsApproval: true },
  { reason: 'wrong_item' },
  { reason: 'not_as_described', needsApproval: true },
  { reason: 'changed_mind', restockingFee: true },
  { reason: 'size' },
];

export const ReturnPolicyInput = z
  .strictObject({
    description: z.string().max(500).optional(),
    windowDays: z.number().int().min(0).max(365).default(30).meta({ description: 'Days after delivery (or shipment, for parcels without a delivery scan) in which a return can be requested.' }),
    reasons: z
      .array(ReturnReason)
      .min(1)
      .max(50)
      .default(DEFAULT_REASONS.map((r) => ReturnReason.parse(r)))
      .refine((reasons) => new Set(reasons.map((r) => r.reason)).size === reasons.length, 'Reason codes must be distinct'),
    returnShippingPaidBy: z.enum(['merchant', 'customer']).default('merchant').meta({ description: '`customer`: the return label\'s cost is deducted from the refund.' }),
    restockingFeePercent: z.number().int().min(0).max(100).default(0).meta({ description: 'Percent of the value of lines returned for a reason with `restockingFee`, deducted from the refund.' }),
    receivingLocation: z
      .discriminatedUnion('strategy', [
        z.strictObject({ strategy: z.literal('nearest') }),
        z.strictObject({ strategy: z.literal('fixed'), locationId: Slug }),
      ])
      .default({ strategy: 'nearest' })
      .meta({ description: '`nearest`: the active location with the `returns` capability nearest the customer\'s address. `fixed`: always `locationId`.' }),
    receiveWithinDays: z.number().int().min(1).max(365).default(30).meta({ description: 'An approved return not handed to the carrier (or received) within this many days expires.' }),
    refundShipping: z.boolean().default(false).meta({ description: 'Whether a return of every unit also refunds the order\'s shipping charge.' }),
    carrier: z
      .strictObject({ carrierId: Slug, serviceLevel: z.string().min(1).max(50) })
      .optional()
      .meta({ description: 'Carrier and service for return labels; the cheapest rate otherwise.' }),
    exchangeShipsOn: z
      .enum(['approval', 'receipt'])
      .optional()
      .meta({ description: 'When an exchange\'s replacement order is handed to a location: at once on approval, or (`receipt`, the default) only once the return is received — it is created on approval and held `awaiting_return` until then.' }),
  })
  .meta({ id: 'ReturnPolicyInput', description: 'The full desired state of a return policy (PUT replaces it).' });
export type ReturnPolicyInput = z.infer<typeof ReturnPolicyInput>;

export const ReturnPolicy = ReturnPolicyInput.extend({ policyId: PolicyId, ...Versioned }).meta({ id: 'ReturnPolicy' });
export type ReturnPolicy = z.infer<typeof ReturnPolicy>;

/** What applies when no policy is stored: 30 days, label paid by the merchant, the nearest returns location. */
export const BUILT_IN_RETURN_POLICY: ReturnPolicy = {
  ...ReturnPolicyInput.parse({ description: 'Built in: 30 days from delivery, free return label, received at the nearest returns-capable location, 30 days to send it.' }),
  policyId: 'built-in',
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

export const ReturnStatus = z.enum(['requested', 'approved', 'rejected', 'in_transit', 'received', 'closed', 'expired']).meta({
  description:
    '`requested`: waits for staff approval. `approved`: a label is on its way to the customer; waits for the parcel. `in_transit`: the carrier scanned it. `received`: a location checked it in (restock, refund follow). `closed`: stock and money settled. `rejected`, `expired`: final, the units can be returned again.',
});
export type ReturnStatus = z.infer<typeof ReturnStatus>;

/** Statuses in which a return still holds its units (they cannot be requested again). */
export const HOLDS_UNITS: readonly ReturnStatus[] = ['requested', 'approved', 'in_transit', 'received', 'closed'];

export const ReturnCondition = z.enum(['resellable', 'damaged', 'missing']).meta({
  description: '`resellable`: back to available stock (`return_restock`). `damaged`: written off, never available (`write_off`). `missing`: not in the parcel; nothing moves and nothing is refunded for it.',
});
export type ReturnCondition = z.infer<typeof ReturnCondition>;

export const Resolution = z.enum(['refund', 'exchange', 'store_credit']).meta({
  description: 'What the customer asks for: `refund` (money back), `exchange` (replacement units in a new order, see `exchange`), `store_credit` (the refund\'s amount as a store-credit code instead of money back).',
});

export const ReturnLine = z.object({
  lineId: z.string(),
  sku: z.string(),
  quantity: z.number().int().min(1),
  reason: z.string(),
  condition: ReturnCondition.optional().meta({ description: 'Set by the receipt.' }),
});
export type ReturnLine = z.infer<typeof ReturnLine>;

export const ReturnTimelineEntry = z.object({ at: Timestamp, type: z.string(), actor: z.string(), message: z.string() });
export type ReturnTimelineEntry = z.infer<typeof ReturnTimelineEntry>;

export const Return = z
  .object({
    returnId: z.string().meta({ description: '`<orderId>-R<n>`', example: '01M8EJV774P67P6BX5MZSVEP9Q-R1' }),
    orderId: z.string(),
    channelId: z.string(),
    status: ReturnStatus,
    lines: z.array(ReturnLine),
    resolution: Resolution,
    customerNote: z.string().optional(),
    policy: z.object({ policyId: z.string(), version: z.number().int() }).meta({ description: 'The policy the return was requested under (its rules apply to the end).' }),
    needsApproval: z.boolean(),
    receivingLocationId: z.string(),
    returnShippingPaidBy: z.enum(['merchant', 'customer']),
    requestedAt: Timestamp,
    windowEndsAt: Timestamp,
    approvedAt: Timestamp.optional(),
    receiveBy: Timestamp.optional().meta({ description: 'Set on approval: an approved return not in transit or received by then expires.' }),
    rejection: z.object({ reason: z.string(), at: Timestamp }).optional(),
    label: z
      .object({
        carrierId: z.string(),
        serviceLevel: z.string(),
        trackingNumber: z.string(),
        trackingUrl: z.string(),
        rate: z.number().int(),
        currency: z.string(),
        labelFormat: z.string(),
        label: z
          .string()
          .optional()
          .meta({ description: 'The label document (`labelFormat`: ZPL text, or base64 PDF), read from the document store by `labelRef`: on GET /v1/returns/{returnId}, not in lists.' }),
        labelRef: z.string().optional().meta({ description: 'Where the label document is stored (S3 on AWS, `.oms/documents` locally): `labels/<orderId>/<returnId>.<zpl|pdf>`.' }),
        createdAt: Timestamp,
      })
      .optional(),
    tracking: z
      .object({ status: z.string(), events: z.array(z.object({ status: z.string(), at: z.string(), description: z.string().optional(), location: z.string().optional() })) })
      .optional(),
    receipt: z.object({ locationId: z.string(), receivedAt: Timestamp, note: z.string().optional() }).optional(),
    restockedAt: Timestamp.optional(),
    refund: z.record(z.string(), z.unknown()).optional().meta({ description: 'What the refund step answered (refund id, amount, status).' }),
    exchange: Exchange.optional().meta({ description: 'Resolution `exchange`: the replacement lines, the money and the replacement order.' }),
    storeCredit: z.object({ code: z.string(), amount: z.number().int(), currency: z.string() }).optional().meta({ description: 'Resolution `store_credit`: the credit issued on receipt.' }),
    closedAt: Timestamp.optional(),
    timeline: z
      .array(ReturnTimelineEntry)
      .meta({ description: 'The return\'s own history: the order\'s timeline entries about it (`return_*` and `exchange_created` carrying its `returnId`, types without the `return_` prefix), read on GET /v1/returns/{returnId}; empty in lists.' }),
    version: z.number().int().min(1),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Return' });
export type Return = z.infer<typeof Return>;

/**
 * A return's own history from its order's timeline: every step writes one
 * order timeline entry carrying the return's id in the step's transaction,
 * so the return item keeps no copy (a copy rewritten with every step was
 * most of what a return cost to write). `return_approved` → `approved`.
 */
export function returnTimelineOf(returnId: string, entries: readonly { at: string; type: string; actor: string; message: string; data?: Record<string, unknown> | undefined }[]): ReturnTimelineEntry[] {
  return entries
    .filter((e) => e.data?.['returnId'] === returnId && (e.type.startsWith('return_') || e.type === 'exchange_created'))
    .map((e) => ({ at: e.at, type: e.type.replace(/^return_/, ''), actor: e.actor, message: e.message }));
}

export function returnIdOf(orderId: string, n: number): string {
  return `${orderId}-R${n}`;
}

/** The order a return id names, or undefined when it is not a return id. */
export function orderIdOfReturn(returnId: string): string | undefined {
  const match = /^([0-9A-HJKMNP-TV-Z]{26})-R([1-9]\d{0,3})$/.exec(returnId);
  return match?.[1];
}

export const ReturnRequestInput = z
  .strictObject({
    lines: z
      .array(
        z.strictObject({
          lineId: z.string().min(1).max(64).meta({ description: 'The order line (`lineId` of GET /v1/orders/{orderId}).' }),
          quantity: z.number().int().min(1).max(100_000),
          reason: ReturnReasonCode,
        }),
      )
      .min(1)
      .max(100)
      .refine((lines) => new Set(lines.map((l) => l.lineId)).size === lines.length, 'Name each line once'),
    customerNote: z.string().max(2000).optional(),
    resolution: Resolution.default('refund'),
    exchange: ExchangeRequestInput.optional().meta({ description: 'Only with `resolution: exchange`: the replacement lines (default: the same SKUs and quantities).' }),
  })
  .meta({ id: 'ReturnRequestInput' });
export type ReturnRequestInput = z.infer<typeof ReturnRequestInput>;

export const ReturnReceiptInput = z
  .strictObject({
    locationId: Slug.optional().meta({ description: 'Where the parcel was checked in; the return\'s receiving location when absent.' }),
    lines: z
      .array(z.strictObject({ lineId: z.string().min(1).max(64), condition: ReturnCondition }))
      .min(1)
      .max(100)
      .refine((lines) => new Set(lines.map((l) => l.lineId)).size === lines.length, 'Name each line once'),
    note: z.string().max(2000).optional(),
  })
  .meta({ id: 'ReturnReceiptInput', description: 'The condition of every line of the return.' });
export type ReturnReceiptInput = z.infer<typeof ReturnReceiptInput>;

/** Units per order line: how many shipped (reservation `sold`, per SKU, filling the order's lines in order as invoices do). */
export function shippedPerLine(order: Pick<Order, 'lines'>, soldPerSku: ReadonlyMap<string, number>): Map<string, number> {
  const left = new Map(soldPerSku);
  const out = new Map<string, number>();
  for (const line of order.lines) {
    const shipped = Math.min(line.quantity, left.get(line.sku) ?? 0);
    left.set(line.sku, (left.get(line.sku) ?? 0) - shipped);
    out.set(line.lineId, shipped);
  }
  return out;
}

/** When the return window of an order ends: `windowDays` after its last delivery (or shipment). */
export function windowEnd(windowDays: number, deliveredOrShippedAt: string): string {
  return new Date(Date.parse(deliveredOrShippedAt) + windowDays * 86_400_000).toISOString();
}

/** Problems with a requested return, each naming its field: unknown lines, reasons not in the policy, more units than are returnable. */
export function returnProblems(
  input: ReturnRequestInput,
  order: Pick<Order, 'lines'>,
  policy: Pick<ReturnPolicy, 'reasons'>,
  shipped: ReadonlyMap<string, number>,
  alreadyReturned: Readonly<Record<string, number>>,
): { path: string; message: string; code: string }[] {
  const problems: { path: string; message: string; code: string }[] = [];
  input.lines.forEach((requested, i) => {
    const line = order.lines.find((l) => l.lineId === requested.lineId);
    if (!line) {
      problems.push({ path: `lines.${i}.lineId`, message: `The order has no line ${requested.lineId}`, code: 'unknown_line' });
      return;
    }
    if (!policy.reasons.some((r) => r.reason === requested.reason)) {
      problems.push({ path: `lines.${i}.reason`, message: `Not a reason of the return policy; use one of ${policy.reasons.map((r) => r.reason).join(', ')}`, code: 'unknown_reason' });
    }
    const shippedUnits = shipped.get(line.lineId) ?? 0;
    const returned = Object.hasOwn(alreadyReturned, line.lineId) ? (alreadyReturned[line.lineId] ?? 0) : 0;
    const returnable = Math.max(0, shippedUnits - returned);
    if (requested.quantity > returnable) {
      problems.push({
        path: `lines.${i}.quantity`,
        message: `Line ${line.lineId} (${line.sku}): ${requested.quantity} requested, but only ${returnable} can be returned (${shippedUnits} of ${line.quantity} shipped, ${returned} already in returns)`,
        code: shippedUnits === 0 ? 'not_shipped' : 'over_returned',
      });
    }
  });
  return problems;
}

/** The returns location for a customer: the policy's fixed one, or the nearest active location with the `returns` capability. */
export function receivingLocation(
  policy: Pick<ReturnPolicy, 'receivingLocation'>,
  locations: readonly Location[],
  address: Order['shippingAddress'],
): { locationId: string; why: string } | undefined {
  if (policy.receivingLocation.strategy === 'fixed') {
    const fixed = policy.receivingLocation.locationId;
    return locations.some((l) => l.locationId === fixed) ? { locationId: fixed, why: 'fixed by the policy' } : undefined;
  }
  const candidates = locations.filter((l) => l.active && (l.capabilities as readonly string[]).includes('returns'));
  const destination = address ? locate(address) : undefined;
  const ranked = candidates
    .map((l) => ({ l, km: destination?.geo && l.geo ? distanceKm(destination.geo, l.geo) : Number.POSITIVE_INFINITY }))
    .sort((a, b) => a.km - b.km || a.l.locationId.localeCompare(b.l.locationId));
  const best = ranked[0];
  if (!best) return undefined;
  return { locationId: best.l.locationId, why: Number.isFinite(best.km) ? `nearest returns location (${Math.round(best.km)} km)` : 'first returns location (no distance known)' };
}

/** Whether staff must approve: any line's reason needs it. */
export function needsApproval(lines: readonly { reason: string }[], policy: Pick<ReturnPolicy, 'reasons'>): boolean {
  return lines.some((l) => policy.reasons.find((r) => r.reason === l.reason)?.needsApproval ?? true);
}

/** Receipt problems: lines not in the return, lines of the return left out. */
export function receiptProblems(input: ReturnReceiptInput, record: Pick<Return, 'lines'>): { path: string; message: string; code: string }[] {
  const problems: { path: string; message: string; code: string }[] = [];
  input.lines.forEach((l, i) => {
    if (!record.lines.some((r) => r.lineId === l.lineId)) problems.push({ path: `lines.${i}.lineId`, message: `The return has no line ${l.lineId}; its lines are ${record.lines.map((r) => r.lineId).join(', ')}`, code: 'unknown_line' });
  });
  const missing = record.lines.filter((r) => !input.lines.some((l) => l.lineId === r.lineId));
  if (missing.length > 0) problems.push({ path: 'lines', message: `Give the condition of every line of the return; missing: ${missing.map((m) => m.lineId).join(', ')}`, code: 'incomplete_receipt' });
  return problems;
}
