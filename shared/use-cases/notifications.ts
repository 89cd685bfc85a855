import { NotificationSent } from '#events/notification-sent.ts';
import { ShipmentDelivered } from '#events/shipment-delivered.ts';
import { ShipmentTrackingUpdated } from '#events/shipment-tracking-updated.ts';
import { OrderCancelled } from '#events/order-cancelled.ts';
import { OrderBackordered } from '#events/order-backordered.ts';
import { RefundIssued } from '#events/refund-issued.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { renderEmail, resolveLocale, sampleMessage, isLocale, supportedLocales, type RenderedEmail, type Sender } from '#shared/domain/customer-messages.ts';
import { applies, recipients, render, staleClaimAfterMs, NotificationSendInProgressError, NotificationTemplate as NotificationTemplates, type Notification, type NotificationContext, type NotificationTemplate } from '#shared/domain/notification.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { FulfillmentRepository, MailFeedbackRepository, Mailer, NotificationRepository, OrderRepository, SmsSender } from '#shared/ports.ts';
import { assertOrderId } from './orders.ts';
import { retryOnConflict } from './retry.ts';

export interface NotificationDeps {
  orders: Pick<OrderRepository, 'get'>;
  fulfillments: Pick<FulfillmentRepository, 'get'>;
  notifications: NotificationRepository;
  mailer: Mailer;
  sms: SmsSender;
  clock: Clock;
  /** Addresses that bounced for good or complained: checked before every e-mail (absent: nothing is suppressed). */
  suppressions?: Pick<MailFeedbackRepository, 'suppression'>;
  /** Who the e-mails come from (SELLER_NAME, SUPPORT_EMAIL) and the merchant's default locale (DEFAULT_LOCALE). */
  messages?: { sender: Sender; defaultLocale: string };
  /**
   * How old a `sending` claim must be before another attempt may take it
   * over: a little over the sending function's timeout, when its sender is
   * certainly dead (staleClaimAfterMs of FUNCTION_TIMEOUT_SECONDS).
   */
  claimStaleAfterMs?: number;
}

const DEFAULT_SENDER: Sender = { sellerName: 'OMS merchant' };

/** The notification functions' timeout (infra/topology/functions.ts): a test holds the two together. */
export const DEFAULT_SENDER_TIMEOUT_SECONDS = 30;

/**
 * Sends one template to the customer, once per (template, what it is about, channel):
 * each message is claimed with a conditional write before it is sent, and
 * recorded as sent (with a NotificationSent event) after. A retried step or
 * a redelivered event finds the claim and sends nothing. A failed send is
 * recorded and thrown, so the workflow or the rule retries it. A claim still
 * `sending` is either a sender at work or one that crashed: while it is
 * younger than the sending function's timeout the attempt throws
 * NotificationSendInProgressError (retried by Lambda, the workflow, or a
 * redrive), and once older it is taken over and sent.
 */
export async function notifyCustomer(
  deps: NotificationDeps,
  command: { orderId: string; template: NotificationTemplate; about: string; context?: NotificationContext; actor: string },
): Promise<{ sent: number; skipped: number }> {
  const order = await deps.orders.get(command.orderId);
  if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
  if (!applies(command.template, order)) return { sent: 0, skipped: 0 };
  // An exchange's (or a reship's) parcel is announced as what it is, instead of the ordinary "shipped" message: one message per parcel, once.
  if (command.template === 'shipped' && order.exchangeFor) {
    const original = await deps.orders.get(order.exchangeFor.orderId);
    command = {
      ...command,
      template: 'exchange_shipped',
      context: {
        ...command.context,
        originalOrder: original?.channel.externalNumber ?? order.exchangeFor.orderId,
        ...(order.exchangeFor.returnId ? { returnId: order.exchangeFor.returnId } : {}),
        ...(order.exchangeFor.claimId ? { claimId: order.exchangeFor.claimId } : {}),
      },
    };
  }
  const message = render(command.template, order, command.context ?? {});
  const { locale } = resolveLocale(order.customer.locale, deps.messages?.defaultLocale);
  const email = renderEmail(command.template, order, command.context ?? {}, locale, deps.messages?.sender ?? DEFAULT_SENDER);
  let sent = 0;
  let skipped = 0;
  const inProgress: string[] = [];
  const staleAfterMs = deps.claimStaleAfterMs ?? staleClaimAfterMs(DEFAULT_SENDER_TIMEOUT_SECONDS);
  for (const { channel, to } of recipients(order)) {
    const now = deps.clock.now();
    const claim: Notification = {
      notificationId: newId(),
      orderId: order.orderId,
      template: command.template,
      channel,
      about: command.about,
      to,
      ...(channel === 'email' ? { subject: email.subject, locale: email.locale } : {}),
      body: channel === 'email' ? email.text : message.sms,
      status: 'sending',
      attempts: 1,
      createdAt: now.toISOString(),
    };
    const state = await deps.notifications.claim(claim, staleAfterMs, now);
    if (state === 'in_progress') {
      inProgress.push(channel);
      continue;
    }
    if (state !== 'claimed') {
      skipped++;
      continue;
    }
    // An address that bounced for good or complained gets nothing more: the message is recorded as suppressed, not sent.
    const suppression = channel === 'email' ? await deps.suppressions?.suppression(to) : undefined;
    if (suppression) {
      await deps.notifications.finish({ ...claim, status: 'suppressed', error: `Not sent: the address is suppressed since ${suppression.since} (${suppression.reason})` }, []);
      skipped++;
      continue;
    }
    const tags = { orderId: order.orderId, template: command.template };
    let messageId: string;
    try {
      ({ messageId } =
        channel === 'email'
          ? await deps.mailer.send({ to: [to], subject: email.subject, text: email.text, html: email.html, tags })
          : await deps.sms.send({ to, text: message.sms, tags }));
    } catch (error) {
      await deps.notifications.finish({ ...claim, status: 'failed', error: error instanceof Error ? error.message : String(error) }, []);
      throw error;
    }
    // Sent: a failure to record it (throttling, a crash) must not mark it `failed`, which the next attempt would send again at once.
    // The claim stays `sending`: retries within the window throw, and only a retry after it (the sender certainly gone) sends again.
    // The record is tried a few times over (a throttled or failed write is the common case): a message whose record
    // never lands is sent again by a retry after the claim window, so each attempt here is one duplicate less.
    const done: Notification = { ...claim, status: 'sent', messageId, sentAt: deps.clock.now().toISOString() };
    // One event, made once: a retried write puts the same outbox item (same event id), which is not published again.
    const announced = NotificationSent.create({ notificationId: claim.notificationId, orderId: order.orderId, template: command.template, channel, messageId }, { occurredAt: deps.clock.now(), actor: command.actor });
    await recordSent(() => deps.notifications.finish(done, [announced]));
    sent++;
  }
  if (inProgress.length > 0) {
    throw new NotificationSendInProgressError(
      `${command.template} about ${command.about} (${inProgress.join(', ')}) is claimed by a send that has not finished; retry after ${Math.ceil(staleAfterMs / 1000)} s, when it is sent unless that send completed`,
    );
  }
  return { sent, skipped };
}

/** Recording a sent message: any failure is tried again, up to 5 writes in all, with the shared jittered pause. */
function recordSent(write: () => Promise<void>): Promise<void> {
  return retryOnConflict(write, { attempts: 5, retryOn: () => true });
}

/** `GET /v1/notifications?orderId=`: what the customer was sent about an order (the outbox locally). */
export async function listNotifications(deps: Pick<NotificationDeps, 'notifications' | 'orders'>, orderId: string): Promise<Notification[]> {
  assertOrderId(orderId);
  if (!(await deps.orders.get(orderId))) throw new NotFoundError(`Order ${orderId} does not exist`);
  return deps.notifications.forOrder(orderId);
}

/** What a published event tells the customer, if anything (the rules that target notifyCustomer). */
export function notificationForEvent(event: { detailType: string; eventId: string; data: Record<string, unknown> }):
  | { orderId: string; template: NotificationTemplate; about: string; context: NotificationContext }
  | undefined {
  const data = event.data;
  const orderId = String((data['order'] as { orderId?: string } | undefined)?.orderId ?? data['orderId'] ?? '');
  switch (event.detailType) {
    case OrderBackordered.detailType:
      return data['held'] === true ? undefined : { orderId, template: 'backordered', about: event.eventId, context: { shortages: data['shortages'] as NotificationContext['shortages'] } };
    case OrderCancelled.detailType:
      return { orderId, template: 'cancelled', about: orderId, context: { reason: String(data['reason'] ?? '') } };
    case ShipmentTrackingUpdated.detailType:
      return data['status'] === 'out_for_delivery'
        ? { orderId, template: 'out_for_delivery', about: String(data['shipmentId']), context: { shipmentId: String(data['shipmentId']) } }
        : undefined;
    case ShipmentDelivered.detailType:
      return { orderId, template: 'delivered', about: String(data['shipmentId']), context: { shipmentId: String(data['shipmentId']) } };
    case RefundIssued.detailType:
      // One message per refund, whatever the event's redeliveries.
      return { orderId, template: 'refund_issued', about: String(data['refundId']), context: { amount: Number(data['amount']), currency: String(data['currency']), refundStatus: String(data['status']), ...(typeof data['storeCreditCode'] === 'string' ? { storeCreditCode: data['storeCreditCode'] } : {}) } };
    default:
      return undefined;
  }
}

/** Adds what the shipment knows (carrier, tracking link, lines, estimated delivery) to a message about it. */
export async function withShipment(deps: Pick<NotificationDeps, 'fulfillments'>, context: NotificationContext): Promise<NotificationContext> {
  if (!context.shipmentId) return context;
  const fulfillment = await deps.fulfillments.get(context.shipmentId).catch(() => undefined);
  if (!fulfillment) return context;
  return {
    ...context,
    lines: fulfillment.lines,
    ...(fulfillment.carrier
      ? {
          carrierId: fulfillment.carrier.carrierId,
          trackingNumber: fulfillment.carrier.trackingNumber,
          trackingUrl: fulfillment.carrier.trackingUrl,
          estimatedDelivery: fulfillment.carrier.estimatedDelivery,
        }
      : {}),
  };
}

/**
 * `GET /v1/notifications/templates/{type}/preview?locale=`: a template
 * rendered with invented sample data. A locale without wording falls back
 * (to the merchant's default, then English) and says so in `fallbackFrom`;
 * a value that is not a language tag at all is a 422.
 */
export function previewTemplate(
  messages: { sender: Sender; defaultLocale: string },
  type: string,
  requested: string | undefined,
): RenderedEmail & { fallbackFrom?: string; supportedLocales: string[] } {
  const template = NotificationTemplates.safeParse(type);
  if (!template.success) throw new NotFoundError(`There is no message template ${type}; templates: ${NotificationTemplates.options.join(', ')}`);
  if (requested !== undefined && !isLocale(requested)) {
    throw new ValidationError('locale is not a language tag', [{ in: 'query', path: 'locale', message: 'Expected a BCP 47 language tag such as en, de-DE or fr', code: 'invalid_locale' }]);
  }
  const { locale, fellBack } = resolveLocale(requested, messages.defaultLocale);
  const sample = sampleMessage(template.data);
  const rendered = renderEmail(template.data, sample.order, sample.context, locale, messages.sender);
  return { ...rendered, ...(requested !== undefined && fellBack ? { fallbackFrom: requested } : {}), supportedLocales: [...supportedLocales] };
}
