import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { EmailSuppression } from '#shared/domain/mail-feedback.ts';
import type { Notification } from '#shared/domain/notification.ts';
import type { TimelineEntry } from '#shared/domain/order.ts';
import type { MailFeedbackRepository } from '#shared/ports.ts';
import { entityOf } from './items.ts';
import { keys } from './keys.ts';
import { timelinePut, type TransactItem } from './order-repository.ts';
import { table } from './table.ts';

/** Complaints can come weeks after the message; a year covers every feedback loop we know of. */
const SENT_MAIL_RETENTION_SECONDS = 365 * 24 * 3600;
/** SNS retries a delivery for at most days (and SQS keeps it 4): 30 days of dedupe is plenty. */
const FEEDBACK_RETENTION_SECONDS = 30 * 24 * 3600;

/** The item that maps an SES message id back to its order and message, written in the same transaction as the sent message. */
export function sentMailPut(tableName: string, notification: Notification): TransactItem | undefined {
  if (notification.channel !== 'email' || notification.status !== 'sent' || !notification.messageId) return undefined;
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.sentMail(notification.messageId),
        [table.entityAttribute]: 'SentMail',
        orderId: notification.orderId,
        template: notification.template,
        notificationId: notification.notificationId,
        [table.ttlAttribute]: Math.floor(Date.parse(notification.sentAt ?? notification.createdAt) / 1000) + SENT_MAIL_RETENTION_SECONDS,
      },
    },
  };
}

export class DynamoMailFeedbackRepository implements MailFeedbackRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async suppression(email: string): Promise<EmailSuppression | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.emailSuppression(email), ConsistentRead: true }));
    return Item ? EmailSuppression.parse(entityOf(Item)) : undefined;
  }

  async sentMessage(sesMessageId: string): Promise<{ orderId: string; template: string; notificationId: string } | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.sentMail(sesMessageId) }));
    if (!Item) return undefined;
    return { orderId: String(Item['orderId']), template: String(Item['template']), notificationId: String(Item['notificationId']) };
  }

  async record(snsMessageId: string, writes: { orderId?: string | undefined; timeline: TimelineEntry[]; suppressions: EmailSuppression[] }): Promise<'recorded' | 'duplicate'> {
    const now = Math.floor(Date.now() / 1000);
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.#tableName,
          Item: { ...keys.mailFeedback(snsMessageId), [table.entityAttribute]: 'MailFeedback', snsMessageId, ...(writes.orderId ? { orderId: writes.orderId } : {}), [table.ttlAttribute]: now + FEEDBACK_RETENTION_SECONDS },
          ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
        },
      },
      ...(writes.orderId ? writes.timeline.map((entry) => timelinePut(this.#tableName, writes.orderId as string, entry)) : []),
      // One suppression per address (a batched notice may name one twice); a later one replaces the earlier reason.
      ...[...new Map(writes.suppressions.map((s) => [s.email.toLowerCase(), s])).values()].map(
        (s): TransactItem => ({ Put: { TableName: this.#tableName, Item: { ...keys.emailSuppression(s.email), [table.entityAttribute]: 'EmailSuppression', ...s } } }),
      ),
    ];
    try {
      await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
      return 'recorded';
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return 'duplicate';
      throw error;
    }
  }
}
