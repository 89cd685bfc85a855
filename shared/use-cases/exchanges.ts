import { createHash } from 'node:crypto';
import { ClaimCreated } from '#events/claim-created.ts';
import { ExchangeCreated } from '#events/exchange-created.ts';
import { OrderHeld } from '#events/order-held.ts';
import { OrderReceived } from '#events/order-received.ts';
import { eventOrder } from '#events/order-payload.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { claimProblems, priceReplacement, replacementOrder, reshipLines, type Claim, type ClaimInput, type StoreCredit } from '#shared/domain/exchange.ts';
import { holdEntry } from '#shared/domain/holds.ts';
import { newId } from '#shared/domain/ids.ts';
import { formatMoney } from '#shared/domain/money.ts';
import type { OrderHold } from '#shared/domain/order-hold.ts';
import type { ExchangeFor, Order, OrderLine, TimelineEntry } from '#shared/domain/order.ts';
import { unitsOf } from '#shared/domain/payment.ts';
import type { Refund } from '#shared/domain/refund.ts';
import { shippedPerLine, type Return } from '#shared/domain/return.ts';
import type { ClaimRepository, IdempotencyRepository, InventoryRepository, OrderHoldRepository, OrderRepository, ReturnRepository, StoreCreditRepository } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { releaseReturnHold } from './holds.ts';
import { assertOrderId, getOrder } from './orders.ts';
import type { RefundCommand } from './refunds.ts';
import { retryOnConcurrentModification } from './retry.ts';

export interface ExchangeDeps {
  orders: Pick<OrderRepository, 'get' | 'create' | 'findByChannelRef'>;
  returns: Pick<ReturnRepository, 'get' | 'save'>;
  claims: ClaimRepository;
  storeCredits: StoreCreditRepository;
  inventory: Pick<InventoryRepository, 'reservation'>;
  holds: OrderHoldRepository;
  idempotency: IdempotencyRepository;
  /** The refunds use case (issueRefund), bound to its dependencies. */
  issueRefund(command: RefundCommand): Promise<Refund>;
  clock: Clock;
}

function entry(at: string, type: string, actor: Actor, message: string, data: Record<string, unknown>): TimelineEntry {
  return { at, type, actor: actor.actor, message, ...(actor.correlationId ? { correlationId: actor.correlationId } : {}), data };
}

const units = (lines: readonly { sku: string; quantity: number }[]) => lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ');

/**
 * Creates the replacement order once: its channel reference
 * (`exchange:<returnId>`, `claim:<claimId>`) is the conditional put of the
 * capture transaction, so of any number of tries one creates it — with its
 * timeline, OrderReceived (which reserves and routes it by the normal rules),
 * ExchangeCreated and, when it must wait, its `awaiting_return` hold and
 * OrderHeld — and the others read it.
 */
async function ensureReplacement(
  deps: Pick<ExchangeDeps, 'orders' | 'clock'>,
  original: Order,
  input: {
    externalOrderId: string;
    lines: OrderLine[];
    action: Parameters<typeof replacementOrder>[1]['action'];
    exchangeFor: ExchangeFor;
    hold?: OrderHold | undefined;
    summary: { kind: 'exchange' | 'reship'; credit: number; value: number; difference: number };
  } & Actor,
): Promise<{ order: Order; created: boolean }> {
  const existing = await deps.orders.findByChannelRef(original.channel.channelId, input.externalOrderId);
  if (existing) return { order: existing, created: false };
  const now = deps.clock.now();
  const at = now.toISOString();
  const order: Order = {
    ...replacementOrder(original, { externalOrderId: input.externalOrderId, lines: input.lines, action: input.action, exchangeFor: input.exchangeFor, at }),
    orderId: newId(),
    status: 'received',
    ...(input.hold ? { fulfillmentHold: input.hold } : {}),
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const why = input.exchangeFor.returnId ? `the exchange of return ${input.exchangeFor.returnId}` : `the reship of claim ${input.exchangeFor.claimId ?? ''}`;
  const money = (amount: number) => formatMoney(amount, order.currency);
  const context = { occurredAt: now, ...actorOf(input) };
  const timeline: TimelineEntry[] = [
    entry(at, 'received', input, `Created by ${why} of order ${original.orderId}: ${units(order.lines)}; ${input.summary.kind === 'reship' ? 'no charge' : `worth ${money(input.summary.value)}, credit ${money(input.summary.credit)}, difference ${money(input.summary.difference)} (${input.action.replaceAll('_', ' ')})`}.`, {
      exchangeFor: input.exchangeFor,
    }),
  ];
  if (input.hold) timeline.push({ at, actor: `return:${input.exchangeFor.returnId ?? ''}`, ...holdEntry(input.hold) });
  const outcome = await deps.orders.create(order, {
    timeline,
    source: {
      deliveryId: input.externalOrderId,
      via: 'api',
      topic: input.summary.kind,
      receivedAt: at,
      headers: {},
      contentType: 'application/json',
      body: JSON.stringify({ exchangeFor: input.exchangeFor, lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })) }),
    },
    events: [
      OrderReceived.create(eventOrder(order), context),
      ExchangeCreated.create(
        {
          orderId: order.orderId,
          originalOrderId: original.orderId,
          ...(input.exchangeFor.returnId ? { returnId: input.exchangeFor.returnId } : {}),
          ...(input.exchangeFor.claimId ? { claimId: input.exchangeFor.claimId } : {}),
          kind: input.summary.kind,
          lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
          currency: order.currency,
          credit: input.summary.credit,
          value: input.summary.value,
          difference: input.summary.difference,
          action: input.action,
          held: input.hold !== undefined,
        },
        context,
      ),
      ...(input.hold ? [OrderHeld.create({ orderId: order.orderId, orderStatus: order.status, hold: input.hold }, { ...context, actor: `return:${input.exchangeFor.returnId ?? ''}` })] : []),
    ],
  });
  if (outcome === 'created') return { order, created: true };
  const first = await deps.orders.findByChannelRef(original.channel.channelId, input.externalOrderId);
  if (!first) throw new ConcurrentModificationError(`The replacement order ${input.externalOrderId} is being created`);
  return { order: first, created: false };
}

/**
 * On ReturnApproved (rule ReturnApprovedCreatesExchange), and again on
 * receipt if it has not run yet: a return with resolution `exchange` gets
 * its replacement order — same customer, addresses and channel, the
 * replacement lines priced and credited as the return recorded them (see
 * planExchange), `exchangeFor` pointing back — held `awaiting_return` when
 * the policy ships on receipt and the return is not received yet. Then the
 * return records the new order's id and the original order's timeline says
 * so (conditional on the return's version). Idempotent end to end.
 */
export async function createExchange(deps: ExchangeDeps, command: { returnId: string } & Actor): Promise<{ outcome: 'created' | 'exists' | 'skipped'; orderId?: string; reason?: string }> {
  const record = await deps.returns.get(command.returnId);
  if (!record) throw new NotFoundError(`Return ${command.returnId} does not exist`);
  if (record.resolution !== 'exchange' || !record.exchange) return { outcome: 'skipped', reason: `resolution ${record.resolution}` };
  if (!['approved', 'in_transit', 'received', 'closed'].includes(record.status)) return { outcome: 'skipped', reason: `the return is ${record.status}` };
  const original = await deps.orders.get(record.orderId);
  if (!original) throw new NotFoundError(`Order ${record.orderId} does not exist`);
  const exchange = record.exchange;
  const { priced, problems } = priceReplacement(original, record.lines, exchange.lines);
  if (problems[0]) throw new ValidationError(`The exchange of return ${record.returnId} cannot be priced: ${problems[0].message}`, problems);
  const received = record.status === 'received' || record.status === 'closed';
  const at = deps.clock.now().toISOString();
  const hold: OrderHold | undefined =
    exchange.shipsOn === 'receipt' && !received
      ? { reason: 'awaiting_return', note: `Ships once return ${record.returnId} is received (return policy: exchangeShipsOn receipt).`, since: at, placedBy: { type: 'return', returnId: record.returnId } }
      : undefined;
  const { order, created } = await ensureReplacement(deps, original, {
    externalOrderId: `exchange:${record.returnId}`,
    lines: priced.lines,
    action: exchange.action,
    exchangeFor: { orderId: original.orderId, returnId: record.returnId },
    hold,
    summary: { kind: 'exchange', credit: exchange.credit, value: exchange.value, difference: exchange.difference },
    actor: command.actor,
    correlationId: command.correlationId,
  });
  await linkExchange(deps, record.returnId, order, command);
  return { outcome: created ? 'created' : 'exists', orderId: order.orderId };
}

async function linkExchange(deps: Pick<ExchangeDeps, 'returns' | 'clock'>, returnId: string, order: Order, command: Actor): Promise<void> {
  await retryOnConcurrentModification(async () => {
    const current = await deps.returns.get(returnId);
    if (!current?.exchange || current.exchange.orderId) return;
    const at = deps.clock.now().toISOString();
    const held = order.fulfillmentHold?.reason === 'awaiting_return';
    const message = `Exchange order ${order.orderId} created: ${units(order.lines)}${held ? '; held until the return is received' : ''}.`;
    const next: Return = {
      ...current,
      exchange: { ...current.exchange, orderId: order.orderId, createdAt: at },
      timeline: [...current.timeline, { at, type: 'exchange_created', actor: command.actor, message }],
      version: current.version + 1,
      updatedAt: at,
    };
    await deps.returns.save(next, current.version, {
      timeline: [entry(at, 'exchange_created', command, `Return ${returnId}: ${message}`, { returnId, exchangeOrderId: order.orderId })],
      events: [],
    });
  }, 5);
}

/**
 * The resolution step of a received exchange (returnReceived's RefundReturn
 * step): the replacement order exists (created now if approval's rule has
 * not run), its `awaiting_return` hold is released (OrderReleased resumes
 * its fulfillment), and a replacement that costs less than what came back
 * refunds the difference on the original order through issueRefund (kind
 * `return`, key `return:<returnId>`: once). What it did is the return's
 * refund summary.
 */
export async function settleExchange(deps: ExchangeDeps, command: { returnId: string } & Actor): Promise<{ summary: Record<string, unknown>; message: string }> {
  const { orderId } = await createExchange(deps, command);
  const record = await deps.returns.get(command.returnId);
  if (!record?.exchange || !orderId) throw new NotFoundError(`Return ${command.returnId} has no exchange`);
  const released = await releaseReturnHold(deps, { orderId, returnId: record.returnId, correlationId: command.correlationId });
  const original = await deps.orders.get(record.orderId);
  const money = (amount: number) => formatMoney(amount, original?.currency ?? 'USD');
  const base = { status: 'exchanged', exchangeOrderId: orderId, difference: record.exchange.difference, action: record.exchange.action };
  const shipping = `Exchange order ${orderId}${released === 'released' ? ' released to ship' : ''}`;
  if (record.exchange.difference >= 0) {
    const charged = record.exchange.difference > 0 ? `; the difference ${money(record.exchange.difference)} is charged on it (${record.exchange.action.replaceAll('_', ' ')})` : '; same value, nothing to pay or refund';
    return { summary: base, message: `${shipping}${charged}.` };
  }
  const refund = await deps.issueRefund({
    orderId: record.orderId,
    key: `return:${record.returnId}`,
    kind: 'return',
    reason: `Exchange ${record.returnId}: the replacement costs ${money(-record.exchange.difference)} less`,
    amount: -record.exchange.difference,
    returnId: record.returnId,
    actor: command.actor,
    correlationId: command.correlationId,
  });
  return {
    summary: { ...base, refundId: refund.refundId, amount: refund.amount, refundStatus: refund.status },
    message: `${shipping}; the difference ${money(refund.amount)} refunded (${refund.refundId}, ${refund.status.replaceAll('_', ' ')}).`,
  };
}

// ---------------------------------------------------------------- claims

/**
 * `POST /v1/orders/{orderId}/claims` (Idempotency-Key required, replayed
 * byte for byte): staff report shipped units damaged or lost in transit.
 * Units are at most what shipped minus earlier claims (422 naming the line).
 * The claim, the order's timeline entry and ClaimCreated are one
 * transaction; then `reship` creates a new order for the units at no
 * charge (ExchangeCreated, kind `reship`), or `refund` refunds them through
 * issueRefund (kind `claim`, key `claim:<claimId>`). No return is needed.
 */
export async function requestClaim(
  deps: ExchangeDeps,
  command: { orderId: string; input: ClaimInput; rawBody: unknown; idempotencyKey: string } & Actor,
): Promise<{ status: number; json: string }> {
  assertOrderId(command.orderId);
  const fingerprint = createHash('sha256').update(canonicalJson(command.rawBody)).digest('base64url');
  const scope = `claims:${command.orderId}`;
  const claim = await deps.idempotency.claim(scope, command.idempotencyKey, fingerprint);
  if (claim.state === 'mismatch') {
    throw new ConflictError('This Idempotency-Key was already used with a different request body', 'idempotency_key_reused', [{ in: 'header', path: 'idempotency-key', message: 'Use a new key for a new claim' }]);
  }
  if (claim.state === 'in_progress') throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly', 'idempotency_in_progress');
  if (claim.state === 'completed') return claim.response;
  let created: Claim;
  try {
    created = await fileClaim(deps, { ...command, claimId: newId(), reportedBy: command.actor });
  } catch (error) {
    await deps.idempotency.release(scope, command.idempotencyKey);
    throw error;
  }
  // The claim is stored: settling it is retried by the same key until it is done (a crash leaves it `open`, the retry settles it).
  const settled = await settleClaim(deps, { orderId: created.orderId, claimId: created.claimId, actor: command.actor, correlationId: command.correlationId });
  const response = { status: 201, json: JSON.stringify(settled) };
  await deps.idempotency.complete(scope, command.idempotencyKey, response);
  return response;
}

async function fileClaim(deps: ExchangeDeps, command: { orderId: string; claimId: string; input: ClaimInput; reportedBy: string } & Actor): Promise<Claim> {
  const order = await getOrder(deps, command.orderId);
  const [reservation, earlier] = await Promise.all([deps.inventory.reservation(order.orderId), deps.claims.forOrder(order.orderId)]);
  const shipped = shippedPerLine(order, unitsOf(reservation?.sold ?? []));
  const claimed = new Map<string, number>();
  for (const c of earlier) for (const l of c.lines) claimed.set(l.lineId, (claimed.get(l.lineId) ?? 0) + l.quantity);
  const problems = claimProblems(command.input, order, shipped, claimed);
  if (problems[0]) throw new ValidationError(problems[0].message, problems);
  const now = deps.clock.now();
  const at = now.toISOString();
  const lines = command.input.lines.map((l) => ({ lineId: l.lineId, sku: order.lines.find((o) => o.lineId === l.lineId)?.sku ?? '', quantity: l.quantity }));
  const record: Claim = {
    claimId: command.claimId,
    orderId: order.orderId,
    kind: command.input.kind,
    resolution: command.input.resolution,
    lines,
    ...(command.input.note ? { note: command.input.note } : {}),
    reportedBy: command.reportedBy,
    status: 'open',
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await deps.claims.save(record, null, {
    timeline: [entry(at, 'claim_created', command, `Claim ${record.claimId}: ${units(lines)} ${record.kind === 'lost' ? 'lost' : 'damaged'} in transit; resolution ${record.resolution}.${record.note ? ` ${record.note}` : ''}`, { claimId: record.claimId })],
    events: [ClaimCreated.create({ claimId: record.claimId, orderId: order.orderId, kind: record.kind, resolution: record.resolution, lines, reportedBy: record.reportedBy }, { occurredAt: now, ...actorOf(command) })],
  });
  return record;
}

/** Reship (a new order at no charge) or refund (issueRefund, kind `claim`) an open claim, once; the claim records the result. */
export async function settleClaim(deps: ExchangeDeps, command: { orderId: string; claimId: string } & Actor): Promise<Claim> {
  const record = await deps.claims.get(command.orderId, command.claimId);
  if (!record) throw new NotFoundError(`Claim ${command.claimId} does not exist`);
  if (record.status === 'settled') return record;
  const original = await getOrder(deps, record.orderId);
  let result: Pick<Claim, 'reshipOrderId' | 'refund'>;
  let message: string;
  if (record.resolution === 'reship') {
    const { order } = await ensureReplacement(deps, original, {
      externalOrderId: `claim:${record.claimId}`,
      lines: reshipLines(original, record.lines),
      action: 'none',
      exchangeFor: { orderId: original.orderId, claimId: record.claimId },
      summary: { kind: 'reship', credit: 0, value: 0, difference: 0 },
      actor: command.actor,
      correlationId: command.correlationId,
    });
    result = { reshipOrderId: order.orderId };
    message = `Claim ${record.claimId}: reship order ${order.orderId} created for ${units(record.lines)}, no charge.`;
  } else {
    const refund = await deps.issueRefund({
      orderId: record.orderId,
      key: `claim:${record.claimId}`,
      kind: 'claim',
      reason: `Claim ${record.claimId}: ${record.kind} in transit`,
      lines: record.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      actor: command.actor,
      correlationId: command.correlationId,
    });
    result = { refund: { refundId: refund.refundId, amount: refund.amount, status: refund.status } };
    message = `Claim ${record.claimId}: refund ${refund.refundId} of ${formatMoney(refund.amount, original.currency)} (${refund.status.replaceAll('_', ' ')}).`;
  }
  return retryOnConcurrentModification(async () => {
    const current = await deps.claims.get(command.orderId, command.claimId);
    if (!current) throw new NotFoundError(`Claim ${command.claimId} does not exist`);
    if (current.status === 'settled') return current;
    const at = deps.clock.now().toISOString();
    const next: Claim = { ...current, ...result, status: 'settled', version: current.version + 1, updatedAt: at };
    await deps.claims.save(next, current.version, { timeline: [entry(at, 'claim_settled', command, message, { claimId: current.claimId, ...result })], events: [] });
    return next;
  }, 5);
}

/** `GET /v1/orders/{orderId}/claims`: the order's claims, oldest first. */
export async function claimsOfOrder(deps: Pick<ExchangeDeps, 'orders' | 'claims'>, orderId: string): Promise<Claim[]> {
  await getOrder(deps, orderId);
  return deps.claims.forOrder(orderId);
}

/** `GET /v1/store-credits?email=`: a customer's store credit, oldest first. */
export async function storeCreditsOf(deps: Pick<ExchangeDeps, 'storeCredits'>, email: string): Promise<StoreCredit[]> {
  return deps.storeCredits.forEmail(email);
}
