import * as z from 'zod';
import type { Clock } from '#shared/domain/clock.ts';
import { feedbackMessage, mailFeedbackOf, SnsEnvelope, type EmailSuppression } from '#shared/domain/mail-feedback.ts';
import type { TimelineEntry } from '#shared/domain/order.ts';
import type { MailFeedbackRepository } from '#shared/ports.ts';

export interface MailFeedbackDeps {
  feedback: MailFeedbackRepository;
  clock: Clock;
  /** The SNS topic SES publishes to; notifications of any other topic are refused. */
  topicArn?: string | undefined;
}

export type MailFeedbackOutcome =
  | { outcome: 'recorded'; kind: 'bounce' | 'complaint'; orderId?: string; suppressed: string[] }
  | { outcome: 'duplicate' }
  /** Not a bounce or complaint (a delivery, an SNS subscription message): nothing to do. */
  | { outcome: 'ignored'; reason: string };

/** A body the OMS cannot read as SES feedback: retrying does not help (the queue's dead-letter queue keeps it). */
export class MailFeedbackRejected extends Error {}

/**
 * One SNS notification of SES feedback, as the feedback queue receives it:
 * each bounced or complained recipient goes on the timeline of the order the
 * message was about (found by the SES message id the OMS stored when it sent
 * the message, or the orderId tag event publishing carries), and a permanent
 * bounce or a complaint suppresses the address, all in one transaction that
 * is conditional on the SNS MessageId, so a redelivery records nothing twice.
 */
export async function recordMailFeedback(deps: MailFeedbackDeps, body: string): Promise<MailFeedbackOutcome> {
  let envelope: SnsEnvelope;
  let message: unknown;
  try {
    envelope = SnsEnvelope.parse(JSON.parse(body));
    if (envelope.Type !== 'Notification') return { outcome: 'ignored', reason: `SNS ${envelope.Type} message` };
    message = JSON.parse(envelope.Message);
  } catch (error) {
    throw new MailFeedbackRejected(`Not an SNS notification: ${error instanceof z.ZodError ? z.prettifyError(error) : String(error)}`);
  }
  if (deps.topicArn && envelope.TopicArn !== deps.topicArn) throw new MailFeedbackRejected(`Notification from topic ${envelope.TopicArn}, expected ${deps.topicArn}`);
  let feedback: ReturnType<typeof mailFeedbackOf>;
  try {
    feedback = mailFeedbackOf(message);
  } catch (error) {
    throw new MailFeedbackRejected(`Not an SES notification: ${error instanceof z.ZodError ? z.prettifyError(error) : String(error)}`);
  }
  if (!feedback) return { outcome: 'ignored', reason: 'Neither a bounce nor a complaint' };

  const sent = await deps.feedback.sentMessage(feedback.sesMessageId);
  const orderId = sent?.orderId ?? feedback.taggedOrderId;
  const recordedAt = deps.clock.now().toISOString();
  const timeline: TimelineEntry[] = feedback.recipients.map((recipient) => ({
    at: recordedAt,
    type: feedback.kind === 'bounce' ? 'email_bounced' : 'email_complaint',
    actor: 'ses',
    message: feedbackMessage(feedback, recipient, sent?.template),
    data: {
      recipient: recipient.email,
      kind: feedback.kind,
      type: feedback.type,
      ...(feedback.subType ? { subType: feedback.subType } : {}),
      ...(recipient.detail ? { detail: recipient.detail } : {}),
      sesMessageId: feedback.sesMessageId,
      ...(sent ? { notificationId: sent.notificationId, template: sent.template } : {}),
      reportedAt: feedback.at,
      suppressed: feedback.suppress,
    },
  }));
  const suppressions: EmailSuppression[] = feedback.suppress
    ? feedback.recipients.map((recipient) => ({
        email: recipient.email,
        reason: feedback.kind,
        detail: `${feedback.type}${feedback.subType ? `/${feedback.subType}` : ''}${recipient.detail ? `: ${recipient.detail}` : ''}`.slice(0, 1000),
        ...(orderId ? { orderId } : {}),
        sesMessageId: feedback.sesMessageId,
        since: feedback.at,
      }))
    : [];
  const outcome = await deps.feedback.record(envelope.MessageId, { orderId, timeline, suppressions });
  if (outcome === 'duplicate') return { outcome };
  return { outcome, kind: feedback.kind, ...(orderId ? { orderId } : {}), suppressed: suppressions.map((s) => s.email) };
}
