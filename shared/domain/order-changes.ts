import * as z from 'zod';
import { CountryCode, GeoPoint } from './common.ts';
import { ConflictError, ValidationError, type ErrorDetail } from './errors.ts';
import { LineId } from './ids.ts';
import { formatMoney } from './money.ts';
import { MAX_MINOR_UNITS, Sku, linesTotal, type Order, type OrderLine } from './order.ts';
import { Allocation, mergeAllocations, type Need } from './reservation.ts';

/**
 * Changes to an order before it is fulfilled: cancelling some of its units
 * (`POST /v1/orders/{orderId}/cancel` with `lines`) and editing it as one
 * change set (`PATCH /v1/orders/{orderId}`: address, lines, quantities).
 * Pure rules: which lines change and how, what the order then costs, which
 * units go back to stock and which fulfillments must be re-made. The use
 * cases (shared/use-cases/order-changes.ts) write all of it in one
 * transaction.
 *
 * Money stays exact to the minor unit. A line that shrinks or grows keeps
 * the cumulative-floor share of its amounts that invoices and captures give
 * its first units (`resizeLine`), so the captures of what ships still add up
 * to the order's new `linesTotal`. A line some of whose units shipped can
 * only lose all of its unshipped units at once: it then becomes exactly the
 * shipped units, whose capture and invoice are already what their share is.
 */

const Minor = z.number().int().min(0).max(MAX_MINOR_UNITS);

export const CancelLinesInput = z
  .strictObject({
    reason: z.string().min(1).max(500),
    lines: z
      .array(
        z.strictObject({
          lineId: LineId.optional().meta({ description: 'The line to cancel units of (or name its `sku`).' }),
          sku: Sku.optional().meta({ description: "The SKU to cancel units of: taken from the SKU's last lines first." }),
          quantity: z.number().int().min(1).max(100_000),
        }),
      )
      .min(1)
      .max(1000)
      .optional()
      .meta({ description: 'Cancel only these units. Without `lines` the whole order is cancelled.' }),
  })
  .superRefine((input, ctx) => {
    input.lines?.forEach((line, index) => {
      if ((line.lineId === undefined) === (line.sku === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['lines', index], message: 'Name the line by `lineId` or by `sku` (one of them)' });
      }
    });
  })
  .meta({ id: 'CancelOrderInput' });
export type CancelLinesInput = z.output<typeof CancelLinesInput>;

const EditAddress = z.strictObject({
  name: z.string().max(200).optional(),
  company: z.string().max(200).optional(),
  lines: z.array(z.string().min(1).max(200)).min(1).max(4),
  city: z.string().min(1).max(100),
  region: z.string().max(100).optional(),
  postalCode: z.string().max(20).optional(),
  country: CountryCode,
  phone: z.string().max(40).optional(),
  geo: GeoPoint.optional(),
});

const ChangedLine = z.strictObject({
  lineId: z.string().min(1).max(64).meta({ description: 'An existing line.' }),
  quantity: z.number().int().min(0).max(100_000).meta({ description: 'The new quantity; 0 removes the line.' }),
  discount: Minor.optional().meta({ description: "The line's discount at the new quantity (default: its share of the old one)." }),
  tax: Minor.optional().meta({ description: "The line's tax at the new quantity (default: its share of the old one)." }),
});

const AddedLine = z.strictObject({
  sku: Sku,
  title: z.string().max(500),
  quantity: z.number().int().min(1).max(100_000),
  unitPrice: Minor,
  discount: Minor.default(0),
  tax: Minor.default(0),
  requiresShipping: z.boolean().default(true),
});

export const OrderEditInput = z
  .strictObject({
    reason: z.string().min(1).max(500).meta({ description: 'Why (on the timeline and in the OrderEdited event).' }),
    shippingAddress: EditAddress.optional().meta({ description: 'The new shipping address (replaces the old one).' }),
    lines: z
      .array(z.union([ChangedLine, AddedLine]))
      .min(1)
      .max(1000)
      .optional()
      .meta({ description: 'Lines to change (`lineId` + `quantity`, 0 removes) or add (`sku`, `title`, `quantity`, `unitPrice`…).' }),
  })
  .superRefine((input, ctx) => {
    if (!input.shippingAddress && !input.lines) ctx.addIssue({ code: 'custom', path: [], message: 'An edit changes `shippingAddress`, `lines`, or both' });
  })
  .meta({ id: 'OrderEditInput' });
export type OrderEditInput = z.output<typeof OrderEditInput>;

/** One line's part of a change set. */
export const LineChange = z
  .object({
    lineId: z.string(),
    sku: z.string(),
    change: z.enum(['added', 'removed', 'quantity', 'amounts', 'cancelled']),
    before: z.number().int().min(0).meta({ description: 'Quantity before (0: added).' }),
    after: z.number().int().min(0).meta({ description: 'Quantity after (0: removed or wholly cancelled).' }),
  })
  .meta({ id: 'LineChange' });
export type LineChange = z.infer<typeof LineChange>;

/** What a change did to the money: the order's figure before and after, and what happens to the difference. */
export const MoneyChange = z
  .object({
    currency: z.string(),
    before: z.number().int(),
    after: z.number().int(),
    difference: z.number().int().meta({ description: 'after − before (negative: the order costs less).' }),
    mode: z.enum(['provider', 'channel', 'cash_on_delivery']),
    action: z.enum(['none', 'captures_follow_lines', 'refund_at_channel', 'collect_at_channel', 'collect_on_delivery', 'authorize_on_confirmation']).meta({
      description:
        '`captures_follow_lines`: a provider authorization is captured per shipment for the remaining lines only; `refund_at_channel` / `collect_at_channel`: the channel owes the customer / is owed the difference (recorded); `collect_on_delivery`: the carrier collects the new total; `authorize_on_confirmation`: the payment is not confirmed yet and will be for the new total.',
    }),
  })
  .meta({ id: 'MoneyChange' });
export type MoneyChange = z.infer<typeof MoneyChange>;

/** What an order change did, as events, timelines and answers carry it. */
export const OrderChangeSet = z
  .object({
    changeId: z.string().meta({ description: 'Unique per change (`<orderId>:v<version>`: the order version it produced).' }),
    reason: z.string(),
    lines: z.array(LineChange),
    shippingAddress: z.object({ before: z.record(z.string(), z.unknown()).optional(), after: z.record(z.string(), z.unknown()) }).optional(),
    released: z.array(Allocation).meta({ description: 'Units given back to available stock, per position.' }),
    reserved: z.array(Allocation).meta({ description: 'Units newly reserved, per position (each with an `available >= q` condition).' }),
    backorderCancelled: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })).meta({ description: 'Units that were waiting for stock and no longer are.' }),
    rerouted: z.boolean().meta({ description: 'The new address moved the order to other locations.' }),
    fulfillmentsCancelled: z.array(z.string()).meta({ description: 'Fulfillments not yet accepted that were cancelled (labels voided); their remaining units get new fulfillments.' }),
    refulfill: z.boolean().meta({ description: 'Reserved units wait for a fulfillment: the fulfillOrder workflow creates it.' }),
    money: MoneyChange,
  })
  .meta({ id: 'OrderChangeSet' });
export type OrderChangeSet = z.infer<typeof OrderChangeSet>;

/** Share of `amount` for the first `units` of `quantity` (a cumulative floor, as invoices and captures share it). */
function share(amount: number, units: number, quantity: number): number {
  return Math.floor((amount * units) / quantity);
}

/**
 * A line at another quantity: its subtotal, discount and tax are the
 * cumulative-floor share of the old ones for its first `quantity` units
 * (a line that grows scales them the same way), unless given.
 */
export function resizeLine(line: OrderLine, quantity: number, amounts: { discount?: number | undefined; tax?: number | undefined } = {}): OrderLine {
  return {
    ...line,
    quantity,
    subtotal: line.subtotal === line.unitPrice * line.quantity ? line.unitPrice * quantity : share(line.subtotal, quantity, line.quantity),
    discount: amounts.discount ?? share(line.discount, quantity, line.quantity),
    tax: amounts.tax ?? share(line.tax, quantity, line.quantity),
  };
}

/** Units per SKU (from lines, allocations, shipments). */
export function unitsPerSku(items: readonly { sku: string; quantity: number }[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const item of items) units.set(item.sku, (units.get(item.sku) ?? 0) + item.quantity);
  return units;
}

/** Shipped units per line: a SKU's shipped units fill its lines in order, as invoices and captures count them. */
export function shippedPerLine(lines: readonly OrderLine[], sold: ReadonlyMap<string, number>): Map<string, number> {
  const left = new Map(sold);
  const shipped = new Map<string, number>();
  for (const line of lines) {
    const take = Math.min(line.quantity, left.get(line.sku) ?? 0);
    left.set(line.sku, (left.get(line.sku) ?? 0) - take);
    shipped.set(line.lineId, take);
  }
  return shipped;
}

const describe = (line: Pick<OrderLine, 'lineId' | 'sku'>) => `line ${line.lineId} (${line.sku})`;

/**
 * Which units of which lines a cancellation takes. A request naming a SKU
 * takes from its last lines first (the first ones are those that ship
 * first). Refused, naming each request: an unknown line or SKU (422); units
 * already shipped or more than the line has left (409 `not_cancellable`); a
 * line some of whose units shipped, left with unshipped units (409: cancel
 * all of its unshipped units or none).
 */
export function resolveCancellation(order: Order, sold: ReadonlyMap<string, number>, requested: NonNullable<CancelLinesInput['lines']>): { lines: OrderLine[]; changes: LineChange[] } {
  const shipped = shippedPerLine(order.lines, sold);
  const cancel = new Map<string, number>();
  const unknown: ErrorDetail[] = [];
  const refused: ErrorDetail[] = [];
  requested.forEach((request, index) => {
    if (request.lineId !== undefined) {
      const line = order.lines.find((l) => l.lineId === request.lineId);
      if (!line) {
        unknown.push({ in: 'body', path: `lines.${index}.lineId`, message: `Order ${order.orderId} has no line ${request.lineId}`, code: 'unknown_line' });
        return;
      }
      const left = line.quantity - (shipped.get(line.lineId) ?? 0) - (cancel.get(line.lineId) ?? 0);
      if (request.quantity > left) {
        refused.push({ in: 'body', path: `lines.${index}.quantity`, message: tooMany(line, request.quantity, left, shipped.get(line.lineId) ?? 0), code: 'not_cancellable' });
        return;
      }
      cancel.set(line.lineId, (cancel.get(line.lineId) ?? 0) + request.quantity);
      return;
    }
    const lines = order.lines.filter((l) => l.sku === request.sku);
    if (lines.length === 0) {
      unknown.push({ in: 'body', path: `lines.${index}.sku`, message: `Order ${order.orderId} has no line of SKU ${request.sku}`, code: 'unknown_sku' });
      return;
    }
    const left = lines.reduce((sum, l) => sum + l.quantity - (shipped.get(l.lineId) ?? 0) - (cancel.get(l.lineId) ?? 0), 0);
    if (request.quantity > left) {
      const sent = lines.reduce((sum, l) => sum + (shipped.get(l.lineId) ?? 0), 0);
      refused.push({
        in: 'body',
        path: `lines.${index}.quantity`,
        message: `Cannot cancel ${request.quantity} × ${request.sku}: ${left} left to cancel${sent > 0 ? ` (${sent} already shipped)` : ''}`,
        code: 'not_cancellable',
      });
      return;
    }
    let quantity = request.quantity;
    for (const line of [...lines].reverse()) {
      const take = Math.min(quantity, line.quantity - (shipped.get(line.lineId) ?? 0) - (cancel.get(line.lineId) ?? 0));
      if (take <= 0) continue;
      cancel.set(line.lineId, (cancel.get(line.lineId) ?? 0) + take);
      quantity -= take;
    }
  });
  if (unknown.length > 0) throw new ValidationError('The cancellation names lines the order does not have', unknown);
  if (refused.length > 0) throw new ConflictError('Some of these units cannot be cancelled', 'not_cancellable', refused);

  const partial: ErrorDetail[] = [];
  for (const line of order.lines) {
    const sent = shipped.get(line.lineId) ?? 0;
    const cancelled = cancel.get(line.lineId) ?? 0;
    if (cancelled > 0 && sent > 0 && sent + cancelled < line.quantity) {
      partial.push({
        in: 'body',
        path: 'lines',
        message: `${describe(line)} has ${sent} of ${line.quantity} units shipped: cancel all ${line.quantity - sent} unshipped units or none (shipped units are charged by their share of the line)`,
        code: 'partially_shipped_line',
      });
    }
  }
  if (partial.length > 0) throw new ConflictError('A partly shipped line can only lose all of its unshipped units', 'not_cancellable', partial);

  const lines: OrderLine[] = [];
  const changes: LineChange[] = [];
  for (const line of order.lines) {
    const cancelled = cancel.get(line.lineId) ?? 0;
    if (cancelled === 0) {
      lines.push(line);
      continue;
    }
    const after = line.quantity - cancelled;
    if (after > 0) lines.push(resizeLine(line, after));
    changes.push({ lineId: line.lineId, sku: line.sku, change: 'cancelled', before: line.quantity, after });
  }
  return { lines, changes };
}

function tooMany(line: OrderLine, quantity: number, left: number, sent: number): string {
  return `Cannot cancel ${quantity} × ${line.sku} of ${describe(line)}: ${left} left to cancel${sent > 0 ? ` (${sent} of ${line.quantity} already shipped)` : ''}`;
}

/**
 * The lines an edit produces. Refused (422, naming the field): a line id the
 * order does not have or named twice, an edit that would leave no line, or
 * money beyond the OMS's limits.
 */
export function applyLineEdits(order: Order, edits: NonNullable<OrderEditInput['lines']>): { lines: OrderLine[]; changes: LineChange[] } {
  const problems: ErrorDetail[] = [];
  const byId = new Map<string, { index: number; edit: z.output<typeof ChangedLine> }>();
  const added: { index: number; edit: z.output<typeof AddedLine> }[] = [];
  edits.forEach((edit, index) => {
    if ('lineId' in edit) {
      if (!order.lines.some((l) => l.lineId === edit.lineId)) problems.push({ in: 'body', path: `lines.${index}.lineId`, message: `Order ${order.orderId} has no line ${edit.lineId}`, code: 'unknown_line' });
      else if (byId.has(edit.lineId)) problems.push({ in: 'body', path: `lines.${index}.lineId`, message: `Line ${edit.lineId} is named twice`, code: 'duplicate_line' });
      else byId.set(edit.lineId, { index, edit });
    } else added.push({ index, edit });
  });
  const lines: OrderLine[] = [];
  const changes: LineChange[] = [];
  for (const line of order.lines) {
    const named = byId.get(line.lineId);
    if (!named) {
      lines.push(line);
      continue;
    }
    const { edit, index } = named;
    if (edit.quantity === 0) {
      changes.push({ lineId: line.lineId, sku: line.sku, change: 'removed', before: line.quantity, after: 0 });
      continue;
    }
    const next = resizeLine(line, edit.quantity, { discount: edit.discount, tax: edit.tax });
    if (next.unitPrice * next.quantity > MAX_MINOR_UNITS) problems.push({ in: 'body', path: `lines.${index}.quantity`, message: `unitPrice × quantity is beyond ${MAX_MINOR_UNITS} minor units`, code: 'too_big' });
    if (next.discount > next.subtotal) problems.push({ in: 'body', path: `lines.${index}.discount`, message: `The discount ${formatMoney(next.discount, order.currency)} is more than the line's ${formatMoney(next.subtotal, order.currency)}`, code: 'too_big' });
    lines.push(next);
    if (next.quantity !== line.quantity) changes.push({ lineId: line.lineId, sku: line.sku, change: 'quantity', before: line.quantity, after: next.quantity });
    else if (next.discount !== line.discount || next.tax !== line.tax) changes.push({ lineId: line.lineId, sku: line.sku, change: 'amounts', before: line.quantity, after: next.quantity });
  }
  const taken = new Set(order.lines.map((l) => l.lineId));
  let n = order.lines.length;
  for (const { edit, index } of added) {
    let lineId: string;
    do lineId = `L${++n}`;
    while (taken.has(lineId));
    taken.add(lineId);
    const subtotal = edit.unitPrice * edit.quantity;
    if (subtotal > MAX_MINOR_UNITS) problems.push({ in: 'body', path: `lines.${index}.unitPrice`, message: `unitPrice × quantity is beyond ${MAX_MINOR_UNITS} minor units`, code: 'too_big' });
    else if (edit.discount > subtotal) problems.push({ in: 'body', path: `lines.${index}.discount`, message: `The discount ${formatMoney(edit.discount, order.currency)} is more than the line's ${formatMoney(subtotal, order.currency)}`, code: 'too_big' });
    lines.push({ lineId, sku: edit.sku, title: edit.title, quantity: edit.quantity, unitPrice: edit.unitPrice, subtotal, discount: edit.discount, tax: edit.tax, requiresShipping: edit.requiresShipping });
    changes.push({ lineId, sku: edit.sku, change: 'added', before: 0, after: edit.quantity });
  }
  if (lines.length === 0) problems.push({ in: 'body', path: 'lines', message: 'An edit cannot remove every line: cancel the order instead', code: 'no_lines' });
  if (problems.length === 0 && linesTotal({ ...order, lines }) > MAX_MINOR_UNITS) problems.push({ in: 'body', path: 'lines', message: `The order would add up to more than ${MAX_MINOR_UNITS} minor units`, code: 'too_big' });
  if (problems.length > 0) throw new ValidationError('The edit cannot apply to this order', problems);
  return { lines, changes };
}

/**
 * The order with new lines: an order placed through the API costs what its
 * lines add up to (totals recomputed from them); a channel order keeps the
 * channel's own difference between its total and its lines (the channel's
 * rounding), moved by what the lines' value moved.
 */
export function withLines(order: Order, lines: OrderLine[]): Order {
  const next = { ...order, lines };
  const subtotal = lines.reduce((sum, l) => sum + l.subtotal, 0);
  const discount = lines.reduce((sum, l) => sum + l.discount, 0);
  const tax = lines.reduce((sum, l) => sum + l.tax, 0) + order.shipping.tax;
  const total = order.totals.total + linesTotal(next) - linesTotal(order);
  return { ...next, totals: { ...order.totals, subtotal, discount, tax, total } };
}

/**
 * How an order's stock changes when what it still needs per SKU goes from
 * the reservation's to `wanted`: units waiting for stock are given up first,
 * then reserved units released; units beyond what it holds or waits for
 * must be reserved.
 */
export function stockDelta(
  wanted: ReadonlyMap<string, number>,
  held: readonly Allocation[],
  backordered: readonly Need[],
): { release: Map<string, number>; reserve: Map<string, number>; backordered: Need[]; backorderCancelled: Need[] } {
  const heldBySku = unitsPerSku(held);
  const waitingBySku = unitsPerSku(backordered);
  const release = new Map<string, number>();
  const reserve = new Map<string, number>();
  const nextWaiting: Need[] = [];
  const cancelledWaiting: Need[] = [];
  for (const sku of new Set([...wanted.keys(), ...heldBySku.keys(), ...waitingBySku.keys()])) {
    const want = wanted.get(sku) ?? 0;
    const have = heldBySku.get(sku) ?? 0;
    const waiting = waitingBySku.get(sku) ?? 0;
    if (have > want) release.set(sku, have - want);
    const keepWaiting = Math.max(0, Math.min(waiting, want - have));
    if (keepWaiting > 0) nextWaiting.push({ sku, quantity: keepWaiting });
    if (waiting > keepWaiting) cancelledWaiting.push({ sku, quantity: waiting - keepWaiting });
    if (want > have + waiting) reserve.set(sku, want - have - waiting);
  }
  return { release, reserve, backordered: nextWaiting, backorderCancelled: cancelledWaiting };
}

/** A fulfillment as the release plan sees it. */
export interface HeldParcel {
  fulfillmentId: string;
  status: string;
  allocations: readonly Allocation[];
}

const positionKey = (a: Pick<Allocation, 'sku' | 'locationId' | 'shard'>) => `${a.sku}#${a.locationId}#${a.shard}`;

/**
 * Which reserved units to give back, per SKU: first units no fulfillment
 * holds, then those of fulfillments not yet accepted (`created`: cancelled,
 * their label voided, and their other units handed to a new fulfillment).
 * Units only fulfillments a location accepted still hold are `blocked`: the
 * location may have picked them already.
 */
export function planRelease(
  held: readonly Allocation[],
  open: readonly HeldParcel[],
  release: ReadonlyMap<string, number>,
  alsoCancel: ReadonlySet<string> = new Set(),
): { released: Allocation[]; cancelled: string[]; blocked: { sku: string; quantity: number; fulfillmentIds: string[] }[] } {
  const free = new Map(mergeAllocations(held).map((a) => [positionKey(a), { ...a }]));
  const take = (a: Allocation, quantity: number) => {
    const position = free.get(positionKey(a)) ?? free.get(positionKey({ ...a, shard: 0 }));
    if (position) position.quantity -= quantity;
  };
  for (const parcel of open) for (const a of parcel.allocations) take(a, a.quantity);
  const cancelled = new Set<string>();
  const cancel = (parcel: HeldParcel) => {
    if (cancelled.has(parcel.fulfillmentId)) return;
    cancelled.add(parcel.fulfillmentId);
    for (const a of parcel.allocations) {
      const position = free.get(positionKey(a)) ?? free.get(positionKey({ ...a, shard: 0 }));
      if (position) position.quantity += a.quantity;
    }
  };
  for (const parcel of open) if (alsoCancel.has(parcel.fulfillmentId)) cancel(parcel);
  const released: Allocation[] = [];
  const blocked: { sku: string; quantity: number; fulfillmentIds: string[] }[] = [];
  const fromFree = (sku: string, quantity: number): number => {
    let left = quantity;
    for (const position of [...free.values()].filter((p) => p.sku === sku && p.quantity > 0).sort((a, b) => b.quantity - a.quantity)) {
      const units = Math.min(left, position.quantity);
      position.quantity -= units;
      left -= units;
      released.push({ ...position, quantity: units });
      if (left === 0) break;
    }
    return left;
  };
  for (const [sku, quantity] of [...release].sort(([a], [b]) => a.localeCompare(b))) {
    let left = fromFree(sku, quantity);
    for (const parcel of [...open].sort((a, b) => b.fulfillmentId.localeCompare(a.fulfillmentId, 'en', { numeric: true }))) {
      if (left === 0) break;
      if (parcel.status !== 'created' || cancelled.has(parcel.fulfillmentId) || !parcel.allocations.some((a) => a.sku === sku)) continue;
      cancel(parcel);
      left = fromFree(sku, left);
    }
    if (left > 0) {
      const holding = open.filter((p) => !cancelled.has(p.fulfillmentId) && p.allocations.some((a) => a.sku === sku)).map((p) => p.fulfillmentId);
      blocked.push({ sku, quantity: left, fulfillmentIds: holding });
    }
  }
  return { released: mergeAllocations(released), cancelled: [...cancelled], blocked };
}

/** `held` less `released`, per position (a merged hot-SKU shard counts at shard 0). */
export function subtractAllocations(held: readonly Allocation[], released: readonly Allocation[]): Allocation[] {
  const left = new Map(mergeAllocations(held).map((a) => [positionKey(a), { ...a }]));
  for (const r of released) {
    const position = left.get(positionKey(r)) ?? left.get(positionKey({ ...r, shard: 0 }));
    if (position) position.quantity -= r.quantity;
  }
  return [...left.values()].filter((a) => a.quantity > 0);
}

/** Units held after a change that no open fulfillment holds (they wait for one). */
export function unassignedUnits(held: readonly Allocation[], open: readonly HeldParcel[]): number {
  const left = subtractAllocations(held, open.flatMap((p) => p.allocations));
  return left.reduce((sum, a) => sum + a.quantity, 0);
}

/** The net stock change per position: positive reserves (`available >= q`), negative releases (`reserved >= q`). */
export function netPositions(reserved: readonly Allocation[], released: readonly Allocation[]): { sku: string; locationId: string; shard: number; delta: number }[] {
  const net = new Map<string, { sku: string; locationId: string; shard: number; delta: number }>();
  for (const [list, sign] of [
    [reserved, 1],
    [released, -1],
  ] as const) {
    for (const a of list) {
      const entry = net.get(positionKey(a)) ?? { sku: a.sku, locationId: a.locationId, shard: a.shard, delta: 0 };
      entry.delta += sign * a.quantity;
      net.set(positionKey(a), entry);
    }
  }
  return [...net.values()].filter((p) => p.delta !== 0);
}

/** Short text for people: `2 × MUG-1 (L1), 1 × TEE (L2)`. */
export function describeLineChanges(changes: readonly LineChange[]): string {
  return changes
    .map((c) =>
      c.change === 'added'
        ? `added ${c.after} × ${c.sku} (${c.lineId})`
        : c.change === 'removed'
          ? `removed ${c.before} × ${c.sku} (${c.lineId})`
          : c.change === 'cancelled'
            ? `${c.before - c.after} × ${c.sku} (${c.lineId})`
            : c.change === 'amounts'
              ? `${c.sku} (${c.lineId}) discount or tax changed`
              : `${c.sku} (${c.lineId}) ${c.before} → ${c.after}`,
    )
    .join(', ');
}
