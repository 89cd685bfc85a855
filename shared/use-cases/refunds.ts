import { CreditNoteIssued } from '#events/credit-note-issued.ts';
import { RefundFailed } from '#events/refund-failed.ts';
import { RefundIssued } from '#events/refund-issued.ts';
import type { OutboxEvent } from '#events/define.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, ConflictError, NotFoundError, PaymentProviderError, ValidationError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { formatMoney } from '#shared/domain/money.ts';
import { SHIPPED_OR_LATER, type Order, type TimelineEntry } from '#shared/domain/order.ts';
import { paymentModeOf, type Payment } from '#shared/domain/payment.ts';
import {
  cashLimit,
  CreditNoteId,
  creditNoteBody,
  refundable,
  refundLimitAttribute,
  refundValue,
  renderCreditNoteHtml,
  splitOverCaptures,
  type CreditNote,
  type Refund,
  type RefundKind,
} from '#shared/domain/refund.ts';
import type { RuleSet } from '#shared/domain/routing.ts';
import type { FulfillmentRepository, IdempotencyRepository, InvoiceRepository, OrderRepository, PaymentProvider, RefundPaymentChange, RefundRepository, RefundWrites } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { getOrder } from './orders.ts';
import { retryOnConflict } from './retry.ts';
import { createHash, randomBytes } from 'node:crypto';
import { storeCreditCode } from '#shared/domain/exchange.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';

export interface RefundDeps {
  orders: Pick<OrderRepository, 'get'>;
  fulfillments: Pick<FulfillmentRepository, 'payment'>;
  refunds: RefundRepository;
  invoices: Pick<InvoiceRepository, 'forOrder'>;
  /** Providers the OMS refunds through, by name (`sandbox`). */
  providers: Record<string, PaymentProvider>;
  ruleSetFor(channelId: string): Promise<RuleSet>;
  clock: Clock;
}

export interface RefundCommand extends Actor {
  orderId: string;
  /** One refund per key (`return:<returnId>`, `cancel:<orderId>:<n>`, a goodwill request's Idempotency-Key): the same key again answers the first refund, nothing twice. */
  key: string;
  kind: RefundKind;
  reason: string;
  /** Units refunded (returned or cancelled): their exact share of price, discount and tax. */
  lines?: { sku: string; quantity: number }[];
  /** Also refund the shipping charge and its tax (a return policy decides). */
  shipping?: boolean;
  /** Deducted from the refund (restocking fee), minor units; never below zero. */
  fee?: number;
  /**
   * A restocking fee of `percent` of these units' value, added to `fee`:
   * valued like the refund's own lines — after earlier refunds, with the
   * same cumulative floors — so the fee is a percentage of exactly what the
   * refund gives back for them, to the minor unit.
   */
  restockingFee?: { percent: number; lines: { sku: string; quantity: number }[] };
  /** A goodwill amount in minor units (no lines). */
  amount?: number;
  /** A cancellation of units the provider captured ahead of shipping (`amount`): refunded through the provider like any refund. */
  capturedAhead?: boolean;
  returnId?: string;
  /** A note for people (goodwill requests). */
  note?: string;
  /** Issue the amount as store credit for this customer instead of money back (a return's resolution `store_credit`): same limits, same credit note. */
  storeCredit?: { email: string };
}

/**
 * Runs of a refund's write (retryOnConflict): every refund of an order, and
 * every capture, is conditional on the order's one payment item, and calls
 * with one key race for the key; refunds of one order made in parallel lose
 * many races in a row, far more than a single record's 3-5 runs allow.
 */
const ATTEMPTS = 25;

function entry(at: string, type: string, command: Actor, message: string, data?: Record<string, unknown>): TimelineEntry {
  return { at, type, actor: command.actor, message, ...(command.correlationId ? { correlationId: command.correlationId } : {}), ...(data ? { data } : {}) };
}

/**
 * Gives money back for an order: units returned, cancelled or claimed, or
 * a goodwill amount. Exactly once per key. The amount is the units' exact
 * share (shared/domain/refund.ts refundValue) plus shipping once, minus a
 * fee; it never exceeds what was captured (provider), paid (channel) or
 * collected (cash on delivery) minus earlier refunds — the refund's write
 * is conditional on the payment item's refunded total. Provider refunds
 * are recorded `pending` first (that write takes the money from the
 * refundable total), then refunded capture by capture with idempotency
 * keys derived from the refund key, then completed with their timeline,
 * RefundIssued event and credit note in one transaction. Channel and cash
 * refunds are recorded final in one transaction. Units cancelled before
 * they shipped were never captured or collected: `nothing_to_refund`.
 */
export async function issueRefund(deps: RefundDeps, command: RefundCommand): Promise<Refund> {
  const problems = [];
  if (command.key.length < 1 || command.key.length > 300) problems.push({ path: 'key', message: 'A refund key is 1-300 characters' });
  if (command.reason.trim().length < 1 || command.reason.length > 500) problems.push({ in: 'body' as const, path: 'reason', message: 'Give a reason (1-500 characters)' });
  if (command.note !== undefined && command.note.length > 2000) problems.push({ in: 'body' as const, path: 'note', message: 'A note is at most 2000 characters' });
  if (problems.length > 0) throw new ValidationError('The refund cannot be made as asked', problems);
  // The step records the refund (or finds the one the key already holds); only that write's lost race runs it again.
  const recorded = await retryOnConflict(async (): Promise<Refund> => {
    const existing = await deps.refunds.byKey(command.orderId, command.key);
    if (existing) return existing;
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    const [payment, earlier] = await Promise.all([deps.fulfillments.payment(order.orderId), deps.refunds.forOrder(order.orderId)]);
    // A cash order part of which shipped has collected at most what its shipped parcels were billed, not the whole order.
    const cashCollected = payment?.mode === 'cash_on_delivery' && order.status === 'partially_shipped' ? (await deps.invoices.forOrder(order.orderId)).reduce((sum, i) => sum + i.totals.total, 0) : undefined;
    const plan = planRefund(order, payment, earlier, command, cashCollected);
    const channelReference = payment?.channelReference ?? plan.channelReference;
    const now = deps.clock.now();
    const at = now.toISOString();
    const refund: Refund = {
      refundId: newId(),
      orderId: order.orderId,
      ...(command.returnId ? { returnId: command.returnId } : {}),
      key: command.key,
      kind: command.kind,
      reason: command.reason.trim(),
      ...(command.note ? { note: command.note } : {}),
      currency: order.currency,
      ...plan.value,
      amount: plan.amount,
      mode: plan.mode,
      status: plan.status,
      ...(payment?.provider && plan.mode === 'provider' ? { provider: payment.provider } : {}),
      providerRefunds: plan.parts.map((p) => ({ ...p, idempotencyKey: `refund:${order.orderId}:${command.key}:${p.captureId}` })),
      ...(plan.mode === 'channel' && channelReference ? { channelReference } : {}),
      ...(plan.why ? { creditNote: plan.why } : {}),
      actor: command.actor,
      createdAt: at,
      updatedAt: at,
      ...(plan.status !== 'pending' ? { completedAt: at } : {}),
    };
    const paymentChange = payment && plan.amount > 0 ? refundedPayment(payment, refund, at) : undefined;
    const writes = plan.status === 'pending' ? startedWrites(command, order, at) : await finalWrites(deps, command, order, refund, now);
    if (plan.status === 'store_credit' && command.storeCredit) {
      const { email } = command.storeCredit;
      const code = storeCreditCode(randomBytes(16));
      refund.storeCreditCode = code;
      writes.storeCredit = (stored, note) => ({
        code,
        amount: stored.amount,
        currency: stored.currency,
        email: email.toLowerCase(),
        orderId: stored.orderId,
        ...(stored.returnId ? { returnId: stored.returnId } : {}),
        refundId: stored.refundId,
        ...(note ? { creditNoteId: note.creditNoteId } : {}),
        issuedAt: at,
      });
    }
    const final = plan.status === 'pending' ? refund : noted(refund, writes);
    // Another refund (or a capture) changed the payment: the record throws, and the helper reads again and decides again what is refundable.
    return (await deps.refunds.record(final, paymentChange, writes)).refund;
  }, { attempts: ATTEMPTS, exhausted: () => new ConcurrentModificationError(`The payment of order ${command.orderId} kept changing; retry the refund`) });
  // A pending refund is finished here: one just recorded, or one left by a call that failed or crashed between taking the money from the limit
  // and completing it (the provider answers each part's idempotency key with its first answer, and completing is conditional on `pending`).
  return recorded.status === 'pending' ? finishProviderRefund(deps, recorded, command) : recorded;
}

interface Plan {
  value: ReturnType<typeof refundValue>;
  amount: number;
  mode: Payment['mode'];
  status: Refund['status'];
  parts: { captureId: string; amount: number }[];
  /** Why there is no credit note, when it is known before writing. */
  why?: string;
  /** The channel's payment reference when no payment item records it yet. */
  channelReference?: string;
}

/** Decides what the refund gives back and how, from the order, its payment and its earlier refunds. */
function planRefund(order: Order, payment: Payment | undefined, earlier: readonly Refund[], command: RefundCommand, cashCollected?: number): Plan {
  const restocking = command.restockingFee && command.restockingFee.lines.length > 0 ? Math.floor((refundValue(order, { lines: command.restockingFee.lines }, earlier).value * command.restockingFee.percent) / 100) : 0;
  const value = refundValue(order, { ...command, fee: (command.fee ?? 0) + restocking }, earlier);
  const mode = payment?.mode ?? paymentModeOf(order);
  const money = (amount: number) => formatMoney(amount, order.currency);
  const nothing = (why: string): Plan => ({ value, amount: 0, mode, status: 'nothing_to_refund', parts: [], why });
  if (command.kind === 'cancellation' && mode !== 'channel' && !(command.capturedAhead && mode === 'provider')) {
    // Cancelled units never shipped: the captures (one per shipment) and the carrier's cash collection take only shipped units.
    return nothing(mode === 'provider' ? 'Nothing was captured for cancelled units: captures take only shipped units' : 'Nothing was collected for cancelled units: cash is collected on delivery');
  }
  if (!payment && command.kind === 'cancellation' && mode === 'channel' && order.payment.state !== 'pending') {
    // Changed before the payment step recorded the channel's payment: the customer paid the channel the whole total all the same, so the change's difference is owed there.
    if (value.value === 0) return nothing('The fee takes the whole value: nothing to refund');
    return { value, amount: value.value, mode, status: 'to_refund_at_channel', parts: [], channelReference: order.payment.reference ?? order.channel.externalOrderId };
  }
  if (!payment || payment.status === 'declined' || payment.status === 'voided') {
    if (command.kind === 'cancellation') return nothing(`No payment to refund (${payment ? `payment ${payment.status}` : 'no payment recorded'})`);
    throw new ConflictError(`Order ${order.orderId} has no payment to refund (${payment ? `payment ${payment.status}` : 'no payment recorded yet'})`, 'nothing_paid');
  }
  if (value.value === 0) return nothing('The fee takes the whole value: nothing to refund');
  const collected = cashCollected ?? SHIPPED_OR_LATER.includes(order.status);
  const left = refundable(payment, collected);
  if (value.value > left) {
    const limitName = mode === 'provider' ? 'captured' : mode === 'channel' ? 'paid at the channel' : 'collected';
    const limit = mode === 'cash_on_delivery' ? cashLimit(payment, collected) : payment.captured;
    throw new ValidationError(
      `A refund of ${money(value.value)} exceeds the refundable ${money(left)} (${limitName} ${money(limit)}, refunded so far ${money(payment.refunded ?? 0)})`,
      [
        {
          in: 'body',
          path: command.amount !== undefined ? 'amount' : 'lines',
          code: 'exceeds_refundable',
          message: `Refundable now: ${money(left)}; asked: ${money(value.value)}`,
        },
      ],
    );
  }
  // Store credit instead of money back: nothing moves at the provider or the channel; the refunded total still takes it (never more than was paid).
  if (command.storeCredit) return { value, amount: value.value, mode, status: 'store_credit', parts: [] };
  if (mode === 'provider') return { value, amount: value.value, mode, status: 'pending', parts: splitOverCaptures(payment.captures, value.value) };
  return { value, amount: value.value, mode, status: mode === 'channel' ? 'to_refund_at_channel' : 'to_refund_manually', parts: [] };
}

/** The payment with this refund added to its refunded totals (and its captures', for provider refunds), one version on. */
function refundedPayment(payment: Payment, refund: Refund, at: string): RefundPaymentChange {
  const byCapture = new Map(refund.providerRefunds.map((p) => [p.captureId, p.amount]));
  const next: Payment = {
    ...payment,
    refunded: (payment.refunded ?? 0) + refund.amount,
    captures: payment.captures.map((c) => (byCapture.has(c.captureId) ? { ...c, refunded: (c.refunded ?? 0) + (byCapture.get(c.captureId) ?? 0) } : c)),
    version: payment.version + 1,
    updatedAt: at,
  };
  return { next, expectedVersion: payment.version, limit: refundLimitAttribute(payment.mode) };
}

function startedWrites(command: Actor, order: Order, at: string): RefundWrites {
  return {
    timeline: (refund) => [
      entry(at, 'refund_started', command, `Refund of ${formatMoney(refund.amount, order.currency)} (${refund.kind}: ${refund.reason}) started with ${refund.provider ?? 'the provider'} over ${refund.providerRefunds.length} capture(s).`, {
        refundId: refund.refundId,
        amount: refund.amount,
      }),
    ],
    events: () => [],
  };
}

/** A final refund says why it has no credit note, or gets one (its id is set when the note is numbered). */
function noted(refund: Refund, writes: RefundWrites & { why?: string | undefined }): Refund {
  const { creditNote: _reason, ...rest } = refund;
  return writes.creditNote || !writes.why ? rest : { ...rest, creditNote: writes.why };
}

/** What a final refund writes: its credit note (when it corrects an invoice), timeline entries, RefundIssued and CreditNoteIssued. */
async function finalWrites(deps: Pick<RefundDeps, 'invoices' | 'ruleSetFor'>, command: Actor, order: Order, refund: Refund, now: Date): Promise<RefundWrites & { why?: string | undefined }> {
  const at = now.toISOString();
  const money = (amount: number) => formatMoney(amount, order.currency);
  const context = { occurredAt: now, ...actorOf(command) };
  let creditNote: RefundWrites['creditNote'];
  let why = refund.creditNote;
  if (refund.amount > 0) {
    const invoices = await deps.invoices.forOrder(order.orderId);
    if (invoices.length === 0) why = 'The order has no invoice (nothing shipped yet): no credit note';
    else {
      const { invoicing } = await deps.ruleSetFor(order.channel.channelId);
      creditNote = { series: invoicing.creditNoteSeries, draft: { ...creditNoteBody(order, refund, invoices), issuedAt: at } };
    }
  }
  return {
    ...(creditNote ? { creditNote } : {}),
    why,
    timeline: (stored, note) => {
      const how =
        stored.status === 'refunded'
          ? `refunded through ${stored.provider ?? 'the provider'}`
          : stored.status === 'to_refund_at_channel'
            ? `to be refunded at ${order.channel.channelId}${stored.channelReference ? ` (${stored.channelReference})` : ''}`
            : stored.status === 'to_refund_manually'
              ? 'to be paid back by hand (cash on delivery)'
              : stored.status === 'store_credit'
                ? `issued as store credit ${stored.storeCreditCode ?? ''}`.trimEnd()
                : 'nothing to refund';
      const units = stored.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ');
      const entries = [
        entry(
          at,
          stored.status === 'nothing_to_refund' ? 'refund_not_needed' : 'refund_issued',
          command,
          stored.status === 'nothing_to_refund'
            ? `No refund for ${units || 'the request'} (${stored.kind}: ${stored.reason}): ${why ?? 'nothing to refund'}.`
            : `Refund of ${money(stored.amount)} (${stored.kind}: ${stored.reason}${units ? `; ${units}` : ''}${stored.fee > 0 ? `; fee ${money(stored.fee)} kept` : ''}) ${how}; ${note ? `credit note ${note.creditNoteId}` : (why ?? 'no credit note')}.`,
          { refundId: stored.refundId, amount: stored.amount, status: stored.status, ...(note ? { creditNoteId: note.creditNoteId } : {}) },
        ),
      ];
      if (note) {
        entries.push(
          entry(at, 'credit_note_issued', command, `Credit note ${note.creditNoteId} issued for ${money(note.totals.total)}, correcting ${note.invoiceIds.join(', ')}.`, {
            creditNoteId: note.creditNoteId,
            refundId: stored.refundId,
          }),
        );
      }
      return entries;
    },
    events: (stored, note) => {
      if (stored.status === 'nothing_to_refund' || stored.status === 'pending' || stored.status === 'failed') return [];
      const events: OutboxEvent[] = [
        RefundIssued.create(
          {
            refundId: stored.refundId,
            orderId: stored.orderId,
            ...(stored.returnId ? { returnId: stored.returnId } : {}),
            kind: stored.kind,
            reason: stored.reason,
            mode: stored.mode,
            status: stored.status,
            amount: stored.amount,
            currency: stored.currency,
            lines: stored.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, amount: l.amount })),
            ...(stored.channelReference ? { channelReference: stored.channelReference } : {}),
            ...(note ? { creditNoteId: note.creditNoteId } : {}),
            ...(stored.storeCreditCode ? { storeCreditCode: stored.storeCreditCode } : {}),
          },
          context,
        ),
      ];
      if (note) {
        events.push(
          CreditNoteIssued.create(
            { creditNoteId: note.creditNoteId, series: note.series, number: note.number, orderId: note.orderId, refundId: stored.refundId, invoiceIds: note.invoiceIds, total: note.totals.total, currency: note.currency },
            context,
          ),
        );
      }
      return events;
    },
  };
}

/**
 * The provider side of a pending refund: one provider refund per capture
 * part, each with its idempotency key (a retry gets the provider's first
 * answer, so nothing is refunded twice), then the refund is completed with
 * its credit note, timeline and events in one transaction. A part the
 * provider refuses for good (a decline: PaymentProviderError not retryable)
 * makes the refund `failed` (failProviderRefund). Any other failure leaves
 * it pending — the next call with the key or the deadline sweep finishes it
 * — and is thrown as a retryable PaymentProviderError (503 over HTTP).
 */
async function finishProviderRefund(deps: RefundDeps, refund: Refund, command: Actor): Promise<Refund> {
  const provider = deps.providers[refund.provider ?? ''];
  if (!provider) throw new Error(`Payment provider ${refund.provider} is not configured`);
  const done: Refund['providerRefunds'] = [];
  for (const part of refund.providerRefunds) {
    try {
      const { refundId } = await provider.refund({ captureId: part.captureId, amount: part.amount, idempotencyKey: part.idempotencyKey });
      done.push({ ...part, refundId });
    } catch (error) {
      if (error instanceof PaymentProviderError && !error.retryable) done.push({ ...part, declined: { code: error.code, message: error.message } });
      else throw stillPending(refund, error);
    }
  }
  if (done.some((part) => part.declined)) return failProviderRefund(deps, refund, done, command);
  const order = await deps.orders.get(refund.orderId);
  if (!order) throw new NotFoundError(`Order ${refund.orderId} does not exist`);
  const now = deps.clock.now();
  const at = now.toISOString();
  const next: Refund = { ...refund, status: 'refunded', providerRefunds: done, updatedAt: at, completedAt: at };
  const writes = await finalWrites(deps, command, order, next, now);
  try {
    const { refund: stored } = await deps.refunds.complete(noted(next, writes), writes);
    return stored;
  } catch (error) {
    if (!(error instanceof ConcurrentModificationError)) throw error;
    // Another call completed it first.
    const stored = await deps.refunds.byKey(refund.orderId, refund.key);
    if (!stored) throw error;
    return stored;
  }
}

/** A provider that could not answer now: the refund stays pending for the next call with its key or the sweep. */
function stillPending(refund: Refund, error: unknown): PaymentProviderError {
  const cause = error instanceof Error ? error.message : String(error);
  return new PaymentProviderError(
    'payment_provider_unavailable',
    `The payment provider ${refund.provider ?? ''} could not refund now (${cause}). Refund ${refund.refundId} of ${formatMoney(refund.amount, refund.currency)} stays pending: the same request again finishes it, or the deadline sweep does within minutes.`,
    { retryable: true, details: [{ path: 'refundId', message: refund.refundId, ...(error instanceof PaymentProviderError ? { code: error.code } : {}) }] },
  );
}

/**
 * The provider refused (part of) a pending refund for good: the refund
 * becomes `failed` with the provider's reason, and what was not refunded
 * goes back to the payment's refundable total (and its captures'), with a
 * `refund_failed` timeline entry and RefundFailed, in one transaction
 * conditional on the refund still being pending and on the payment's
 * version. No credit note: nothing final was given back (parts refunded
 * before another was refused are named on the refund for a person).
 */
async function failProviderRefund(deps: RefundDeps, refund: Refund, parts: Refund['providerRefunds'], command: Actor): Promise<Refund> {
  const declined = parts.filter((p) => p.declined);
  const notRefunded = declined.reduce((sum, p) => sum + p.amount, 0);
  const first = declined[0]?.declined ?? { code: 'declined', message: 'The provider refused the refund' };
  const money = (amount: number) => formatMoney(amount, refund.currency);
  return retryOnConflict(async () => {
    const payment = await deps.fulfillments.payment(refund.orderId);
    const now = deps.clock.now();
    const at = now.toISOString();
    const next: Refund = {
      ...refund,
      status: 'failed',
      providerRefunds: parts,
      failure: { code: first.code, message: first.message, notRefunded, at },
      creditNote: 'The provider refused the refund: no credit note',
      updatedAt: at,
      completedAt: at,
    };
    const writes: RefundWrites = {
      timeline: (stored) => [
        entry(
          at,
          'refund_failed',
          command,
          `Refund of ${money(stored.amount)} (${stored.kind}: ${stored.reason}) refused by ${stored.provider ?? 'the provider'}: ${first.message} (${first.code}). ${money(notRefunded)} not refunded, refundable again${notRefunded < stored.amount ? `; ${money(stored.amount - notRefunded)} was refunded from other captures` : ''}.`,
          { refundId: stored.refundId, amount: stored.amount, notRefunded, code: first.code },
        ),
      ],
      events: (stored) => [
        RefundFailed.create(
          {
            refundId: stored.refundId,
            orderId: stored.orderId,
            ...(stored.returnId ? { returnId: stored.returnId } : {}),
            kind: stored.kind,
            reason: stored.reason,
            provider: stored.provider ?? '',
            amount: stored.amount,
            notRefunded,
            currency: stored.currency,
            code: first.code,
            message: first.message,
          },
          { occurredAt: now, ...actorOf(command) },
        ),
      ],
    };
    try {
      return (await deps.refunds.fail(next, payment ? givenBack(payment, declined, at) : undefined, writes)).refund;
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError)) throw error;
      // Finished by another call meanwhile: its answer. Or the payment moved (a capture, another refund): rethrown, the helper reads again.
      const stored = await deps.refunds.byKey(refund.orderId, refund.key);
      if (stored && stored.status !== 'pending') return stored;
      throw error;
    }
  }, { attempts: ATTEMPTS, exhausted: () => new ConcurrentModificationError(`The payment of order ${refund.orderId} kept changing while refund ${refund.refundId} was marked failed`) });
}

/** The payment with the refused parts given back to its refunded totals (and its captures'), one version on. */
function givenBack(payment: Payment, declined: Refund['providerRefunds'], at: string): RefundPaymentChange {
  const byCapture = new Map<string, number>();
  for (const part of declined) byCapture.set(part.captureId, (byCapture.get(part.captureId) ?? 0) + part.amount);
  const total = declined.reduce((sum, p) => sum + p.amount, 0);
  const next: Payment = {
    ...payment,
    refunded: Math.max(0, (payment.refunded ?? 0) - total),
    captures: payment.captures.map((c) => (byCapture.has(c.captureId) ? { ...c, refunded: Math.max(0, (c.refunded ?? 0) - (byCapture.get(c.captureId) ?? 0)) } : c)),
    version: payment.version + 1,
    updatedAt: at,
  };
  return { next, expectedVersion: payment.version, limit: refundLimitAttribute(payment.mode) };
}

/**
 * Scheduled with the other deadline sweeps (every 5 minutes): provider
 * refunds still `pending` a minute after they were recorded (their caller
 * failed or crashed after taking the amount from the payment's limit, and
 * nobody called again with the key) are finished through the provider with
 * the same per-capture idempotency keys — refunded once, never twice — or
 * marked `failed` when the provider refuses them for good. One the provider
 * cannot take now is filed again for the next run.
 */
export async function finishPendingRefunds(deps: RefundDeps): Promise<{ refunded: string[]; failed: string[]; stillPending: string[] }> {
  const now = deps.clock.now();
  const result = { refunded: [] as string[], failed: [] as string[], stillPending: [] as string[] };
  const unexpected: unknown[] = [];
  for (const refund of await deps.refunds.pendingDue(now, 48)) {
    try {
      const done = await finishProviderRefund(deps, refund, { actor: 'schedule:refund-sweep' });
      if (done.status === 'failed') result.failed.push(done.refundId);
      else if (done.status !== 'pending') result.refunded.push(done.refundId);
    } catch (error) {
      // Filed again under this run's hour, so it is never older than the sweep's window; the next run tries again.
      if (await deps.refunds.postpone(refund, now.toISOString())) result.stillPending.push(refund.refundId);
      if (!(error instanceof PaymentProviderError) && !(error instanceof ConcurrentModificationError)) unexpected.push(error);
    }
  }
  // A bug or a storage error fails the run (alarmed, retried) after the other refunds had their turn.
  if (unexpected.length > 0) throw unexpected[0];
  return result;
}

/**
 * `POST /v1/orders/{orderId}/refunds`: a goodwill refund, once per
 * Idempotency-Key (the same machinery as POST /v1/orders: the key is claimed
 * with the body's fingerprint, the first answer is replayed byte for byte,
 * another body under the key is a 409). The refund's own key is
 * `goodwill:<Idempotency-Key>`.
 */
export async function requestGoodwillRefund(
  deps: RefundDeps & { idempotency: IdempotencyRepository },
  command: { orderId: string; input: { amount: number; reason: string; note?: string | undefined }; rawBody: unknown; idempotencyKey: string } & Actor,
): Promise<{ status: number; json: string }> {
  const fingerprint = createHash('sha256').update(canonicalJson(command.rawBody)).digest('base64url');
  const scope = `refunds:${command.orderId}`;
  const claim = await deps.idempotency.claim(scope, command.idempotencyKey, fingerprint);
  if (claim.state === 'mismatch') {
    throw new ConflictError('This Idempotency-Key was already used with a different request body', 'idempotency_key_reused', [
      { in: 'header', path: 'idempotency-key', message: 'Use a new key for a new refund' },
    ]);
  }
  if (claim.state === 'in_progress') throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly', 'idempotency_in_progress');
  if (claim.state === 'completed') return claim.response;
  try {
    const refund = await issueRefund(deps, {
      orderId: command.orderId,
      key: `goodwill:${command.idempotencyKey}`,
      kind: 'goodwill',
      reason: command.input.reason,
      amount: command.input.amount,
      ...(command.input.note !== undefined ? { note: command.input.note } : {}),
      actor: command.actor,
      correlationId: command.correlationId,
    });
    if (refund.status === 'failed') throw refusedByProvider(refund);
    const response = { status: 201, json: JSON.stringify(refund) };
    await deps.idempotency.complete(scope, command.idempotencyKey, response);
    return response;
  } catch (error) {
    await deps.idempotency.release(scope, command.idempotencyKey);
    throw error;
  }
}

/** A failed refund, answered to the goodwill route as the provider's refusal (502): the same key answers it again; a new key tries again. */
function refusedByProvider(refund: Refund): PaymentProviderError {
  const money = (amount: number) => formatMoney(amount, refund.currency);
  const failure = refund.failure ?? { code: 'declined', message: 'The provider refused the refund', notRefunded: refund.amount };
  return new PaymentProviderError(
    'refund_failed',
    `The payment provider refused refund ${refund.refundId} of ${money(refund.amount)}: ${failure.message} (${failure.code}). ${money(failure.notRefunded)} was not refunded and can be refunded again (GET /v1/orders/${refund.orderId}/refunds).`,
    { retryable: false, details: [{ in: 'body', path: 'amount', code: failure.code, message: failure.message }] },
  );
}

/** `GET /v1/orders/{orderId}/refunds`: the order's refunds, oldest first (404 for an unknown order). */
export async function refundsOfOrder(deps: Pick<RefundDeps, 'orders' | 'refunds'>, orderId: string): Promise<Refund[]> {
  await getOrder(deps, orderId);
  return deps.refunds.forOrder(orderId);
}

export async function getCreditNote(deps: Pick<RefundDeps, 'refunds'>, creditNoteId: string): Promise<CreditNote> {
  const note = CreditNoteId.safeParse(creditNoteId).success ? await deps.refunds.creditNote(creditNoteId) : undefined;
  if (!note) throw new NotFoundError(`Credit note ${creditNoteId} does not exist`);
  return note;
}

export async function creditNoteDocument(deps: Pick<RefundDeps, 'refunds'> & { sellerName: string }, creditNoteId: string): Promise<string> {
  return renderCreditNoteHtml(await getCreditNote(deps, creditNoteId), { name: deps.sellerName });
}

/** `GET /v1/credit-notes?orderId=`: the order's credit notes, by number (404 for an unknown order). */
export async function creditNotesOfOrder(deps: Pick<RefundDeps, 'orders' | 'refunds'>, orderId: string): Promise<CreditNote[]> {
  await getOrder(deps, orderId);
  return deps.refunds.creditNotesOf(orderId);
}
