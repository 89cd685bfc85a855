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

/**
 * Customer messages, one item per (template, what it is about, channel) in
 * the order's partition. The claim is a conditional put: it succeeds once, or
 * again only when an earlier claim failed or went stale (a sender that
 * crashed mid-send), so a redelivered event never sends a second message.
 */
export class DynamoNotificationRepository implements NotificationRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async claim(notification: Notification, staleAfterMs: number, now: Date): Promise<'claimed' | 'sent' | 'in_progress'> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...this.#key(notification), [table.entityAttribute]: 'Notification', ...notification },
          ConditionExpression: `attribute_not_exists(${table.partitionKey}) OR #status = :failed OR (#status = :sending AND createdAt < :stale)`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':sending': 'sending', ':stale': new Date(now.getTime() - staleAfterMs).toISOString() },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item?.['status']?.S === 'sent' ? 'sent' : 'in_progress';
    }
  }

  async finish(notification: Notification, events: OutboxEvent[]): Promise<void> {
    await this.#db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.#tableName, Item: { ...this.#key(notification), [table.entityAttribute]: 'Notification', ...notification } } },
          // A sent e-mail is found again by its SES message id when SES reports a bounce or complaint about it.
          ...[sentMailPut(this.#tableName, notification)].filter((item) => item !== undefined),
          ...events.map((event) => outboxPut(this.#tableName, event)),
        ],
      }),
    );
  }

  async forOrder(orderId: string): Promise<Notification[]> {
    const found = (await queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.notificationPrefix)).map((item) => Notification.parse(inCurrentShape(entityOf(item))));
    return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.notificationId.localeCompare(b.notificationId));
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
