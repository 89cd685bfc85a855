import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { CustomerOrderRef, ErasureRecord, type CustomerErasure } from '#shared/domain/customer.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import type { CustomerRepository, OrderItem, Page, PageRequest } from '#shared/ports.ts';
import { afterPrefix, decodeCursor, encodeCursor, splitLast } from './cursor.ts';
import { INBOX_ERASED_ENTITY } from './inbox-repository.ts';
import { entityOf, queryAll } from './items.ts';
import { keys } from './keys.ts';
import { table } from './table.ts';

/**
 * The customer index and the erasure audit trail, in the customer's
 * partition `CUSTOMER#<customerId>` (the id is a digest of the e-mail):
 * one `ORDER#<placedAt>#<orderId>` item per order, written in the order's
 * own transaction (order-repository.ts), and the `ERASURE` record.
 * Erasure also rewrites the items of an order's partition, raw.
 */
export class DynamoCustomerRepository implements CustomerRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async orders(customerId: string, page: PageRequest): Promise<Page<CustomerOrderRef>> {
    const partition = keys.customerPartition(customerId);
    const result = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
        ExpressionAttributeValues: { ':pk': partition, ':prefix': keys.customerOrderPrefix },
        ScanIndexForward: false,
        Limit: page.limit,
        ConsistentRead: true,
        ExclusiveStartKey: decodeCursor(page.cursor, {
          attributes: [table.partitionKey, table.sortKey],
          itemKey: ({ SK: sortKey = '' }) => {
            const [placedAt, orderId] = splitLast(afterPrefix(sortKey, keys.customerOrderPrefix) ?? '') ?? [];
            if (!placedAt || !orderId || Number.isNaN(Date.parse(placedAt))) return undefined;
            return { ...keys.customerOrder(customerId, placedAt, orderId) };
          },
        }),
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey);
    return { items: (result.Items ?? []).map((item) => CustomerOrderRef.parse(entityOf(item))), ...(nextCursor ? { nextCursor } : {}) };
  }

  async erasures(customerId: string): Promise<ErasureRecord | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.customerErasure(customerId), ConsistentRead: true }));
    return Item ? ErasureRecord.parse(entityOf(Item)) : undefined;
  }

  async recordErasure(customerId: string, erasure: CustomerErasure, previous: ErasureRecord | undefined): Promise<ErasureRecord> {
    const record: ErasureRecord = {
      customerId,
      erasures: [...(previous?.erasures ?? []), erasure],
      firstErasedAt: previous?.firstErasedAt ?? erasure.erasedAt,
      lastErasedAt: erasure.erasedAt,
    };
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...keys.customerErasure(customerId), [table.entityAttribute]: 'CustomerErasure', ...record },
          ...(previous
            ? { ConditionExpression: 'lastErasedAt = :previous', ExpressionAttributeValues: { ':previous': previous.lastErasedAt } }
            : { ConditionExpression: `attribute_not_exists(${table.partitionKey})` }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConcurrentModificationError(`Customer ${customerId} was erased concurrently`);
      throw error;
    }
    return record;
  }

  async orderItems(orderId: string): Promise<OrderItem[]> {
    const items = await queryAll(this.#db, {
      TableName: this.#tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
      ExpressionAttributeValues: { ':pk': keys.orderPartition(orderId) },
      ConsistentRead: true,
    });
    return items.map((item) => ({ sortKey: String(item[table.sortKey]), item }));
  }

  async rewriteOrderItems(orderId: string, writes: { put: OrderItem[]; remove: string[]; inbox: { channelId: string; deliveryId: string }[] }): Promise<void> {
    const partition = keys.orderPartition(orderId);
    // Versioned items (returns, claims, fulfillments…) are replaced only if unchanged since they were read.
    for (const { sortKey, item } of writes.put) {
      const version = item['version'];
      try {
        await this.#db.send(
          new PutCommand({
            TableName: this.#tableName,
            Item: { ...item, [table.partitionKey]: partition, [table.sortKey]: sortKey },
            ...(typeof version === 'number' ? { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': version } } : {}),
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new ConcurrentModificationError(`An item of order ${orderId} changed while it was being erased`);
        throw error;
      }
    }
    // The inbox items the deliveries were captured from (kept a week) lose their body and headers but keep their key:
    // the same signed body sent again is still a duplicate, and brings nothing personal back. Absent ones are skipped.
    for (const delivery of writes.inbox) {
      try {
        await this.#db.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: keys.inboxDelivery(delivery.channelId, delivery.deliveryId),
            UpdateExpression: 'SET #entity = :erased REMOVE body, headers, correlationId',
            ConditionExpression: `attribute_exists(${table.partitionKey})`,
            ExpressionAttributeNames: { '#entity': table.entityAttribute },
            ExpressionAttributeValues: { ':erased': INBOX_ERASED_ENTITY },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    // The raw sources.
    const deletions = writes.remove.map((sortKey) => ({ [table.partitionKey]: partition, [table.sortKey]: sortKey }));
    for (let i = 0; i < deletions.length; i += 25) {
      let requests: Record<string, unknown>[] = deletions.slice(i, i + 25).map((key) => ({ DeleteRequest: { Key: key } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error(`Could not delete the raw sources of order ${orderId}`);
        const result = await this.#db.send(new BatchWriteCommand({ RequestItems: { [this.#tableName]: requests } }));
        requests = (result.UnprocessedItems?.[this.#tableName] ?? []) as Record<string, unknown>[];
      }
    }
  }
}
