import { TransactWriteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { OutboxEvent } from '#events/define.ts';
import { Notification } from '#shared/domain/notification.ts';
import type { NotificationRepository } from '#shared/ports.ts';
import { entityOf, queryOrderItems } from './items.ts';
import { keys } from './keys.ts';
import { sentMailPut } from './mail-feedback-repository.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

/** Message bodies are kept 90 days by default (enough to answer "what did you send me?"): NOTIFICATION_BODY_RETENTION_DAYS. */
export const DEFAULT_BODY_RETENTION_DAYS = 90;

/** What is personal or the message itself: kept on the body item (which expires), never on the claim (which stays). */
const BODY_ATTRIBUTES = ['to', 'subject', 'body'] as const;

/**
 * Customer messages, two items per (template, what it is about, channel) in
 * the order's partition. The claim is a conditional put: it succeeds once, or
 * again only when an earlier claim failed or went stale (a sender that
 * crashed mid-send), so a redelivered event never sends a second message.
 * The claim holds no personal data and never expires: it is the proof that
 * the message was sent. The recipient, subject and body are a second item,
 * written in the same transaction as the outcome, which expires (TTL)
 * NOTIFICATION_BODY_RETENTION_DAYS after the message.
 */
export class DynamoNotificationRepository implements NotificationRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #bodyRetentionDays: number;

  /** `bodyRetentionDays`: a message's recipient, subject and body expire this long after it was sent (TTL); its claim stays. */
  constructor(db: DynamoDBDocumentClient, tableName: string, options: { bodyRetentionDays?: number } = {}) {
    this.#db = db;
    this.#tableName = tableName;
    this.#bodyRetentionDays = options.bodyRetentionDays ?? DEFAULT_BODY_RETENTION_DAYS;
  }

  async claim(notification: Notification, staleAfterMs: number, now: Date): Promise<'claimed' | 'sent' | 'in_progress'> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: this.#claimItem(notification),
          ConditionExpression: `attribute_not_exists(${table.partitionKey}) OR #status = :failed OR (#status = :sending AND createdAt < :stale)`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':sending': 'sending', ':stale': new Date(now.getTime() - staleAfterMs).toISOString() },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Sent or suppressed: nothing more to do. Still `sending`: a sender at work, or one that crashed less than `staleAfterMs` ago.
      const status = error.Item?.['status']?.S;
      return status === undefined || status === 'sending' ? 'in_progress' : 'sent';
    }
  }

  async finish(notification: Notification, events: OutboxEvent[]): Promise<void> {
    await this.#db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.#tableName, Item: this.#claimItem(notification) } },
          { Put: { TableName: this.#tableName, Item: this.#bodyItem(notification) } },
          // A sent e-mail is found again by its SES message id when SES reports a bounce or complaint about it.
          ...[sentMailPut(this.#tableName, notification)].filter((item) => item !== undefined),
          ...events.map((event) => outboxPut(this.#tableName, event)),
        ],
      }),
    );
  }

  async forOrder(orderId: string): Promise<Notification[]> {
    const items = await queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.notificationPrefix);
    const bodies = new Map(items.filter((item) => item[table.entityAttribute] === 'NotificationBody').map((item) => [String(item[table.sortKey]), item]));
    const now = Math.floor(Date.now() / 1000);
    const found = items
      .filter((item) => item[table.entityAttribute] !== 'NotificationBody')
      .map((item) => {
        const claim = inCurrentShape(entityOf(item));
        // Claims written before bodies had their own item still hold theirs.
        if (typeof claim['body'] === 'string') return Notification.parse(claim);
        const body = bodies.get(`${String(item[table.sortKey])}#BODY`);
        // TTL deletes an expired item within days, not at once: past its time it is read as gone.
        if (body && Number(body[table.ttlAttribute]) > now) {
          return Notification.parse({ ...claim, ...Object.fromEntries(BODY_ATTRIBUTES.filter((name) => typeof body[name] === 'string').map((name) => [name, body[name]])) });
        }
        return Notification.parse({ ...claim, ...(claim['status'] === 'sending' ? {} : { bodyExpired: true }) });
      });
    return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.notificationId.localeCompare(b.notificationId));
  }

  /** The claim: what was sent, when, and its outcome, without the recipient or the text. */
  #claimItem(notification: Notification): Record<string, unknown> {
    const { to: _to, subject: _subject, body: _body, bodyExpired: _expired, ...claim } = notification;
    return { ...this.#key(notification), [table.entityAttribute]: 'Notification', ...claim };
  }

  /** The recipient, subject and body, expiring NOTIFICATION_BODY_RETENTION_DAYS after the message was sent (or failed). */
  #bodyItem(notification: Notification): Record<string, unknown> {
    const at = Date.parse(notification.sentAt ?? notification.createdAt);
    return {
      ...keys.notificationBody(notification.orderId, notification.template, notification.about, notification.channel),
      [table.entityAttribute]: 'NotificationBody',
      notificationId: notification.notificationId,
      ...Object.fromEntries(BODY_ATTRIBUTES.filter((name) => notification[name] !== undefined).map((name) => [name, notification[name]])),
      [table.ttlAttribute]: Math.floor(at / 1000) + this.#bodyRetentionDays * 86_400,
    };
  }

  #key(n: Notification) {
    return keys.notification(n.orderId, n.template, n.about, n.channel);
  }
}

/**
 * Items written before `about` existed held it in `subject`, and the e-mail
 * subject line in `title`. Their key was built from the same value, so a
 * message claimed in the old shape is still found, and never sent again.
 */
function inCurrentShape(item: Record<string, unknown>): Record<string, unknown> {
  if ('about' in item) return item;
  const { subject, title, ...rest } = item;
  return { ...rest, about: subject, ...(title === undefined ? {} : { subject: title }) };
}
