import { createHash } from 'node:crypto';
import { ClaimCreated } from '#events/claim-created.ts';
import { ClaimResolved } from '#events/claim-resolved.ts';
import { ExchangeCreated } from '#events/exchange-created.ts';
import { OrderHeld } from '#events/order-held.ts';
import { OrderReceived } from '#events/order-received.ts';
import { eventOrder } from '#events/order-payload.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { claimProblems, ledgerOf, ledgerWith, parcelClaimLines, priceReplacement, replacementOrder, reshipLines, type Claim, type ClaimInput, type ClaimLedger, type ClaimResolveInput, type StoreCredit } from '#shared/domain/exchange.ts';
import { holdEntry, placeHold } from '#shared/domain/holds.ts';
import { OPEN_FULFILLMENT } from '#shared/domain/fulfillment.ts';
import { newId } from '#shared/domain/ids.ts';
import { formatMoney } from '#shared/domain/money.ts';
import type { OrderHold } from '#shared/domain/order-hold.ts';
import type { ExchangeFor, Order, OrderLine, TimelineEntry } from '#shared/domain/order.ts';
import { unitsOf } from '#shared/domain/payment.ts';
import type { Refund } from '#shared/domain/refund.ts';
import { shippedPerLine, type Return } from '#shared/domain/return.ts';
import type { ClaimRepository, FulfillmentRepository, IdempotencyRepository, InventoryRepository, OrderHoldRepository, OrderRepository, ReturnRepository, StoreCreditRepository } from '#shared/ports.ts';
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
  /** The replacement's open fulfillments (an exchange whose return came back short is held only if no location has it yet); carrier claims read the parcel. */
  fulfillments?: Pick<FulfillmentRepository, 'get' | 'forOrder'>;
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
  const missing = missingUnits(record);
  const hold: OrderHold | undefined =
    exchange.shipsOn === 'receipt' && !received
      ? { reason: 'awaiting_return', note: `Ships once return ${record.returnId} is received (return policy: exchangeShipsOn receipt).`, since: at, placedBy: { type: 'return', returnId: record.returnId } }
      : received && missing
        ? { reason: 'awaiting_return', note: missingNote(record.returnId, missing), since: at, placedBy: { type: 'return', returnId: record.returnId } }
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
 * The resolution step of a received exchange (returnReceived's SettleReturn
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
  const missing = missingUnits(record);
  if (missing) return keepExchangeHeld(deps, { record, orderId, missing, ...command });
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

/** The units a return's receipt found missing (`3 × SKU, …`), or undefined when everything came back. */
function missingUnits(record: Return): string | undefined {
  const missing = record.lines.filter((l) => l.condition === 'missing');
  return missing.length > 0 ? units(missing) : undefined;
}

const missingNote = (returnId: string, missing: string) =>
  `Return ${returnId} came back without ${missing}: the replacement does not ship as is. Release it to ship it anyway, or cancel it.`;

/**
 * A received exchange whose receipt found units `missing`: the replacement
 * does not ship as is. Its `awaiting_return` hold stays, its note now naming
 * the missing units (one transaction on the replacement's version with its
 * timeline entry); a replacement no longer held by the return (the policy
 * ships on approval) is held now if no location has it yet — else the
 * message says it could not be. No difference is refunded: staff decide
 * (release, or cancel the replacement). The message goes on the return's
 * and the original order's timelines (the refund step writes it).
 */
async function keepExchangeHeld(
  deps: ExchangeDeps,
  command: { record: Return; orderId: string; missing: string } & Actor,
): Promise<{ summary: Record<string, unknown>; message: string }> {
  const { record, orderId, missing } = command;
  const note = missingNote(record.returnId, missing);
  const actor = `return:${record.returnId}`;
  const outcome = await retryOnConcurrentModification(async (): Promise<'held' | 'already' | string> => {
    const order = await deps.orders.get(orderId);
    if (!order) throw new NotFoundError(`Order ${orderId} does not exist`);
    const now = deps.clock.now();
    const at = now.toISOString();
    const current = order.fulfillmentHold;
    if (current?.placedBy.type === 'return' && current.placedBy.returnId === record.returnId) {
      if (current.note === note) return 'already';
      await deps.holds.save(
        { ...order, fulfillmentHold: { ...current, note }, version: order.version + 1, updatedAt: at },
        {
          previous: order,
          timeline: [{ at, type: 'hold_updated', actor, ...(command.correlationId ? { correlationId: command.correlationId } : {}), message: `Still held: ${note}`, data: { returnId: record.returnId, missing } }],
          events: [],
        },
      );
      return 'held';
    }
    if (current) return `it is held by ${current.placedBy.type === 'person' ? current.placedBy.name : current.placedBy.type} (${current.reason}) already`;
    const open = deps.fulfillments ? (await deps.fulfillments.forOrder(orderId)).filter((f) => OPEN_FULFILLMENT.includes(f.status)) : [];
    let held: ReturnType<typeof placeHold>;
    try {
      held = placeHold(order, { reason: 'other', by: actor, note }, { now, openFulfillments: open });
    } catch (error) {
      if (error instanceof ConflictError) return error.message;
      throw error;
    }
    const hold: OrderHold = { ...held.hold, reason: 'awaiting_return', placedBy: { type: 'return', returnId: record.returnId } };
    await deps.holds.save(
      { ...held.next, fulfillmentHold: hold },
      {
        previous: order,
        timeline: [{ at, actor, ...(command.correlationId ? { correlationId: command.correlationId } : {}), ...holdEntry(hold) }],
        events: [OrderHeld.create({ orderId, orderStatus: order.status, hold }, { occurredAt: now, actor, correlationId: command.correlationId })],
      },
    );
    return 'held';
  }, 5);
  const kept = outcome === 'held' || outcome === 'already';
  const original = record.exchange && record.exchange.difference < 0 ? await deps.orders.get(record.orderId) : undefined;
  const money = original && record.exchange ? ` The difference ${formatMoney(-record.exchange.difference, original.currency)} is not refunded: staff decide.` : '';
  return {
    summary: { status: kept ? 'exchange_held' : 'exchange_not_held', exchangeOrderId: orderId, missing, difference: record.exchange?.difference ?? 0, action: record.exchange?.action ?? 'none' },
    message: kept
      ? `Exchange order ${orderId} stays held: the return came back without ${missing}. Staff release it to ship anyway, or cancel it.${money}`
      : `Exchange order ${orderId} could not be held (${outcome}): the return came back without ${missing}; staff should check it.${money}`,
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

/** The order's claims ledger and the version to write it on (null: the first ledger, built from the claims stored before ledgers existed). */
async function ledgerFor(deps: Pick<ExchangeDeps, 'claims'>, orderId: string): Promise<{ ledger: Omit<ClaimLedger, 'version'>; expectedVersion: number | null }> {
  const stored = await deps.claims.ledger(orderId);
  if (stored) return { ledger: stored, expectedVersion: stored.version };
  return { ledger: ledgerOf(orderId, await deps.claims.forOrder(orderId)), expectedVersion: null };
}

/**
 * Files a staff claim: the units are checked against the order's claims
 * ledger and the claim, the ledger (conditional on the version read), the
 * timeline entry and ClaimCreated are one transaction. Of claims racing for
 * the last units one writes; the others re-read the ledger and get the 422
 * naming the line (or a 409 after repeated losses).
 */
async function fileClaim(deps: ExchangeDeps, command: { orderId: string; claimId: string; input: ClaimInput; reportedBy: string } & Actor): Promise<Claim> {
  const order = await getOrder(deps, command.orderId);
  const reservation = await deps.inventory.reservation(order.orderId);
  const shipped = shippedPerLine(order, unitsOf(reservation?.sold ?? []));
  return retryOnConcurrentModification(async () => {
    const { ledger, expectedVersion } = await ledgerFor(deps, order.orderId);
    const problems = claimProblems(command.input, order, shipped, new Map(Object.entries(ledger.claimed)));
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
      timeline: [entry(at, 'claim_created', command, `Claim ${record.claimId}: ${units(lines)} ${record.kind === 'lost' ? 'lost' : 'damaged'} in transit; resolution ${command.input.resolution}.${record.note ? ` ${record.note}` : ''}`, { claimId: record.claimId })],
      events: [ClaimCreated.create({ claimId: record.claimId, orderId: order.orderId, kind: command.input.kind, resolution: command.input.resolution, lines, reportedBy: record.reportedBy }, { occurredAt: now, ...actorOf(command) })],
      ledger: { next: { ...ledger, claimed: ledgerWith(ledger, lines, 1), version: (expectedVersion ?? 0) + 1 }, expectedVersion },
    });
    return record;
  }, 8);
}

/**
 * A carrier scanned a shipped parcel `exception` or `lost` (rule
 * ShipmentExceptionOpensClaim on ShipmentTrackingUpdated): one claim for
 * staff to review, `open` with no resolution — a parcel declared lost is
 * sometimes found, so nothing is reshipped or refunded until a person
 * resolves it. Exactly once per shipment: the ledger names the claim each
 * shipment opened, and the claim and the ledger are one conditional
 * transaction (with the timeline entry and ClaimCreated), so a second scan,
 * a redelivered event or two racing scans find the first claim. The claim
 * covers the parcel's units not already claimed; a parcel whose every unit
 * is claimed opens none.
 */
export async function openCarrierClaim(
  deps: ExchangeDeps & { fulfillments: Pick<FulfillmentRepository, 'get'> },
  command: { shipmentId: string; carrierId: string; trackingNumber: string; status: 'exception' | 'lost'; occurredAt: string; description?: string | undefined } & Actor,
): Promise<{ outcome: 'opened' | 'exists' | 'skipped'; claimId?: string; reason?: string }> {
  const parcel = await deps.fulfillments.get(command.shipmentId);
  if (!parcel) throw new NotFoundError(`Shipment ${command.shipmentId} does not exist`);
  const order = await getOrder(deps, parcel.orderId);
  const reservation = await deps.inventory.reservation(order.orderId);
  const shipped = shippedPerLine(order, unitsOf(reservation?.sold ?? []));
  return retryOnConcurrentModification(async () => {
    const { ledger, expectedVersion } = await ledgerFor(deps, order.orderId);
    const existing = ledger.shipments[command.shipmentId];
    if (existing) return { outcome: 'exists' as const, claimId: existing };
    const lines = parcelClaimLines(order, parcel.lines, shipped, ledger.claimed);
    if (lines.length === 0) return { outcome: 'skipped' as const, reason: `every unit of shipment ${command.shipmentId} is already claimed` };
    const now = deps.clock.now();
    const at = now.toISOString();
    const kind = command.status === 'lost' ? 'lost' : 'exception';
    const record: Claim = {
      claimId: newId(),
      orderId: order.orderId,
      kind,
      lines,
      reportedBy: `carrier:${command.carrierId}`,
      shipment: {
        shipmentId: command.shipmentId,
        carrierId: command.carrierId,
        trackingNumber: command.trackingNumber,
        status: command.status,
        occurredAt: command.occurredAt,
        ...(command.description ? { description: command.description } : {}),
      },
      status: 'open',
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    const scan = `${command.carrierId} ${command.trackingNumber} ${kind === 'lost' ? 'declared the parcel lost' : 'reported an exception'}${command.description ? ` (${command.description})` : ''}`;
    await deps.claims.save(record, null, {
      timeline: [
        entry(at, 'claim_created', command, `Claim ${record.claimId} opened for review: ${scan}; ${units(lines)} of shipment ${command.shipmentId}. Nothing is reshipped or refunded until staff resolve it.`, {
          claimId: record.claimId,
          shipmentId: command.shipmentId,
        }),
      ],
      events: [ClaimCreated.create({ claimId: record.claimId, orderId: order.orderId, kind, lines, reportedBy: record.reportedBy, shipmentId: command.shipmentId }, { occurredAt: now, ...actorOf(command) })],
      ledger: {
        next: { ...ledger, claimed: ledgerWith(ledger, lines, 1), shipments: { ...ledger.shipments, [command.shipmentId]: record.claimId }, version: (expectedVersion ?? 0) + 1 },
        expectedVersion,
      },
    });
    return { outcome: 'opened' as const, claimId: record.claimId };
  }, 8);
}

/**
 * `POST /v1/orders/{orderId}/claims/{claimId}/resolve`: staff decide an open
 * claim. `reship` or `refund` records the resolution (conditional on the
 * claim's version: of two people resolving at once one wins, the other gets
 * a 409 unless it asked for the same) and settles it like a staff claim;
 * `dismiss` closes it with nothing made good (the parcel turned up) and
 * gives its units back to the ledger in the same transaction. Asking again
 * for what was done answers the claim as it is; anything else on a claim
 * already decided is a 409 naming its state.
 */
export async function resolveClaim(deps: ExchangeDeps, command: { orderId: string; claimId: string; input: ClaimResolveInput } & Actor): Promise<Claim> {
  assertOrderId(command.orderId);
  const decided = await retryOnConcurrentModification(async () => {
    const record = await deps.claims.get(command.orderId, command.claimId);
    if (!record) throw new NotFoundError(`Claim ${command.claimId} of order ${command.orderId} does not exist`);
    const asked = command.input.resolution;
    const done = record.status === 'dismissed' ? 'dismiss' : record.resolution;
    if (done !== undefined) {
      if (done === asked) return record;
      throw new ConflictError(`Claim ${record.claimId} is already ${record.status === 'dismissed' ? 'dismissed' : `resolved ${done}`}${record.status === 'settled' ? ' and settled' : ''}`, 'claim_resolved', [
        { in: 'body', path: 'resolution', message: `The claim's resolution is ${done}` },
      ]);
    }
    const now = deps.clock.now();
    const at = now.toISOString();
    const kind = command.input.kind ?? record.kind;
    const base = { ...record, kind, resolvedBy: command.input.by, resolvedAt: at, ...(command.input.note ? { resolutionNote: command.input.note } : {}), version: record.version + 1, updatedAt: at };
    const why = command.input.note ? ` ${command.input.note}` : '';
    if (asked === 'dismiss') {
      const { ledger, expectedVersion } = await ledgerFor(deps, record.orderId);
      const next: Claim = { ...base, status: 'dismissed' };
      await deps.claims.save(next, record.version, {
        timeline: [entry(at, 'claim_dismissed', command, `Claim ${record.claimId} dismissed by ${command.input.by}: nothing to make good; ${units(record.lines)} can be claimed again.${why}`, { claimId: record.claimId })],
        events: [claimResolvedEvent(next, 'dismiss', now, command)],
        ledger: { next: { ...ledger, claimed: ledgerWith(ledger, record.lines, -1), version: (expectedVersion ?? 0) + 1 }, expectedVersion },
      });
      return next;
    }
    const next: Claim = { ...base, resolution: asked };
    await deps.claims.save(next, record.version, {
      timeline: [entry(at, 'claim_resolved', command, `Claim ${record.claimId} resolved by ${command.input.by}: ${asked} ${units(record.lines)} (${kind}).${why}`, { claimId: record.claimId, resolution: asked })],
      events: [],
    });
    return next;
  }, 3).catch((error: unknown) => {
    if (error instanceof ConcurrentModificationError) throw new ConflictError(`Claim ${command.claimId} changed while it was resolved; read it and try again`, 'claim_changed');
    throw error;
  });
  if (decided.status !== 'open' || !decided.resolution) return decided;
  return settleClaim(deps, { orderId: decided.orderId, claimId: decided.claimId, actor: command.actor, correlationId: command.correlationId });
}

/** Reship (a new order at no charge) or refund (issueRefund, kind `claim`) an open claim, once; the claim records the result. */
export async function settleClaim(deps: ExchangeDeps, command: { orderId: string; claimId: string } & Actor): Promise<Claim> {
  const record = await deps.claims.get(command.orderId, command.claimId);
  if (!record) throw new NotFoundError(`Claim ${command.claimId} does not exist`);
  if (record.status !== 'open') return record;
  const resolution = record.resolution;
  if (!resolution) throw new ConflictError(`Claim ${record.claimId} waits for staff to resolve it`, 'claim_unresolved');
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
    if (current.status !== 'open') return current;
    const now = deps.clock.now();
    const at = now.toISOString();
    const next: Claim = { ...current, ...result, status: 'settled', version: current.version + 1, updatedAt: at };
    await deps.claims.save(next, current.version, {
      timeline: [entry(at, 'claim_settled', command, message, { claimId: current.claimId, ...result })],
      events: [claimResolvedEvent(next, resolution, now, command)],
    });
    return next;
  }, 5);
}

/**
 * ClaimResolved for a claim leaving `open` (dismissed, or settled with its
 * reship order or refund), written in that same transaction: the claim's
 * conditional version write makes it once per claim.
 */
function claimResolvedEvent(claim: Claim, resolution: 'reship' | 'refund' | 'dismiss', now: Date, actor: Actor) {
  return ClaimResolved.create(
    {
      claimId: claim.claimId,
      orderId: claim.orderId,
      kind: claim.kind,
      resolution,
      resolvedBy: claim.resolvedBy ?? claim.reportedBy,
      lines: claim.lines,
      ...(claim.reshipOrderId ? { reshipOrderId: claim.reshipOrderId } : {}),
      ...(claim.refund ? { refundId: claim.refund.refundId, refundStatus: claim.refund.status } : {}),
      ...(claim.shipment ? { shipmentId: claim.shipment.shipmentId } : {}),
    },
    { occurredAt: now, ...actorOf(actor) },
  );
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
