import * as z from 'zod';
import { Timestamp } from './common.ts';

/**
 * What SES tells us about a message after it left: bounces and complaints,
 * published to an SNS topic and delivered to the OMS through an SQS queue
 * (docs/notifications.md). A permanent bounce or a complaint suppresses the
 * address for every later message; a transient (or undetermined) bounce is
 * only written on the order's timeline.
 */

/** The SNS notification as an SQS subscription without raw delivery receives it (the same JSON as an HTTPS delivery). */
export const SnsEnvelope = z.looseObject({
  Type: z.string(),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().min(1),
  Message: z.string(),
  Timestamp: z.string(),
});
export type SnsEnvelope = z.infer<typeof SnsEnvelope>;

const Recipient = z.looseObject({ emailAddress: z.string().min(3).max(320), diagnosticCode: z.string().optional(), status: z.string().optional(), action: z.string().optional() });

/** SES's notification (identity notifications say `notificationType`, configuration-set event publishing `eventType`). */
export const SesNotification = z.looseObject({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  mail: z.looseObject({
    messageId: z.string().min(1),
    destination: z.array(z.string()).optional(),
    /** Event publishing only: the message's tags (the OMS tags orderId and template). */
    tags: z.record(z.string(), z.array(z.string())).optional(),
  }),
  bounce: z
    .looseObject({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: z.array(Recipient).min(1),
      timestamp: z.string(),
      feedbackId: z.string().optional(),
    })
    .optional(),
  complaint: z
    .looseObject({
      complainedRecipients: z.array(Recipient).min(1),
      complaintFeedbackType: z.string().optional(),
      complaintSubType: z.string().nullish(),
      timestamp: z.string(),
      feedbackId: z.string().optional(),
    })
    .optional(),
});
export type SesNotification = z.infer<typeof SesNotification>;

/** An address no customer message goes to any more, and why. */
export const EmailSuppression = z
  .object({
    email: z.string().meta({ description: 'Lower case.' }),
    reason: z.enum(['bounce', 'complaint']),
    detail: z.string().max(1000).optional().meta({ description: 'The bounce type and the receiving server\'s answer, or the complaint\'s feedback type.' }),
    orderId: z.string().optional().meta({ description: 'The order whose message bounced or was complained about.' }),
    sesMessageId: z.string(),
    since: Timestamp,
  })
  .meta({ id: 'EmailSuppression' });
export type EmailSuppression = z.infer<typeof EmailSuppression>;

export interface MailFeedback {
  kind: 'bounce' | 'complaint';
  /** Permanent, Transient or Undetermined (bounces); the feedback type (complaints). */
  type: string;
  subType?: string | undefined;
  sesMessageId: string;
  at: string;
  recipients: { email: string; detail?: string | undefined }[];
  /** Permanent bounces and complaints: the address gets no more messages. */
  suppress: boolean;
  /** Event publishing carries the message's tags: the order it was about. */
  taggedOrderId?: string | undefined;
}

/**
 * The bounce or complaint an SES notification reports, or undefined for the
 * other kinds (Delivery, Send, Open…), which the OMS does not act on. Throws
 * a ZodError for a body that is not an SES notification.
 */
export function mailFeedbackOf(message: unknown): MailFeedback | undefined {
  const n = SesNotification.parse(message);
  const kind = n.notificationType ?? n.eventType;
  const taggedOrderId = n.mail.tags?.['orderId']?.[0];
  if (kind === 'Bounce' && n.bounce) {
    return {
      kind: 'bounce',
      type: n.bounce.bounceType,
      subType: n.bounce.bounceSubType,
      sesMessageId: n.mail.messageId,
      at: validTime(n.bounce.timestamp),
      recipients: n.bounce.bouncedRecipients.map((r) => ({ email: r.emailAddress.toLowerCase(), detail: r.diagnosticCode ?? r.status })),
      suppress: n.bounce.bounceType === 'Permanent',
      taggedOrderId,
    };
  }
  if (kind === 'Complaint' && n.complaint) {
    return {
      kind: 'complaint',
      type: n.complaint.complaintFeedbackType ?? 'complaint',
      subType: n.complaint.complaintSubType ?? undefined,
      sesMessageId: n.mail.messageId,
      at: validTime(n.complaint.timestamp),
      recipients: n.complaint.complainedRecipients.map((r) => ({ email: r.emailAddress.toLowerCase() })),
      // A complaint SES marked OnAccountSuppressionList was never delivered: still, the customer does not want our mail.
      suppress: true,
      taggedOrderId,
    };
  }
  return undefined;
}

function validTime(value: string): string {
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? new Date(0).toISOString() : time.toISOString();
}

/** The timeline line of one recipient's bounce or complaint. */
export function feedbackMessage(feedback: MailFeedback, recipient: { email: string; detail?: string | undefined }, template: string | undefined): string {
  const what = template ? `The ${template.replaceAll('_', ' ')} e-mail to ${recipient.email}` : `An e-mail to ${recipient.email}`;
  const outcome = feedback.suppress ? ' The address gets no more messages.' : ' Later messages are still sent.';
  if (feedback.kind === 'complaint') return `${what} was reported as spam (${feedback.type}).${outcome}`;
  return `${what} bounced (${feedback.type}${feedback.subType ? `/${feedback.subType}` : ''})${recipient.detail ? `: ${recipient.detail}` : ''}.${outcome}`;
}
