import { PaymentAuthorized } from '#events/payment-authorized.ts';
import { PaymentCaptured } from '#events/payment-captured.ts';
import { PaymentFailed } from '#events/payment-failed.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, NotFoundError } from '#shared/domain/errors.ts';
import { linesTotal, type OrderStatus, type TimelineEntry } from '#shared/domain/order.ts';
import { formatMoney } from '#shared/domain/money.ts';
import { captureAmount, paymentModeOf, unitsOf, type Payment } from '#shared/domain/payment.ts';
import type { FulfillmentRepository, InventoryRepository, OrderRepository, PaymentProvider } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { cancelOrder } from './reservations.ts';
import { retryOnConflict } from './retry.ts';

export interface PaymentDeps {
  orders: Pick<OrderRepository, 'get' | 'update'>;
  inventory: Pick<InventoryRepository, 'reservation'>;
  fulfillments: Pick<FulfillmentRepository, 'payment' | 'savePayment'>;
  /** Providers the OMS authorizes and captures with, by name (`sandbox`). */
  providers: Record<string, PaymentProvider>;
  clock: Clock;
}

const CONFIRMABLE: readonly OrderStatus[] = ['reserved', 'routed', 'fulfilling', 'partially_shipped', 'backordered'];

function note(at: string, type: string, actor: Actor, message: string, data?: Record<string, unknown>): TimelineEntry {
  return { at, type, actor: actor.actor, message, ...(actor.correlationId ? { correlationId: actor.correlationId } : {}), ...(data ? { data } : {}) };
}

/**
 * Workflow step: is the order paid for? Channel-paid orders record the
 * channel's reference; orders with a payment method of a connected provider
 * are authorized for the total (idempotency key per order, so a retried
 * step gets the same authorization). Recorded once: a later run reads it.
 */
export async function confirmPayment(deps: PaymentDeps, command: { orderId: string } & Actor): Promise<{ outcome: 'confirmed' | 'declined' | 'skipped'; mode?: Payment['mode']; declineCode?: string; reason?: string }> {
  return retryOnConflict(async () => {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    // A held order is not charged nor handed to a location: its release (OrderReleased) runs the workflow again.
    if (order.fulfillmentHold) return { outcome: 'skipped', reason: `order is held (${order.fulfillmentHold.reason})` };
    const recorded = await deps.fulfillments.payment(order.orderId);
    if (recorded) {
      if (recorded.status === 'declined') return { outcome: 'declined', mode: recorded.mode, ...(recorded.declineCode ? { declineCode: recorded.declineCode } : {}) };
      if (recorded.status === 'voided') return { outcome: 'skipped', reason: 'payment voided' };
      return { outcome: 'confirmed', mode: recorded.mode };
    }
    if (!CONFIRMABLE.includes(order.status)) return { outcome: 'skipped', reason: `order is ${order.status}` };
    const now = deps.clock.now();
    const at = now.toISOString();
    const mode = paymentModeOf(order);
    // The OMS charges what the lines add up to; only a channel-paid order keeps the channel's own figure.
    const amount = mode === 'provider' ? linesTotal(order) : order.totals.total;
    const base = { orderId: order.orderId, mode, currency: order.currency, amount, authorized: 0, captured: 0, captures: [], version: 1, createdAt: at, updatedAt: at };
    const context = { occurredAt: now, ...actorOf(command) };
    let payment: Payment;
    let events;
    let message: string;
    if (mode === 'provider') {
      const providerName = order.payment.provider ?? '';
      const provider = deps.providers[providerName];
      if (!provider) throw new Error(`Payment provider ${providerName} is not configured`);
      const result = await provider.authorize({
        amount,
        currency: order.currency,
        paymentMethod: order.payment.reference ?? '',
        reference: order.orderId,
        idempotencyKey: `authorize:${order.orderId}`,
      });
      if (result.status === 'declined') {
        payment = { ...base, provider: providerName, status: 'declined', declineCode: result.declineCode, message: result.message };
        events = [PaymentFailed.create({ orderId: order.orderId, provider: providerName, amount, currency: order.currency, declineCode: result.declineCode, message: result.message }, context)];
        message = `Payment declined by ${providerName}: ${result.message} (${result.declineCode}).`;
      } else {
        payment = { ...base, provider: providerName, status: 'authorized', authorizationId: result.authorizationId, authorized: result.amount };
        events = [PaymentAuthorized.create({ orderId: order.orderId, mode, provider: providerName, amount: result.amount, currency: order.currency, authorizationId: result.authorizationId }, context)];
        message = `Payment of ${formatMoney(result.amount, order.currency)} authorized by ${providerName} (${result.authorizationId}); captured as it ships.`;
      }
    } else if (mode === 'channel') {
      const channelReference = order.payment.reference ?? order.channel.externalOrderId;
      payment = { ...base, status: 'channel_paid', channelReference, authorized: order.totals.total, captured: order.totals.total };
      events = [PaymentAuthorized.create({ orderId: order.orderId, mode, amount: order.totals.total, currency: order.currency, channelReference }, context)];
      message = `Paid at ${order.channel.channelId} (${channelReference}); the OMS captures nothing.`;
    } else {
      payment = { ...base, status: 'cash_on_delivery' };
      events = [PaymentAuthorized.create({ orderId: order.orderId, mode, amount: order.totals.total, currency: order.currency }, context)];
      message = 'Cash on delivery: the carrier collects the total.';
    }
    await deps.fulfillments.savePayment(payment, null, { timeline: [note(at, payment.status === 'declined' ? 'payment_declined' : 'payment_confirmed', command, message)], events });
    return payment.status === 'declined'
      ? { outcome: 'declined', mode, ...(payment.declineCode ? { declineCode: payment.declineCode } : {}) }
      : { outcome: 'confirmed', mode };
  }, { attempts: 3, exhausted: () => new ConcurrentModificationError(`The payment of order ${command.orderId} kept changing`) });
}

/** Workflow step after a decline: the order is cancelled (its stock released and the customer told by the OrderCancelled rules). */
export async function cancelUnpaidOrder(deps: PaymentDeps, command: { orderId: string; declineCode?: string | undefined } & Actor) {
  const order = await cancelOrder(deps, { orderId: command.orderId, reason: `payment declined${command.declineCode ? ` (${command.declineCode})` : ''}`, actor: command.actor, correlationId: command.correlationId });
  return { orderId: order.orderId, orderStatus: order.status };
}

/**
 * Workflow step on ShipmentShipped: captures the shipped share of the
 * order (all of the rest with the last parcel). One capture per shipment:
 * the idempotency key is the shipment, and the capture is recorded on the
 * payment at its version.
 */
export async function capturePayment(deps: PaymentDeps, command: { orderId: string; shipmentId: string; lines: { sku: string; quantity: number }[] } & Actor): Promise<{ outcome: 'captured' | 'skipped'; amount?: number; reason?: string }> {
  return retryOnConflict(async () => {
    const [order, payment] = await Promise.all([deps.orders.get(command.orderId), deps.fulfillments.payment(command.orderId)]);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    if (!payment) return { outcome: 'skipped', reason: 'no payment recorded' };
    if (payment.mode !== 'provider') return { outcome: 'skipped', reason: payment.mode === 'channel' ? 'paid at the channel' : 'cash on delivery' };
    const done = payment.captures.find((c) => c.shipmentId === command.shipmentId);
    if (done) return { outcome: 'captured', amount: done.amount };
    if (!payment.authorizationId || payment.status === 'declined' || payment.status === 'voided') return { outcome: 'skipped', reason: `payment is ${payment.status}` };
    const earlier = unitsOf(payment.captures.flatMap((c) => c.lines ?? []));
    const amount = captureAmount(order, earlier, unitsOf(command.lines), payment.authorized - payment.captured);
    if (amount <= 0) return { outcome: 'skipped', reason: 'nothing more to capture' };
    const provider = deps.providers[payment.provider ?? ''];
    if (!provider) throw new Error(`Payment provider ${payment.provider} is not configured`);
    // What the order still owes in all: an order change may have lowered what it costs (payment.amount); the rest of the authorization is never taken.
    const owed = Math.min(payment.authorized, payment.amount) - payment.captured;
    const result = await provider.capture({
      authorizationId: payment.authorizationId,
      amount,
      idempotencyKey: `capture:${order.orderId}:${command.shipmentId}`,
      final: amount >= owed,
      upTo: Math.max(amount, owed),
    });
    const { captureId } = result;
    // A provider that captures an authorization only once takes all that is owed with the first share (never more than the authorization left).
    const ahead = Math.max(0, Math.min(result.amount, payment.authorized - payment.captured) - amount);
    const now = deps.clock.now();
    const at = now.toISOString();
    const captured = payment.captured + amount + ahead;
    const complete = captured >= Math.min(payment.authorized, payment.amount);
    const next: Payment = {
      ...payment,
      status: complete ? 'captured' : 'partially_captured',
      captured,
      captures: [
        ...payment.captures,
        { captureId, amount: amount + ahead, shipmentId: command.shipmentId, lines: command.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })), ...(ahead > 0 ? { ahead } : {}), at },
      ],
      version: payment.version + 1,
      updatedAt: at,
    };
    const money = (value: number) => formatMoney(value, order.currency);
    const said =
      ahead > 0
        ? `Captured ${money(amount + ahead)} with shipment ${command.shipmentId} (its share ${money(amount)}, and ${money(ahead)} ahead for what has not shipped: ${payment.provider ?? 'the provider'} captures this card only once); ${money(captured)} of ${money(payment.authorized)} captured.`
        : `Captured ${money(amount)} for shipment ${command.shipmentId}; ${money(captured)} of ${money(payment.authorized)} captured.`;
    await deps.fulfillments.savePayment(next, payment.version, {
      timeline: [note(at, 'payment_captured', command, said, { captureId, amount: amount + ahead, ...(ahead > 0 ? { ahead } : {}) })],
      events: [PaymentCaptured.create({ orderId: order.orderId, shipmentId: command.shipmentId, captureId, amount: amount + ahead, capturedTotal: captured, currency: order.currency, complete }, { occurredAt: now, ...actorOf(command) })],
    });
    return { outcome: 'captured', amount: amount + ahead };
  }, { attempts: 5, exhausted: () => new ConcurrentModificationError(`The payment of order ${command.orderId} kept changing`) });
}

/** On OrderCancelled: an authorization nothing was captured from is voided, so the customer's funds are freed. */
export async function voidAuthorization(deps: PaymentDeps, command: { orderId: string } & Actor): Promise<{ outcome: 'voided' | 'skipped' }> {
  const payment = await deps.fulfillments.payment(command.orderId);
  if (!payment || payment.mode !== 'provider' || payment.status !== 'authorized' || !payment.authorizationId || payment.captured > 0) return { outcome: 'skipped' };
  const provider = deps.providers[payment.provider ?? ''];
  if (!provider) throw new Error(`Payment provider ${payment.provider} is not configured`);
  await provider.void({ authorizationId: payment.authorizationId, idempotencyKey: `void:${command.orderId}` });
  const at = deps.clock.now().toISOString();
  try {
    await deps.fulfillments.savePayment({ ...payment, status: 'voided', version: payment.version + 1, updatedAt: at }, payment.version, {
      timeline: [note(at, 'payment_voided', command, `Authorization ${payment.authorizationId} voided: the order was cancelled before anything shipped.`)],
      events: [],
    });
  } catch (error) {
    if (!(error instanceof ConcurrentModificationError)) throw error;
  }
  return { outcome: 'voided' };
}
