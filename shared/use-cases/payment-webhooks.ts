import { OrderHeld } from '#events/order-held.ts';
import { PaymentFailed } from '#events/payment-failed.ts';
import { validated } from '#shared/channels/deliveries.ts';
import {
  STRIPE_EVENT_TYPES,
  StripeChargeObject,
  StripeDisputeObject,
  StripeEvent,
  StripePaymentIntentObject,
  stripeSignatureProblem,
} from '#shared/channels/stripe-events.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, UnauthorizedError } from '#shared/domain/errors.ts';
import { holdActor, providerHold } from '#shared/domain/holds.ts';
import { parseJson } from '#shared/domain/json.ts';
import { formatMoney } from '#shared/domain/money.ts';
import type { Order, TimelineEntry } from '#shared/domain/order.ts';
import type { Payment } from '#shared/domain/payment.ts';
import type { FulfillmentRepository, OrderHoldRepository, OrderRepository } from '#shared/ports.ts';
import { retryOnConflict } from './retry.ts';

export interface PaymentWebhookDeps {
  orders: Pick<OrderRepository, 'get'>;
  fulfillments: Pick<FulfillmentRepository, 'payment' | 'savePayment'>;
  holds: Pick<OrderHoldRepository, 'save'>;
  /** The endpoint's signing secret (`whsec_…`). */
  secret: () => Promise<string>;
  /** The OMS order id a PaymentIntent carries in its metadata (`oms_order_id`), for events that name only the PaymentIntent (disputes). */
  orderOfPaymentIntent: (paymentIntentId: string) => Promise<string | undefined>;
  clock: Clock;
}

export interface PaymentWebhookReceipt {
  outcome: 'applied' | 'duplicate' | 'ignored';
  eventId: string;
  type: string;
  orderId?: string;
  reason?: string;
}

const ACTOR = 'provider:stripe';
/** How many applied event ids a payment keeps for de-duplication (Stripe retries for up to 3 days; an order sees a handful of events). */
const KEPT_EVENTS = 50;

/**
 * `POST /webhooks/payments/stripe`: Stripe tells the OMS what happened to
 * a payment. The signature is checked first (401, nothing written, when it
 * is missing, forged or stale); then the event is mapped onto the order's
 * payment, found by the PaymentIntent's `oms_order_id` metadata and checked
 * against the payment's `authorizationId`. The payment item records the
 * event id in the same transaction as the change, so a redelivery
 * (at-least-once, any order) changes nothing; an older event never
 * overwrites newer figures. Events of payments that are not the OMS's are
 * acknowledged and ignored (Stripe would otherwise retry them for days).
 */
export async function receiveStripeWebhook(deps: PaymentWebhookDeps, request: { rawBody: Buffer; signature: string | undefined }): Promise<PaymentWebhookReceipt> {
  const problem = stripeSignatureProblem(request.rawBody, request.signature, await deps.secret(), deps.clock.now());
  if (problem) throw new UnauthorizedError(problem);
  const event = validated(StripeEvent, parseJson(request.rawBody.toString('utf8')), 'The body is not a Stripe event');
  const receipt = (outcome: PaymentWebhookReceipt['outcome'], extra: { orderId?: string | undefined; reason?: string } = {}): PaymentWebhookReceipt => ({
    outcome,
    eventId: event.id,
    type: event.type,
    ...(extra.orderId ? { orderId: extra.orderId } : {}),
    ...(extra.reason ? { reason: extra.reason } : {}),
  });
  if (!(STRIPE_EVENT_TYPES as readonly string[]).includes(event.type)) return receipt('ignored', { reason: `the OMS does not use ${event.type} events` });

  const target = await targetOf(deps, event);
  if (!target.orderId) return receipt('ignored', { reason: `PaymentIntent ${target.paymentIntentId ?? '(none)'} is not an OMS payment (no oms_order_id)` });
  const orderId = target.orderId;
  return retryOnConflict(async () => {
    const [order, payment] = await Promise.all([deps.orders.get(orderId), deps.fulfillments.payment(orderId)]);
    if (!order) return receipt('ignored', { orderId, reason: `order ${orderId} does not exist here` });
    if (!payment || payment.provider !== 'stripe' || payment.authorizationId !== target.paymentIntentId) {
      const why = !payment
        ? 'no payment is recorded for it yet (the payment step gets the same answer from Stripe)'
        : `its payment is ${payment.provider ?? payment.mode} ${payment.authorizationId ?? payment.status}, not Stripe ${target.paymentIntentId ?? ''}`;
      return receipt('ignored', { orderId: order.orderId, reason: `order ${order.orderId}: ${why}` });
    }
    if (payment.providerEvents?.includes(event.id)) return receipt('duplicate', { orderId: order.orderId });
    await apply(deps, event, order, payment);
    return receipt('applied', { orderId: order.orderId });
  }, { attempts: 5, exhausted: () => new ConcurrentModificationError(`The payment of order ${orderId} kept changing`) });
}

/** The PaymentIntent an event is about, and the OMS order it belongs to. */
async function targetOf(deps: PaymentWebhookDeps, event: StripeEvent): Promise<{ paymentIntentId?: string | undefined; orderId?: string | undefined }> {
  const object = event.data.object;
  if (object.object === 'payment_intent') {
    const intent = validated(StripePaymentIntentObject, object, 'The event does not carry a PaymentIntent');
    return { paymentIntentId: intent.id, orderId: intent.metadata?.['oms_order_id'] };
  }
  if (object.object === 'charge') {
    const charge = validated(StripeChargeObject, object, 'The event does not carry a Charge');
    const paymentIntentId = charge.payment_intent ?? undefined;
    return { paymentIntentId, orderId: charge.metadata?.['oms_order_id'] ?? (paymentIntentId ? await deps.orderOfPaymentIntent(paymentIntentId) : undefined) };
  }
  const dispute = validated(StripeDisputeObject, object, 'The event does not carry a Dispute');
  const paymentIntentId = dispute.payment_intent ?? undefined;
  // A dispute's own metadata is empty: its PaymentIntent's names the order.
  return { paymentIntentId, orderId: dispute.metadata?.['oms_order_id'] ?? (paymentIntentId ? await deps.orderOfPaymentIntent(paymentIntentId) : undefined) };
}

async function apply(deps: PaymentWebhookDeps, event: StripeEvent, order: Order, payment: Payment): Promise<void> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const eventAt = new Date(event.created * 1000).toISOString();
  const money = (amount: number) => formatMoney(amount, order.currency);
  const entry = (type: string, message: string, data: Record<string, unknown>): TimelineEntry => ({ at, type, actor: ACTOR, message, data: { eventId: event.id, eventType: event.type, ...data } });
  const newer = !payment.providerState || payment.providerState.eventAt <= eventAt;
  const seen = [...(payment.providerEvents ?? []), event.id].slice(-KEPT_EVENTS);
  let next: Payment = { ...payment, providerEvents: seen, version: payment.version + 1, updatedAt: at };
  const timeline: TimelineEntry[] = [];
  const events = [];

  if (event.type.startsWith('payment_intent.')) {
    const intent = validated(StripePaymentIntentObject, event.data.object, 'The event does not carry a PaymentIntent');
    if (newer) next = { ...next, providerState: { ...payment.providerState, status: intent.status, capturable: intent.amount_capturable, received: intent.amount_received, eventAt } };
    if (event.type === 'payment_intent.payment_failed') {
      const why = intent.last_payment_error;
      const code = why?.decline_code ?? why?.code ?? 'payment_failed';
      const message = why?.message ?? `PaymentIntent ${intent.id} failed`;
      if (payment.captured === 0 && (payment.status === 'authorized' || payment.status === 'declined')) {
        next = { ...next, status: 'declined', declineCode: code, message };
        if (payment.status === 'authorized') {
          events.push(PaymentFailed.create({ orderId: order.orderId, provider: 'stripe', amount: payment.amount, currency: order.currency, declineCode: code, message }, { occurredAt: now, actor: ACTOR }));
        }
      }
      timeline.push(entry('payment_failed', `Stripe reports the payment failed: ${message} (${code}). Nothing is captured from it; the order is held for a person to decide.`, { paymentIntentId: intent.id, code }));
      await holdFor(deps, order, { reason: 'payment_review', reference: intent.id, note: `Stripe: payment failed (${code}): ${message}` }, now, timeline);
    } else if (event.type === 'payment_intent.succeeded') {
      const differs = intent.amount_received !== payment.captured;
      timeline.push(
        entry(
          'payment_provider_update',
          `Stripe reports PaymentIntent ${intent.id} succeeded: ${money(intent.amount_received)} received${differs ? `, while the OMS recorded ${money(payment.captured)} captured` : ''}.`,
          { paymentIntentId: intent.id, received: intent.amount_received },
        ),
      );
    } else {
      timeline.push(
        entry('payment_provider_update', `Stripe reports ${money(intent.amount_capturable)} capturable and ${money(intent.amount_received)} received on PaymentIntent ${intent.id} (${intent.status}).`, {
          paymentIntentId: intent.id,
          capturable: intent.amount_capturable,
          received: intent.amount_received,
        }),
      );
    }
  } else if (event.type === 'charge.refunded') {
    const charge = validated(StripeChargeObject, event.data.object, 'The event does not carry a Charge');
    if (newer) next = { ...next, providerState: { ...(payment.providerState ?? { status: 'succeeded' }), received: charge.amount_captured, refunded: charge.amount_refunded, eventAt } };
    const recorded = payment.refunded ?? 0;
    timeline.push(
      entry(
        'payment_provider_update',
        `Stripe reports ${money(charge.amount_refunded)} refunded on charge ${charge.id} in all${
          charge.amount_refunded > recorded ? `, more than the ${money(recorded)} the OMS refunded: a refund made outside the OMS (the Stripe Dashboard) has no credit note here` : ''
        }.`,
        { chargeId: charge.id, refunded: charge.amount_refunded, recorded },
      ),
    );
  } else {
    const dispute = validated(StripeDisputeObject, event.data.object, 'The event does not carry a Dispute');
    const dueBy = dispute.evidence_details?.due_by ? new Date(dispute.evidence_details.due_by * 1000).toISOString() : undefined;
    next = { ...next, dispute: { disputeId: dispute.id, amount: dispute.amount, reason: dispute.reason, status: dispute.status, ...(dueBy ? { evidenceDueBy: dueBy } : {}), openedAt: eventAt } };
    timeline.push(
      entry(
        'payment_disputed',
        `The customer disputed ${money(dispute.amount)} with their bank (Stripe dispute ${dispute.id}, reason ${dispute.reason}, ${dispute.status})${dueBy ? `; evidence is due by ${dueBy}` : ''}. Answer it in the Stripe Dashboard.`,
        { disputeId: dispute.id, amount: dispute.amount, reason: dispute.reason, status: dispute.status, ...(dueBy ? { evidenceDueBy: dueBy } : {}) },
      ),
    );
    await holdFor(deps, order, { reason: 'payment_disputed', reference: dispute.id, note: `Stripe dispute ${dispute.id}: ${dispute.reason}, ${money(dispute.amount)}` }, now, timeline);
  }
  // The event id is recorded with the change, conditional on the payment's version: a redelivery finds it and changes nothing.
  await deps.fulfillments.savePayment(next, payment.version, { timeline, events });
}

/**
 * Holds the order for a person (before the payment records the event, so a
 * redelivery after a failure between the two still holds it). When it cannot
 * be held, the payment's timeline entry says why.
 */
async function holdFor(
  deps: PaymentWebhookDeps,
  order: Order,
  input: { reason: 'payment_disputed' | 'payment_review'; reference: string; note: string },
  now: Date,
  timeline: TimelineEntry[],
): Promise<void> {
  if (order.fulfillmentHold?.placedBy.type === 'provider' && order.fulfillmentHold.placedBy.reference === input.reference) return;
  const held = providerHold(order, { ...input, provider: 'stripe' }, now);
  const last = timeline.at(-1);
  if ('notHeld' in held) {
    if (last) last.message += ` The order is not held: ${held.notHeld}.`;
    return;
  }
  const actor = holdActor(held.hold.placedBy);
  await deps.holds.save(held.next, {
    previous: order,
    timeline: [{ at: now.toISOString(), actor, ...held.entry }],
    events: [OrderHeld.create({ orderId: order.orderId, orderStatus: held.next.status, hold: held.hold }, { occurredAt: now, actor })],
  });
}
