import * as z from 'zod';
import { Timestamp } from './common.ts';
import { formatMoney } from './money.ts';
import type { Order } from './order.ts';

/**
 * Messages to the customer. Each is keyed by what caused it (template +
 * what it is about, e.g. `shipped` + the shipment id), and that key is
 * claimed with a conditional write before anything is sent: a retried
 * workflow step or a redelivered event finds the claim and sends nothing.
 */

export const NotificationTemplate = z.enum(['order_confirmed', 'backordered', 'shipped', 'out_for_delivery', 'delivered', 'cancelled', 'return_approved', 'return_received', 'refund_issued', 'exchange_shipped']);
export type NotificationTemplate = z.infer<typeof NotificationTemplate>;

export const NotificationChannel = z.enum(['email', 'sms']);
export type NotificationChannel = z.infer<typeof NotificationChannel>;

export const Notification = z
  .object({
    notificationId: z.string(),
    orderId: z.string(),
    template: NotificationTemplate,
    channel: NotificationChannel,
    about: z.string().meta({
      description: 'What caused the message: the order id, a shipment id, or the event of a backorder. With `template` and `channel` it makes the message exactly-once.',
    }),
    to: z.string().optional().meta({ description: 'The address or phone number. Absent once the body expired (`bodyExpired`), and while the message is still `sending`.' }),
    subject: z.string().optional().meta({ description: 'The e-mail\'s subject line (e-mail only).' }),
    body: z.string().optional().meta({ description: 'The text sent. Absent once it expired (`bodyExpired`), and while the message is still `sending`.' }),
    bodyExpired: z.boolean().optional().meta({
      description: 'True when the recipient, subject and body were removed after NOTIFICATION_BODY_RETENTION_DAYS (docs/security.md); the record that the message was sent stays.',
    }),
    status: z.enum(['sending', 'sent', 'failed', 'suppressed']).meta({
      description: '`suppressed`: not sent, because the address bounced for good or complained before (docs/notifications.md).',
    }),
    locale: z.string().optional().meta({ description: 'The language the e-mail was written in (en, de, fr).' }),
    messageId: z.string().optional().meta({ description: 'SES or SNS message id.' }),
    error: z.string().optional(),
    attempts: z.number().int(),
    createdAt: Timestamp,
    sentAt: Timestamp.optional(),
  })
  .meta({ id: 'Notification' });
export type Notification = z.infer<typeof Notification>;

/**
 * A retry found the message claimed by a sender that may still be at work
 * (the claim is younger than the sending function's timeout). Thrown, never
 * swallowed: Lambda retries the invocation (and at last hands it to the
 * on-failure destination, from where a redrive sends it), and a workflow step
 * retries it, until the claim is old enough that its sender is certainly dead.
 */
export class NotificationSendInProgressError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'NotificationSendInProgress';
  }
}

/** A claim may be taken over this long after it was made: the sending function's timeout and a margin for clocks (`seconds`: that timeout). */
export function staleClaimAfterMs(senderTimeoutSeconds: number): number {
  return (senderTimeoutSeconds + 10) * 1000;
}

export interface NotificationContext {
  shipmentId?: string | undefined;
  carrierId?: string | undefined;
  trackingNumber?: string | undefined;
  trackingUrl?: string | undefined;
  estimatedDelivery?: string | undefined;
  shortages?: { sku: string; quantity: number }[] | undefined;
  reason?: string | undefined;
  lines?: { sku: string; quantity: number }[] | undefined;
  /** Refunds: the amount given back, its currency, and how it comes back (a refund's status). */
  amount?: number | undefined;
  currency?: string | undefined;
  refundStatus?: string | undefined;
  /** Store credit: the code a refund was issued as. */
  storeCreditCode?: string | undefined;
  /** Exchanges and reships: the original order's reference and the return or claim. */
  originalOrder?: string | undefined;
  claimId?: string | undefined;
  /** Returns: the RMA, its label's carrier and tracking (trackingNumber, trackingUrl above), where to send it, by when, and each line's condition once received. */
  returnId?: string | undefined;
  returnAddress?: string | undefined;
  receiveBy?: string | undefined;
  conditions?: { sku: string; quantity: number; condition: string }[] | undefined;
  /** Returns: where the customer downloads the return label (a carrier's label document), when there is one. */
  labelUrl?: string | undefined;
}

export interface RenderedMessage {
  /** The e-mail's subject line. */
  subject: string;
  text: string;
  sms: string;
}

/** Messages that make no sense for an order: a pickup is not "shipped", it is collected (delivered). */
export function applies(template: NotificationTemplate, order: Pick<Order, 'fulfillment'>): boolean {
  return !(order.fulfillment.type !== 'ship' && (template === 'shipped' || template === 'out_for_delivery' || template === 'exchange_shipped'));
}

/** Where each channel's message goes, if anywhere: e-mail when there is an address, SMS only with a phone and consent. */
export function recipients(order: Pick<Order, 'customer'>): { channel: NotificationChannel; to: string }[] {
  const out: { channel: NotificationChannel; to: string }[] = [];
  if (order.customer.email) out.push({ channel: 'email', to: order.customer.email });
  if (order.customer.phone && order.customer.smsConsent === true) out.push({ channel: 'sms', to: order.customer.phone });
  return out;
}

export function render(template: NotificationTemplate, order: Pick<Order, 'orderId' | 'channel' | 'customer' | 'lines' | 'fulfillment'>, context: NotificationContext): RenderedMessage {
  const ref = order.channel.externalNumber ?? order.orderId;
  const hello = order.customer.name ? `Hello ${order.customer.name.split(' ')[0]},` : 'Hello,';
  const items = (lines: readonly { sku: string; quantity: number }[]) =>
    lines.map((l) => `  ${l.quantity} × ${order.lines.find((o) => o.sku === l.sku)?.title ?? l.sku}`).join('\n');
  const tracking = context.trackingNumber ? `Tracking: ${context.trackingUrl ?? context.trackingNumber}` : '';
  switch (template) {
    case 'order_confirmed':
      return {
        subject: `Order ${ref} confirmed`,
        text: `${hello}\n\nThank you for your order ${ref}. We are preparing it:\n${items(order.lines)}\n\nWe will write again when it ships.`,
        sms: `Order ${ref} confirmed. We will text you when it ships.`,
      };
    case 'backordered':
      return {
        subject: `Order ${ref}: some items are on backorder`,
        text: `${hello}\n\nSome items of order ${ref} are not in stock right now:\n${items(context.shortages ?? [])}\n\nWe will ship them as soon as they arrive.`,
        sms: `Order ${ref}: some items are on backorder; we ship them when they arrive.`,
      };
    case 'shipped':
      return {
        subject: `Order ${ref} has shipped`,
        text: `${hello}\n\nA parcel of order ${ref} is on its way:\n${items(context.lines ?? [])}\n\n${tracking}${context.estimatedDelivery ? `\nExpected by ${context.estimatedDelivery.slice(0, 10)}.` : ''}`,
        sms: `Order ${ref} shipped. ${tracking}`.trim(),
      };
    case 'out_for_delivery':
      return {
        subject: `Order ${ref} is out for delivery`,
        text: `${hello}\n\nYour parcel of order ${ref} is out for delivery today.\n\n${tracking}`,
        sms: `Order ${ref} is out for delivery today. ${tracking}`.trim(),
      };
    case 'delivered':
      if (order.fulfillment.type !== 'ship') {
        return { subject: `Order ${ref} collected`, text: `${hello}\n\nYou collected order ${ref} at the store. Thank you!`, sms: `Order ${ref} collected. Thank you!` };
      }
      return {
        subject: `Order ${ref} was delivered`,
        text: `${hello}\n\nYour parcel of order ${ref} was delivered. We hope you enjoy it.\n\n${tracking}`,
        sms: `Order ${ref} was delivered.`,
      };
    case 'cancelled':
      return {
        subject: `Order ${ref} was cancelled`,
        text: `${hello}\n\nOrder ${ref} was cancelled${context.reason ? `: ${context.reason}` : ''}. You have not been charged for anything that did not ship.`,
        sms: `Order ${ref} was cancelled.`,
      };
    case 'refund_issued': {
      const amount = context.amount !== undefined && context.currency ? formatMoney(context.amount, context.currency) : 'your refund';
      const how =
        context.refundStatus === 'to_refund_at_channel'
          ? `Your refund of ${amount} will be paid back through ${order.channel.channelId}, where you paid.`
          : context.refundStatus === 'to_refund_manually'
            ? `We will pay back your refund of ${amount} ourselves; we will contact you about how.`
            : context.refundStatus === 'store_credit'
              ? `We issued ${amount} of store credit instead of a refund. Your code: ${context.storeCreditCode ?? ''}`
            : `We refunded ${amount} to your payment method; depending on your bank it shows within a few days.`;
      return {
        subject: `Order ${ref}: refund of ${amount}`,
        text: `${hello}\n\n${how}${context.reason ? `\n\nReason: ${context.reason}` : ''}`,
        sms: `Order ${ref}: refund of ${amount} issued.`,
      };
    }
    case 'exchange_shipped': {
      const what = context.claimId ? `the replacement for the items of order ${context.originalOrder ?? ''} that did not reach you in one piece` : `your exchange for return ${context.returnId ?? ''} of order ${context.originalOrder ?? ''}`;
      return {
        subject: context.claimId ? `Your replacement for order ${context.originalOrder ?? ''} has shipped` : `Your exchange for return ${context.returnId ?? ''} has shipped`,
        text: `${hello}\n\nWe shipped ${what} (order ${ref}):\n${items(context.lines ?? [])}\n\n${tracking}${context.estimatedDelivery ? `\nExpected by ${context.estimatedDelivery.slice(0, 10)}.` : ''}`,
        sms: `${context.claimId ? 'Your replacement' : 'Your exchange'} (order ${ref}) shipped. ${tracking}`.trim(),
      };
    }
    case 'return_approved':
      return {
        subject: `Return ${context.returnId ?? ''} for order ${ref} approved: your label`,
        text: `${hello}\n\nYour return ${context.returnId ?? ''} of order ${ref} is approved:\n${items(context.lines ?? [])}\n\nReturn label: ${context.carrierId ?? 'carrier'} ${context.trackingNumber ?? ''}${context.trackingUrl ? ` (${context.trackingUrl})` : ''}.\nShow the tracking number at any drop-off point, or print the label, and send the parcel to:\n${context.returnAddress ?? ''}${context.receiveBy ? `\n\nPlease send it by ${context.receiveBy.slice(0, 10)}.` : ''}`,
        sms: `Return ${context.returnId ?? ''} of order ${ref} approved. Label: ${context.carrierId ?? ''} ${context.trackingNumber ?? ''}`.trim(),
      };
    case 'return_received':
      return {
        subject: `Return ${context.returnId ?? ''} for order ${ref} received`,
        text: `${hello}\n\nWe received your return ${context.returnId ?? ''} of order ${ref}:\n${(context.conditions ?? []).map((c) => `  ${c.quantity} × ${order.lines.find((o) => o.sku === c.sku)?.title ?? c.sku}: ${c.condition.replaceAll('_', ' ')}`).join('\n')}\n\nWe will write again when your refund is on its way.`,
        sms: `We received your return ${context.returnId ?? ''} of order ${ref}.`,
      };
  }
}
