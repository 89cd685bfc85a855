import { createHash } from 'node:crypto';
import { ReturnApproved } from '#events/return-approved.ts';
import { ReturnClosed } from '#events/return-closed.ts';
import { ReturnReceived } from '#events/return-received.ts';
import { ReturnRejected } from '#events/return-rejected.ts';
import { ReturnRequested } from '#events/return-requested.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import type { Clock } from '#shared/domain/clock.ts';
import type { Change } from '#shared/domain/common.ts';
import { ConcurrentModificationError, ConflictError, InventoryConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '#shared/domain/errors.ts';
import { LEFT_LOCATION } from '#shared/domain/fulfillment.ts';
import { distanceKm, locate } from '#shared/domain/geo.ts';
import type { Location } from '#shared/domain/location.ts';
import type { Order, TimelineEntry } from '#shared/domain/order.ts';
import { unitsOf } from '#shared/domain/payment.ts';
import { planExchange } from '#shared/domain/exchange.ts';
import {
  BUILT_IN_RETURN_POLICY,
  PolicyId,
  needsApproval,
  orderIdOfReturn,
  receiptProblems,
  receivingLocation,
  returnIdOf,
  returnProblems,
  returnTimelineOf,
  shippedPerLine,
  windowEnd,
  type Return,
  type ReturnPolicy,
  type ReturnPolicyInput,
  type ReturnReceiptInput,
  type ReturnRequestInput,
  type ReturnStatus,
} from '#shared/domain/return.ts';
import { selectRate, zoneFor } from '#shared/domain/shipping.ts';
import type {
  CarrierGateway,
  DocumentStore,
  FulfillmentRepository,
  IdempotencyRepository,
  InventoryRepository,
  LocationRepository,
  OrderRepository,
  Page,
  PageRequest,
  ReturnListFilter,
  ReturnPolicyRepository,
  ReturnRepository,
} from '#shared/ports.ts';
import type { Actor } from './actor.ts';
import type { RefundCommand } from './refunds.ts';
import type { Refund } from '#shared/domain/refund.ts';
import { applyMovements } from './inventory.ts';
import { labelKey, readLabelDocument, storeLabelDocument } from './label-documents.ts';
import { assertOrderId } from './orders.ts';
import { retryOnConcurrentModification } from './retry.ts';

export interface ReturnDeps {
  orders: Pick<OrderRepository, 'get'>;
  returns: ReturnRepository;
  policies: ReturnPolicyRepository;
  inventory: InventoryRepository;
  fulfillments: Pick<FulfillmentRepository, 'forOrder'>;
  locations: Pick<LocationRepository, 'get'>;
  allLocations(): Promise<Location[]>;
  carriers: CarrierGateway;
  /** Where return label documents are stored (the return keeps `label.labelRef`). */
  documents: DocumentStore;
  idempotency: IdempotencyRepository;
  /** The refunds use case (shared/use-cases/refunds.ts issueRefund), bound to its dependencies. */
  issueRefund(command: RefundCommand): Promise<Refund>;
  /** The exchange's resolution step (shared/use-cases/exchanges.ts settleExchange): replacement released, difference refunded. */
  settleExchange?(command: { returnId: string } & Actor): Promise<{ summary: Record<string, unknown>; message: string }>;
  clock: Clock;
}

/** The return policy for a channel's orders: the channel's own, else `default`, else the built-in one. */
export async function policyForChannel(policies: Pick<ReturnPolicyRepository, 'get'>, channelId: string): Promise<ReturnPolicy> {
  return (await policies.get(channelId)) ?? (await policies.get('default')) ?? BUILT_IN_RETURN_POLICY;
}

/**
 * `PUT /v1/return-policies/{policyId}`: a fixed receiving location must
 * exist; the same body again changes nothing; `If-Match` refuses a write
 * over a version the caller has not seen.
 */
export async function putReturnPolicy(
  deps: Pick<ReturnDeps, 'policies' | 'locations' | 'carriers' | 'clock'>,
  command: { policyId: string; input: ReturnPolicyInput; ifMatch?: number | undefined } & Actor,
): Promise<{ policy: ReturnPolicy; change: Change }> {
  const problems: { in: 'body'; path: string; message: string }[] = [];
  if (command.input.receivingLocation.strategy === 'fixed' && !(await deps.locations.get(command.input.receivingLocation.locationId))) {
    problems.push({ in: 'body', path: 'receivingLocation.locationId', message: `Location ${command.input.receivingLocation.locationId} does not exist` });
  }
  if (command.input.carrier && !deps.carriers.carrierIds().includes(command.input.carrier.carrierId)) {
    problems.push({ in: 'body', path: 'carrier.carrierId', message: `Unknown carrier ${command.input.carrier.carrierId}; known: ${deps.carriers.carrierIds().join(', ')}` });
  }
  const [first] = problems;
  if (first) throw new ValidationError(first.message, problems);
  return retryOnConcurrentModification(async () => {
    const existing = await deps.policies.get(command.policyId);
    if (command.ifMatch !== undefined && existing?.version !== command.ifMatch) {
      throw new PreconditionFailedError(`Return policy ${command.policyId} is at version ${existing?.version ?? 'none'}, not ${command.ifMatch}`);
    }
    if (existing) {
      const { policyId: _id, version: _v, createdAt: _c, updatedAt: _u, ...current } = existing;
      if (canonicalJson(current) === canonicalJson(command.input)) return { policy: existing, change: 'unchanged' as const };
    }
    const now = deps.clock.now().toISOString();
    const policy: ReturnPolicy = { ...command.input, policyId: command.policyId, version: (existing?.version ?? 0) + 1, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await deps.policies.save(policy, { expectedVersion: existing?.version ?? null, events: [] });
    return { policy, change: existing ? ('updated' as const) : ('created' as const) };
  }, command.ifMatch === undefined ? 3 : 1);
}

export async function getReturnPolicy(deps: Pick<ReturnDeps, 'policies'>, policyId: string): Promise<ReturnPolicy> {
  const policy = PolicyId.safeParse(policyId).success ? await deps.policies.get(policyId) : undefined;
  if (!policy) throw new NotFoundError(`Return policy ${policyId} does not exist${policyId === 'default' ? ' (returns use the built-in policy until you create it)' : ''}`);
  return policy;
}

function note(at: string, type: string, actor: Actor, message: string, data: Record<string, unknown>): TimelineEntry {
  return { at, type, actor: actor.actor, message, ...(actor.correlationId ? { correlationId: actor.correlationId } : {}), data };
}

const units = (lines: readonly { sku: string; quantity: number }[]) => lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ');

/** When the order's return window started: its last parcel's delivery (or shipment, without a delivery scan). */
async function windowStart(deps: Pick<ReturnDeps, 'fulfillments'>, order: Order): Promise<string | undefined> {
  const parcels = (await deps.fulfillments.forOrder(order.orderId)).filter((f) => LEFT_LOCATION.includes(f.status));
  const times = parcels.map((f) => f.deliveredAt ?? f.shippedAt).filter((t): t is string => typeof t === 'string');
  return times.sort().at(-1);
}

/**
 * `POST /v1/orders/{orderId}/returns` (Idempotency-Key required): the same
 * key and body answer the first result again, byte for byte. The lines are
 * checked against what shipped minus what other returns hold, the reasons
 * against the channel's policy, the date against its window; then the
 * return, the order's return ledger (conditional on its version: two
 * requests never both take the last returnable unit), the timelines and
 * ReturnRequested (+ ReturnApproved when the policy approves at once) are
 * one transaction.
 */
export async function requestReturn(
  deps: ReturnDeps,
  command: { orderId: string; input: ReturnRequestInput; rawBody: unknown; idempotencyKey: string } & Actor,
): Promise<{ status: number; json: string }> {
  assertOrderId(command.orderId);
  const fingerprint = createHash('sha256').update(canonicalJson(command.rawBody)).digest('base64url');
  const scope = `returns:${command.orderId}`;
  const claim = await deps.idempotency.claim(scope, command.idempotencyKey, fingerprint);
  if (claim.state === 'mismatch') {
    throw new ConflictError('This Idempotency-Key was already used with a different request body', 'idempotency_key_reused', [
      { in: 'header', path: 'idempotency-key', message: 'Use a new key for a new return' },
    ]);
  }
  if (claim.state === 'in_progress') throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly', 'idempotency_in_progress');
  if (claim.state === 'completed') return claim.response;
  try {
    const record = await retryOnConcurrentModification(() => createReturn(deps, command), 5);
    const response = { status: 201, json: JSON.stringify(record) };
    await deps.idempotency.complete(scope, command.idempotencyKey, response);
    return response;
  } catch (error) {
    await deps.idempotency.release(scope, command.idempotencyKey);
    throw error;
  }
}

async function createReturn(deps: ReturnDeps, command: { orderId: string; input: ReturnRequestInput } & Actor): Promise<Return> {
  const order = await deps.orders.get(command.orderId);
  if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
  const [policy, reservation, ledger, started] = await Promise.all([
    policyForChannel(deps.policies, order.channel.channelId),
    deps.inventory.reservation(order.orderId),
    deps.returns.ledger(order.orderId),
    windowStart(deps, order),
  ]);
  const shipped = shippedPerLine(order, unitsOf(reservation?.sold ?? []));
  const problems = returnProblems(command.input, order, policy, shipped, ledger?.held ?? {});
  const [first] = problems;
  if (first) throw new ValidationError(first.message, problems.map((p) => ({ in: 'body' as const, ...p })));
  const now = deps.clock.now();
  const at = now.toISOString();
  const windowEndsAt = windowEnd(policy.windowDays, started ?? order.updatedAt);
  if (at > windowEndsAt) {
    throw new ValidationError(`The return window of order ${order.orderId} closed on ${windowEndsAt} (${policy.windowDays} days after delivery)`, [
      { in: 'path', path: 'orderId', message: `Returns were accepted until ${windowEndsAt}`, code: 'return_window_closed' },
    ]);
  }
  const where = receivingLocation(policy, await deps.allLocations(), order.shippingAddress);
  if (!where) {
    throw new ConflictError(
      policy.receivingLocation.strategy === 'fixed'
        ? `The return policy's receiving location ${policy.receivingLocation.locationId} does not exist`
        : 'No active location has the `returns` capability: add it to a location (PUT /v1/locations/{locationId}) or fix one in the return policy',
      'no_returns_location',
    );
  }
  const count = (ledger?.count ?? 0) + 1;
  const returnId = returnIdOf(order.orderId, count);
  const lines = command.input.lines.map((l) => {
    const line = order.lines.find((o) => o.lineId === l.lineId);
    return { lineId: l.lineId, sku: line?.sku ?? '', quantity: l.quantity, reason: l.reason };
  });
  const approval = needsApproval(lines, policy);
  const { exchange, problems: exchangeProblems } = planExchange(order, lines, command.input, policy.exchangeShipsOn ?? 'receipt');
  const unknownSkus = exchange ? await unstockedSkus(deps, exchange.lines) : [];
  const wrong = [...exchangeProblems, ...unknownSkus];
  if (command.input.resolution === 'store_credit' && !order.customer.email) {
    wrong.push({ in: 'body', path: 'resolution', message: 'Store credit belongs to a customer e-mail, and the order has none: choose refund or exchange', code: 'no_customer_email' });
  }
  if (wrong[0]) throw new ValidationError(wrong[0].message, wrong);
  const receiveBy = new Date(now.getTime() + policy.receiveWithinDays * 86_400_000).toISOString();
  const notes = [
    note(at, 'return_requested', command, `Return ${returnId} requested: ${units(lines)}; resolution ${command.input.resolution}; received at ${where.locationId} (${where.why}).${approval ? ' Waits for approval.' : ''}`, { returnId }),
    ...(approval ? [] : [note(at, 'return_approved', command, `Return ${returnId} approved by policy ${policy.policyId}: no reason needs approval; to be sent by ${receiveBy}.`, { returnId })]),
  ];
  const record: Return = {
    returnId,
    orderId: order.orderId,
    channelId: order.channel.channelId,
    status: approval ? 'requested' : 'approved',
    lines,
    resolution: command.input.resolution,
    ...(exchange ? { exchange } : {}),
    ...(command.input.customerNote ? { customerNote: command.input.customerNote } : {}),
    policy: { policyId: policy.policyId, version: policy.version },
    needsApproval: approval,
    receivingLocationId: where.locationId,
    returnShippingPaidBy: policy.returnShippingPaidBy,
    requestedAt: at,
    windowEndsAt,
    ...(approval ? {} : { approvedAt: at, receiveBy }),
    timeline: returnTimelineOf(returnId, notes),
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const held = { ...(ledger?.held ?? {}) };
  for (const l of lines) held[l.lineId] = (Object.hasOwn(held, l.lineId) ? (held[l.lineId] ?? 0) : 0) + l.quantity;
  const context = { occurredAt: now, actor: command.actor, correlationId: command.correlationId };
  await deps.returns.save(record, null, {
    ledger: { next: { count, held, version: (ledger?.version ?? 0) + 1 }, expectedVersion: ledger?.version ?? null },
    timeline: notes,
    events: [
      ReturnRequested.create(
        { returnId, orderId: order.orderId, channelId: order.channel.channelId, status: approval ? 'requested' : 'approved', needsApproval: approval, resolution: record.resolution, receivingLocationId: where.locationId, lines, policy: record.policy },
        context,
      ),
      ...(approval ? [] : [ReturnApproved.create({ returnId, orderId: order.orderId, approvedBy: 'policy', receivingLocationId: where.locationId, receiveBy, lines, resolution: record.resolution }, context)]),
    ],
  });
  return record;
}

/** Replacement SKUs no location has ever stocked: a 422 naming them, rather than an order that can only wait. */
async function unstockedSkus(deps: Pick<ReturnDeps, 'inventory'>, lines: readonly { sku: string }[]) {
  const stocks = await deps.inventory.positionsOf([...new Set(lines.map((l) => l.sku))]);
  return lines.flatMap((l, i) =>
    (stocks.get(l.sku)?.positions.length ?? 0) > 0 ? [] : [{ in: 'body' as const, path: `exchange.lines.${i}.sku`, message: `No location stocks SKU ${l.sku}`, code: 'unknown_sku' }],
  );
}

/** `GET /v1/returns/{returnId}`: the whole return, with its label document and its history. */
export async function getReturn(deps: Pick<ReturnDeps, 'returns'> & Partial<Pick<ReturnDeps, 'documents'>>, returnId: string): Promise<Return> {
  const record = orderIdOfReturn(returnId) ? await deps.returns.details(returnId) : undefined;
  if (!record) throw new NotFoundError(`Return ${returnId} does not exist`);
  // GET /v1/returns/{returnId} answers the label document, read from the document store (returns labelled before it hold it in an item of their own).
  const label = record.label;
  if (deps.documents && label?.labelRef && label.label === undefined) {
    const document = await readLabelDocument(deps.documents, label.labelRef, label.labelFormat);
    if (document !== undefined) return { ...record, label: { ...label, label: document } };
  }
  return record;
}

/** The return item as the workflow steps need it: no label document, no history (they write, never read, those). */
async function loadReturn(deps: Pick<ReturnDeps, 'returns'>, returnId: string): Promise<Return> {
  const record = orderIdOfReturn(returnId) ? await deps.returns.get(returnId) : undefined;
  if (!record) throw new NotFoundError(`Return ${returnId} does not exist`);
  return record;
}

export async function listReturns(deps: Pick<ReturnDeps, 'returns'>, filter: ReturnListFilter, page: PageRequest): Promise<Page<Return>> {
  if (filter.from && filter.to && filter.from > filter.to) throw new ValidationError('`from` is after `to`', [{ in: 'query', path: 'from', message: 'Must not be after `to`' }]);
  if (filter.orderId) assertOrderId(filter.orderId);
  return deps.returns.list(filter, page);
}

function invalidTransition(record: Return, action: string): ConflictError {
  return new ConflictError(`Return ${record.returnId} is ${record.status}: it cannot be ${action}`, 'invalid_transition', [{ in: 'path', path: 'returnId', message: `The return is ${record.status}` }]);
}

/** A step by staff: applied to the version read, so of two staff acting at once one wins and the other gets a 409. */
async function staffStep(deps: Pick<ReturnDeps, 'returns'>, returnId: string, allowed: readonly ReturnStatus[], action: string): Promise<Return> {
  const record = await getReturn(deps, returnId);
  if (!allowed.includes(record.status)) throw invalidTransition(record, action);
  return record;
}

/** `POST /v1/returns/{returnId}/approve`: only a requested return; ReturnApproved starts the label. */
export async function approveReturn(deps: Pick<ReturnDeps, 'returns' | 'policies' | 'clock'>, command: { returnId: string; note?: string | undefined } & Actor): Promise<Return> {
  const record = await staffStep(deps, command.returnId, ['requested'], 'approved');
  const policy = (await deps.policies.get(record.policy.policyId)) ?? BUILT_IN_RETURN_POLICY;
  const now = deps.clock.now();
  const at = now.toISOString();
  const receiveBy = new Date(now.getTime() + policy.receiveWithinDays * 86_400_000).toISOString();
  const next: Return = {
    ...record,
    status: 'approved',
    approvedAt: at,
    receiveBy,
    version: record.version + 1,
    updatedAt: at,
  };
  const entry = note(at, 'return_approved', command, `Return ${record.returnId} approved${command.note ? `: ${command.note}` : ''}; to be sent by ${receiveBy}.`, { returnId: record.returnId });
  next.timeline = [...record.timeline, ...returnTimelineOf(record.returnId, [entry])];
  await deps.returns.save(next, record.version, {
    timeline: [entry],
    events: [ReturnApproved.create({ returnId: record.returnId, orderId: record.orderId, approvedBy: 'staff', receivingLocationId: record.receivingLocationId, receiveBy, lines: record.lines, resolution: record.resolution }, { occurredAt: now, actor: command.actor, correlationId: command.correlationId })],
  });
  return next;
}

/** `POST /v1/returns/{returnId}/reject`: only a requested return; its units can be returned again. */
export async function rejectReturn(deps: Pick<ReturnDeps, 'returns' | 'clock'>, command: { returnId: string; reason: string } & Actor): Promise<Return> {
  const record = await staffStep(deps, command.returnId, ['requested'], 'rejected');
  const now = deps.clock.now();
  const at = now.toISOString();
  const next: Return = {
    ...record,
    status: 'rejected',
    rejection: { reason: command.reason, at },
    version: record.version + 1,
    updatedAt: at,
  };
  const entry = note(at, 'return_rejected', command, `Return ${record.returnId} rejected: ${command.reason}.`, { returnId: record.returnId });
  next.timeline = [...record.timeline, ...returnTimelineOf(record.returnId, [entry])];
  await deps.returns.save(next, record.version, {
    ledger: await releasedUnits(deps, record),
    timeline: [entry],
    events: [ReturnRejected.create({ returnId: record.returnId, orderId: record.orderId, reason: command.reason }, { occurredAt: now, actor: command.actor, correlationId: command.correlationId })],
  });
  return next;
}

/** The order's return ledger without a return's units (rejected, expired), at the version read. */
async function releasedUnits(deps: Pick<ReturnDeps, 'returns'>, record: Return) {
  const ledger = await deps.returns.ledger(record.orderId);
  if (!ledger) return undefined;
  const held = { ...ledger.held };
  for (const l of record.lines) held[l.lineId] = Math.max(0, (Object.hasOwn(held, l.lineId) ? (held[l.lineId] ?? 0) : 0) - l.quantity);
  return { next: { count: ledger.count, held, version: ledger.version + 1 }, expectedVersion: ledger.version };
}

/**
 * Workflow step (ReturnApproved): buys the return label from the carrier
 * port, from the customer's address to the receiving location, with the
 * idempotency key `return-label:<returnId>` (a retried step gets the same
 * label), and files its tracking number so carrier webhooks find the return.
 */
export async function createReturnLabel(deps: ReturnDeps, command: { returnId: string } & Actor): Promise<{ outcome: 'created' | 'skipped'; trackingNumber?: string; reason?: string }> {
  return retryOnConcurrentModification(async () => {
    const record = await loadReturn(deps, command.returnId);
    if (record.label) return { outcome: 'skipped' as const, trackingNumber: record.label.trackingNumber, reason: 'the label exists' };
    if (record.status !== 'approved') return { outcome: 'skipped' as const, reason: `the return is ${record.status}` };
    const [order, location] = await Promise.all([deps.orders.get(record.orderId), deps.locations.get(record.receivingLocationId)]);
    if (!order) throw new NotFoundError(`Order ${record.orderId} does not exist`);
    if (!location) throw new NotFoundError(`Location ${record.receivingLocationId} does not exist`);
    const from = order.shippingAddress;
    if (!from) return { outcome: 'skipped' as const, reason: 'the order has no address to collect from (returned at the store)' };
    const policy = (await deps.policies.get(record.policy.policyId)) ?? BUILT_IN_RETURN_POLICY;
    const now = deps.clock.now();
    const at = now.toISOString();
    const stocks = await deps.inventory.positionsOf([...new Set(record.lines.map((l) => l.sku))]);
    const weightGrams = record.lines.reduce((sum, l) => sum + l.quantity * (stocks.get(l.sku)?.policy.weightGrams ?? 500), 0);
    const origin = locate(from);
    const km = origin.geo && location.geo ? distanceKm(origin.geo, location.geo) : undefined;
    const zone = zoneFor(km, from.country === location.address.country);
    const customer = {
      name: from.name ?? order.customer.name ?? 'Customer',
      lines: from.lines,
      city: from.city,
      region: from.region,
      postalCode: from.postalCode,
      country: from.country,
      phone: from.phone ?? order.customer.phone,
      email: order.customer.email,
    };
    const receiving = { name: location.name, lines: location.address.lines, city: location.address.city, region: location.address.region, postalCode: location.address.postalCode, country: location.address.country };
    const idempotencyKey = `return-label:${record.returnId}`;
    const rates = await deps.carriers.rates({ zone, weightGrams, currency: order.currency, shipDate: now, from: customer, to: receiving, isReturn: true, reference: record.returnId, idempotencyKey });
    const choice = selectRate(rates, policy.carrier ? { strategy: 'fixed', ...policy.carrier } : { strategy: 'cheapest_on_time' }, undefined);
    if (!choice) throw new ConflictError(`No carrier rate matches the return policy's carrier for ${record.returnId}`, 'no_carrier');
    const label = await deps.carriers.buyLabel({
      carrierId: choice.rate.carrierId,
      serviceLevel: choice.rate.serviceLevel,
      from: customer,
      to: receiving,
      isReturn: true,
      zone,
      weightGrams,
      currency: order.currency,
      shipDate: now,
      reference: record.returnId,
      idempotencyKey,
    });
    // The document goes to the document store under a key of the return's own (a retried step overwrites it with the same label).
    const labelRef = label.label === undefined ? undefined : await storeLabelDocument(deps.documents, labelKey(record.orderId, record.returnId, label.labelFormat), label.labelFormat, label.label);
    const next: Return = {
      ...record,
      label: {
        carrierId: label.carrierId,
        serviceLevel: label.serviceLevel,
        trackingNumber: label.trackingNumber,
        trackingUrl: label.trackingUrl,
        rate: label.rate,
        currency: label.currency,
        labelFormat: label.labelFormat,
        ...(labelRef ? { labelRef } : {}),
        createdAt: at,
      },
      tracking: { status: 'label_created', events: [] },
      version: record.version + 1,
      updatedAt: at,
    };
    await deps.returns.save(next, record.version, {
      trackingNumber: { carrierId: label.carrierId, trackingNumber: label.trackingNumber },
      timeline: [
        note(
          at,
          'return_label_created',
          command,
          `Return ${record.returnId}: label ${label.carrierId} ${label.serviceLevel} ${label.trackingNumber} to ${location.locationId} (${choice.why}), paid by the ${record.returnShippingPaidBy}.`,
          { returnId: record.returnId, trackingNumber: label.trackingNumber },
        ),
      ],
      events: [],
    });
    return { outcome: 'created' as const, trackingNumber: label.trackingNumber };
  }, 5);
}

/** The message context of a return: its lines, label and where to send it (notifications). */
export async function returnMessageContext(deps: Pick<ReturnDeps, 'returns' | 'locations'>, returnId: string) {
  const record = await loadReturn(deps, returnId);
  const location = await deps.locations.get(record.receivingLocationId);
  return {
    record,
    context: {
      returnId,
      lines: record.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      ...(record.label ? { carrierId: record.label.carrierId, trackingNumber: record.label.trackingNumber, trackingUrl: record.label.trackingUrl } : {}),
      ...(location ? { returnAddress: [location.name, ...location.address.lines, `${location.address.postalCode} ${location.address.city}`, location.address.country].join('\n') } : {}),
      ...(record.receiveBy ? { receiveBy: record.receiveBy } : {}),
      conditions: record.lines.filter((l) => l.condition).map((l) => ({ sku: l.sku, quantity: l.quantity, condition: l.condition ?? '' })),
    },
  };
}

/**
 * A carrier's scan of a return label (the carrier webhook). The first scan
 * moves an approved return to `in_transit` (it leaves the expiry sweep: the
 * carrier has it): the return, the scan and the timeline entry in one
 * transaction. Any other scan changes nothing on the return, so the return
 * item (rewritten whole into its list indexes) is not written: the scan gets
 * a small item of its own, put once, and its timeline entry, in one
 * transaction. A repeated scan (same status and time) is `unchanged`.
 * GET /v1/returns/{returnId} shows every scan in `tracking`.
 */
export async function recordReturnTracking(
  deps: Pick<ReturnDeps, 'returns' | 'clock'>,
  returnId: string,
  update: { carrierId: string; trackingNumber: string; status: string; occurredAt: string; description?: string | undefined; location?: string | undefined },
): Promise<{ outcome: 'applied' | 'unchanged' | 'recorded'; returnId: string; status: ReturnStatus }> {
  return retryOnConcurrentModification(async () => {
    const record = await loadReturn(deps, returnId);
    const events = record.tracking?.events ?? [];
    if (events.some((e) => e.status === update.status && e.at === update.occurredAt)) return { outcome: 'unchanged' as const, returnId, status: record.status };
    const now = deps.clock.now();
    const at = now.toISOString();
    const moves = record.status === 'approved' && update.status !== 'exception' && update.status !== 'lost';
    const actor = { actor: `carrier:${update.carrierId}` };
    const text = `${update.carrierId} ${update.trackingNumber}: ${update.status.replaceAll('_', ' ')}${update.description ? ` — ${update.description}` : ''}${update.location ? ` (${update.location})` : ''}`;
    const scan = { status: update.status, at: update.occurredAt, ...(update.description ? { description: update.description } : {}), ...(update.location ? { location: update.location } : {}) };
    const entry = note(at, moves ? 'return_in_transit' : 'return_tracking', actor, `Return ${returnId}: ${text}.`, { returnId, occurredAt: update.occurredAt });
    if (!moves) {
      const recorded = await deps.returns.recordScan(record.orderId, returnId, scan, [entry]);
      return { outcome: recorded ? ('recorded' as const) : ('unchanged' as const), returnId, status: record.status };
    }
    const next: Return = { ...record, status: 'in_transit', tracking: { status: update.status, events: [...events, scan].slice(-30) }, version: record.version + 1, updatedAt: at };
    await deps.returns.save(next, record.version, { scan, timeline: [entry], events: [] });
    return { outcome: 'applied' as const, returnId, status: next.status };
  }, 5);
}

/**
 * `POST /v1/returns/{returnId}/receipt`: a location checks the parcel in
 * with each line's condition. Only an approved or in-transit return, every
 * line named once and none other; conditional on the version read (of two
 * receipts at once one wins, the other is a 409). ReturnReceived starts the
 * restock, refund and close.
 */
export async function receiveReturn(deps: Pick<ReturnDeps, 'returns' | 'locations' | 'clock'>, command: { returnId: string; input: ReturnReceiptInput } & Actor): Promise<Return> {
  const record = await staffStep(deps, command.returnId, ['approved', 'in_transit'], 'received');
  const problems = receiptProblems(command.input, record);
  const [first] = problems;
  if (first) throw new ValidationError(first.message, problems.map((p) => ({ in: 'body' as const, ...p })));
  const locationId = command.input.locationId ?? record.receivingLocationId;
  if (!(await deps.locations.get(locationId))) {
    throw new ValidationError(`Location ${locationId} does not exist`, [{ in: 'body', path: 'locationId', message: `Location ${locationId} does not exist`, code: 'unknown_location' }]);
  }
  const now = deps.clock.now();
  const at = now.toISOString();
  const lines = record.lines.map((l) => ({ ...l, condition: command.input.lines.find((c) => c.lineId === l.lineId)?.condition ?? 'missing' }));
  const summary = lines.map((l) => `${l.quantity} × ${l.sku} ${l.condition}`).join(', ');
  const next: Return = {
    ...record,
    status: 'received',
    lines,
    receipt: { locationId, receivedAt: at, ...(command.input.note ? { note: command.input.note } : {}) },
    version: record.version + 1,
    updatedAt: at,
  };
  const entry = note(at, 'return_received', command, `Return ${record.returnId} received at ${locationId}: ${summary}.`, { returnId: record.returnId, locationId });
  next.timeline = [...record.timeline, ...returnTimelineOf(record.returnId, [entry])];
  await deps.returns.save(next, record.version, {
    timeline: [entry],
    events: [ReturnReceived.create({ returnId: record.returnId, orderId: record.orderId, locationId, resolution: record.resolution, lines }, { occurredAt: now, actor: command.actor, correlationId: command.correlationId })],
  });
  return next;
}

/** What moving a received return's stock did. */
interface ReturnedStock {
  locationId: string;
  restocked: number;
  writtenOff: number;
  missing: number;
}

/**
 * Resellable units go back to available stock at the receiving location (a
 * `return_restock` movement per line, id `return:<returnId>:<lineId>`:
 * applied once; the stock pipe announces the increase and waiting
 * backorders are served); damaged units are written off (a `write_off`
 * ledger entry that changes no figure: the unit was sold and never counts as
 * on hand or available again); missing units move nothing. Each movement is
 * its own transaction on the stock; a repeat (a retried step) is a
 * duplicate and moves nothing. The return item is not written here.
 */
async function moveReturnedStock(deps: ReturnDeps, record: Return & { receipt: NonNullable<Return['receipt']> }, command: Actor): Promise<ReturnedStock> {
  const locationId = record.receipt.locationId;
  const resellable = record.lines.filter((l) => l.condition === 'resellable');
  const damaged = record.lines.filter((l) => l.condition === 'damaged');
  const results = await applyMovements(deps, {
    actor: command.actor,
    movements: resellable.map((l) => ({
      type: 'return_restock' as const,
      movementId: `return:${record.returnId}:${l.lineId}`,
      sku: l.sku,
      locationId,
      quantity: l.quantity,
      reference: record.returnId,
      reason: `Returned resellable (${l.reason})`,
    })),
  });
  const refused = results.find((r) => r.status === 'rejected');
  if (refused) throw new Error(`Restocking return ${record.returnId} failed: ${refused.status === 'rejected' ? refused.reason : ''}`);
  for (const l of damaged) {
    const movementId = `return:${record.returnId}:${l.lineId}`;
    try {
      await deps.inventory.commit({
        changes: [{ sku: l.sku, locationId, shard: 0, onHandDelta: 0, reservedDelta: 0, safetyStockDelta: 0, requires: {}, type: 'write_off' }],
        ledgerId: movementId,
        movementId,
        movement: {
          fingerprint: createHash('sha256').update(canonicalJson({ type: 'write_off', sku: l.sku, locationId, quantity: l.quantity, reference: record.returnId })).digest('base64url'),
          content: { type: 'write_off', sku: l.sku, locationId, quantity: l.quantity, reference: record.returnId },
        },
        actor: command.actor,
        at: deps.clock.now().toISOString(),
        reason: `${l.quantity} returned damaged (${l.reason}): written off, never available`,
        reference: record.returnId,
        events: [],
      });
    } catch (error) {
      if (!(error instanceof InventoryConflictError && error.kind === 'duplicate')) throw error;
    }
  }
  const count = (condition: string) => record.lines.filter((l) => l.condition === condition).reduce((sum, l) => sum + l.quantity, 0);
  return { locationId, restocked: count('resellable'), writtenOff: count('damaged'), missing: count('missing') };
}

function restockedNote(at: string, command: Actor, returnId: string, stock: ReturnedStock): TimelineEntry {
  return note(at, 'return_restocked', command, `Return ${returnId}: ${stock.restocked} unit(s) back to available at ${stock.locationId}, ${stock.writtenOff} written off, ${stock.missing} missing.`, { returnId });
}

/**
 * Workflow step (ReturnReceived), one step of the three settleReturn runs
 * at once: the stock moved (moveReturnedStock), then `restockedAt` on the
 * return. Kept for callers that settle a return step by step.
 */
export async function restockReturn(deps: ReturnDeps, command: { returnId: string } & Actor): Promise<{ outcome: 'restocked' | 'skipped'; restocked: number; writtenOff: number; reason?: string }> {
  const record = await loadReturn(deps, command.returnId);
  if (record.status !== 'received' || !record.receipt) return { outcome: 'skipped', restocked: 0, writtenOff: 0, reason: `the return is ${record.status}` };
  if (record.restockedAt) return { outcome: 'skipped', restocked: 0, writtenOff: 0, reason: 'already restocked' };
  const stock = await moveReturnedStock(deps, { ...record, receipt: record.receipt }, command);
  await retryOnConcurrentModification(async () => {
    const current = await loadReturn(deps, command.returnId);
    if (current.restockedAt) return;
    const at = deps.clock.now().toISOString();
    await deps.returns.save({ ...current, restockedAt: at, version: current.version + 1, updatedAt: at }, current.version, { timeline: [restockedNote(at, command, record.returnId, stock)], events: [] });
  }, 5);
  return { outcome: 'restocked', restocked: stock.restocked, writtenOff: stock.writtenOff };
}

/**
 * The refund of the units that came back (resellable or damaged; missing
 * ones are not refunded), through issueRefund with the key
 * `return:<returnId>` (exactly once: a repeat answers the first refund).
 * Shipping is refunded when the policy says so and the order's every shipped
 * unit is now returned; the fee is the policy's restocking percent of the
 * value of lines returned for a fee-bearing reason, plus the label when the
 * customer pays return shipping. Resolution `store_credit` issues the same
 * refund as store credit (a code for the customer's e-mail, with its credit
 * note); `exchange` is settled by settleExchange (the replacement order
 * released, a lower price's difference refunded). The refund is its own
 * transaction; the return item is not written here.
 */
async function refundReturned(deps: ReturnDeps, record: Return, command: Actor): Promise<{ summary: Record<string, unknown>; message: string }> {
  if (record.resolution === 'exchange') {
    if (!deps.settleExchange) throw new Error('Exchanges are not wired: settleExchange is missing from the return dependencies');
    return deps.settleExchange({ returnId: record.returnId, actor: command.actor, correlationId: command.correlationId });
  }
  const order = await deps.orders.get(record.orderId);
  if (!order) throw new NotFoundError(`Order ${record.orderId} does not exist`);
  const policy = (await deps.policies.get(record.policy.policyId)) ?? BUILT_IN_RETURN_POLICY;
  const back = record.lines.filter((l) => l.condition === 'resellable' || l.condition === 'damaged');
  if (back.length === 0) return { summary: { status: 'nothing_to_refund' }, message: 'Nothing came back: nothing to refund.' };
  const feeLines = back.filter((l) => policy.reasons.find((r) => r.reason === l.reason)?.restockingFee === true);
  // The percentage is taken inside issueRefund, of the fee lines valued after the order's earlier refunds, as the refund values them.
  const labelFee = record.returnShippingPaidBy === 'customer' && record.label ? record.label.rate : 0;
  const [reservation, ledger] = await Promise.all([deps.inventory.reservation(order.orderId), deps.returns.ledger(order.orderId)]);
  const shipped = shippedPerLine(order, unitsOf(reservation?.sold ?? []));
  const everyUnitBack = order.lines.every((l) => (ledger?.held[l.lineId] ?? 0) >= (shipped.get(l.lineId) ?? 0));
  const refund = await deps.issueRefund({
    orderId: order.orderId,
    key: `return:${record.returnId}`,
    kind: 'return',
    reason: `Return ${record.returnId}`,
    lines: back.map((l) => ({ sku: l.sku, quantity: l.quantity })),
    shipping: policy.refundShipping && everyUnitBack,
    fee: labelFee,
    restockingFee: { percent: policy.restockingFeePercent, lines: feeLines.map((l) => ({ sku: l.sku, quantity: l.quantity })) },
    returnId: record.returnId,
    ...(record.resolution === 'store_credit' ? { storeCredit: { email: order.customer.email ?? '' } } : {}),
    actor: command.actor,
    correlationId: command.correlationId,
  });
  return {
    summary: { refundId: refund.refundId, amount: refund.amount, status: refund.status, ...(refund.storeCreditCode ? { storeCreditCode: refund.storeCreditCode } : {}) },
    message: `Refund ${refund.refundId}: ${refund.amount} minor units, ${refund.status.replaceAll('_', ' ')}${refund.fee > 0 ? ` (fee ${refund.fee} deducted)` : ''}.`,
  };
}

/**
 * Workflow step (ReturnReceived, after the restock), one step of the three
 * settleReturn runs at once: refundReturned, then the refund's summary on
 * the return. Kept for callers that settle a return step by step.
 */
export async function refundReturn(deps: ReturnDeps, command: { returnId: string } & Actor): Promise<{ outcome: 'refunded' | 'skipped'; refundId?: string; amount?: number; status?: string; reason?: string }> {
  const record = await loadReturn(deps, command.returnId);
  if (record.status !== 'received') return { outcome: 'skipped', reason: `the return is ${record.status}` };
  if (record.refund) return { outcome: 'skipped', reason: 'already refunded', ...(record.refund as { refundId?: string }) };
  const { summary, message } = await refundReturned(deps, record, command);
  await retryOnConcurrentModification(async () => {
    const current = await loadReturn(deps, command.returnId);
    if (current.refund) return;
    const at = deps.clock.now().toISOString();
    await deps.returns.save(
      { ...current, refund: summary, version: current.version + 1, updatedAt: at },
      current.version,
      { timeline: [note(at, 'return_refunded', command, `Return ${record.returnId}: ${message}`, { returnId: record.returnId })], events: [] },
    );
  }, 5);
  return { outcome: 'refunded', ...(summary as { refundId?: string; amount?: number; status?: string }) };
}

function closedWrites(record: Return, now: Date, command: Actor) {
  const at = now.toISOString();
  return {
    timeline: [note(at, 'return_closed', command, `Return ${record.returnId} closed.`, { returnId: record.returnId })],
    events: [ReturnClosed.create({ returnId: record.returnId, orderId: record.orderId, outcome: 'settled', ...(record.refund ? { refund: record.refund } : {}) }, { occurredAt: now, actor: command.actor, correlationId: command.correlationId })],
  };
}

/**
 * Workflow step: a received return whose stock moved is closed (ReturnClosed).
 * Idempotent: a closed return is skipped.
 */
export async function closeReturn(deps: Pick<ReturnDeps, 'returns' | 'clock'>, command: { returnId: string; refund?: { refundId?: string; amount?: number; status?: string } | undefined } & Actor): Promise<{ outcome: 'closed' | 'skipped'; reason?: string }> {
  return retryOnConcurrentModification(async () => {
    const record = await loadReturn(deps, command.returnId);
    if (record.status !== 'received') return { outcome: 'skipped' as const, reason: `the return is ${record.status}` };
    if (!record.restockedAt) return { outcome: 'skipped' as const, reason: 'its stock has not moved yet' };
    if (!record.refund) return { outcome: 'skipped' as const, reason: 'its refund has not been issued yet' };
    const now = deps.clock.now();
    const at = now.toISOString();
    await deps.returns.save({ ...record, status: 'closed', closedAt: at, version: record.version + 1, updatedAt: at }, record.version, closedWrites(record, now, command));
    return { outcome: 'closed' as const };
  }, 5);
}

/**
 * Workflow step (ReturnReceived): restock, refund and close in one step,
 * with ONE write of the return item (every step rewrites it and each of its
 * list indexes copies it whole, so three writes were three times the cost).
 * The stock movements and the refund are other aggregates and keep their own
 * transactions, each idempotent (movement ids `return:<returnId>:<lineId>`,
 * refund key `return:<returnId>`); the return is then written once, closed,
 * with `restockedAt`, the refund's summary, the restocked / refunded / closed
 * timeline entries and ReturnClosed in one transaction. A retry after a crash
 * in the middle runs the parts again: the repeats move no stock and refund
 * nothing twice, and the return is closed once (conditional on its version).
 * A return restocked or refunded by the single steps keeps what they did.
 */
export async function settleReturn(
  deps: ReturnDeps,
  command: { returnId: string } & Actor,
): Promise<{ outcome: 'settled' | 'skipped'; restocked?: number; writtenOff?: number; refund?: Record<string, unknown>; reason?: string }> {
  const record = await loadReturn(deps, command.returnId);
  if (record.status !== 'received' || !record.receipt) return { outcome: 'skipped', reason: `the return is ${record.status}` };
  // Entries of one transaction share no clock tick, so their order on the timeline is their order here.
  let last = '';
  const stamp = () => {
    const now = deps.clock.now();
    const at = last && now.toISOString() <= last ? new Date(Date.parse(last) + 1) : now;
    last = at.toISOString();
    return at;
  };
  const stock = record.restockedAt ? undefined : await moveReturnedStock(deps, { ...record, receipt: record.receipt }, command);
  const restockedAt = stock ? stamp().toISOString() : undefined;
  const refunded = record.refund ? undefined : await refundReturned(deps, record, command);
  const refundedAt = refunded ? stamp().toISOString() : undefined;
  return retryOnConcurrentModification(async () => {
    const current = await loadReturn(deps, command.returnId);
    if (current.status !== 'received') return { outcome: 'skipped' as const, reason: `the return is ${current.status}` };
    const now = stamp();
    const at = now.toISOString();
    const timeline: TimelineEntry[] = [];
    if (!current.restockedAt && stock && restockedAt) timeline.push(restockedNote(restockedAt, command, record.returnId, stock));
    if (!current.refund && refunded && refundedAt) timeline.push(note(refundedAt, 'return_refunded', command, `Return ${record.returnId}: ${refunded.message}`, { returnId: record.returnId }));
    const next: Return = {
      ...current,
      status: 'closed',
      restockedAt: current.restockedAt ?? restockedAt ?? at,
      refund: current.refund ?? refunded?.summary ?? {},
      closedAt: at,
      version: current.version + 1,
      updatedAt: at,
    };
    const closing = closedWrites(next, now, command);
    await deps.returns.save(next, current.version, { timeline: [...timeline, ...closing.timeline], events: closing.events });
    return { outcome: 'settled' as const, ...(stock ? { restocked: stock.restocked, writtenOff: stock.writtenOff } : {}), ...(next.refund ? { refund: next.refund } : {}) };
  }, 5);
}

/**
 * Schedule: approved returns not handed to the carrier by `receiveBy`
 * expire (ReturnClosed, outcome `expired`) and give their units back to the
 * order's returnable count. Reads the hour-bucketed expiry index, never a
 * scan; a return that moved on meanwhile (a scan, a receipt) is skipped.
 */
export async function expireReturns(deps: Pick<ReturnDeps, 'returns' | 'clock'>, command: { hoursBack?: number } & Actor): Promise<{ expired: string[] }> {
  const now = deps.clock.now();
  const due = await deps.returns.overdue(now, command.hoursBack ?? 48);
  const expired: string[] = [];
  for (const { returnId } of due) {
    const done = await retryOnConcurrentModification(async () => {
      const record = await deps.returns.get(returnId);
      if (!record || record.status !== 'approved' || !record.receiveBy || record.receiveBy > now.toISOString()) return false;
      const at = deps.clock.now().toISOString();
      await deps.returns.save(
        { ...record, status: 'expired', closedAt: at, version: record.version + 1, updatedAt: at },
        record.version,
        {
          ledger: await releasedUnits(deps, record),
          timeline: [note(at, 'return_expired', command, `Return ${returnId} expired: nothing was sent back by ${record.receiveBy}.`, { returnId })],
          events: [ReturnClosed.create({ returnId, orderId: record.orderId, outcome: 'expired' }, { occurredAt: deps.clock.now(), actor: command.actor, correlationId: command.correlationId })],
        },
      );
      return true;
    }, 5).catch((error: unknown) => {
      if (error instanceof ConcurrentModificationError) return false;
      throw error;
    });
    if (done) expired.push(returnId);
  }
  return { expired };
}
