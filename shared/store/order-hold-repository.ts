import { DeleteCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OutboxEvent } from '#events/define.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import type { Order, TimelineEntry } from '#shared/domain/order.ts';
import type { OrderHoldRepository } from '#shared/ports.ts';
import { conditionFailedAt, passedDeadlines } from './items.ts';
import { keys } from './keys.ts';
import { orderHeaderPut, timelinePut, type TransactItem } from './order-repository.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

/**
 * Holds on orders. A hold is a field of the order header (`fulfillmentHold`),
 * so placing or releasing one rewrites the header only (conditional on its
 * version: of two people acting at once, one wins), never the lines. A hold
 * with `until` also files a small release-date item in the order's
 * partition, indexed by the hour it is due (GSI2 `HOLDUNTIL#<hour>`), written
 * and deleted in the same transaction: the sweep reads only the hours it
 * looks at, and orders without such a hold cost nothing.
 */
export class DynamoOrderHoldRepository implements OrderHoldRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async save(order: Order, writes: { previous: Order; timeline: TimelineEntry[]; events: OutboxEvent[] }): Promise<void> {
    const until = order.fulfillmentHold?.until;
    const before = writes.previous.fulfillmentHold?.until;
    const releaseDate: TransactItem[] = until
      ? [{ Put: { TableName: this.#tableName, Item: { ...keys.holdRelease(order.orderId), ...keys.holdReleaseDue(until, order.orderId), [table.entityAttribute]: 'HoldReleaseDate', orderId: order.orderId, until } } }]
      : before
        ? [{ Delete: { TableName: this.#tableName, Key: keys.holdRelease(order.orderId) } }]
        : [];
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            orderHeaderPut(this.#tableName, order, writes.previous.version),
            ...releaseDate,
            ...writes.timeline.map((entry) => timelinePut(this.#tableName, order.orderId, entry)),
            ...writes.events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new ConcurrentModificationError(`Order ${order.orderId} was changed by another writer`);
      throw error;
    }
  }

  async releasesDue(now: Date, hoursBack: number): Promise<{ orderId: string; until: string }[]> {
    const items = await passedDeadlines(this.#db, { tableName: this.#tableName, index: 'GSI2', partitionOf: keys.holdReleaseDuePartition, now, hoursBack });
    return items.map((item) => ({ orderId: String(item['orderId']), until: String(item['until']) }));
  }

  async dropReleaseDate(orderId: string, until: string): Promise<void> {
    await this.#db
      .send(new DeleteCommand({ TableName: this.#tableName, Key: keys.holdRelease(orderId), ConditionExpression: '#until = :until', ExpressionAttributeNames: { '#until': 'until' }, ExpressionAttributeValues: { ':until': until } }))
      .catch((error: unknown) => {
        // Another hold of the order filed a new date meanwhile: it is not ours to drop.
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      });
  }
}
