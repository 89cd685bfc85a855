import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { Fulfillment, OPEN_FULFILLMENT, orderIdOfFulfillment } from '#shared/domain/fulfillment.ts';
import { Payment } from '#shared/domain/payment.ts';
import type { FulfillmentRepository, OrderWrites, Page, PageRequest } from '#shared/ports.ts';
import { entityOf, passedDeadlines, queryIndexPage, queryOrderItems } from './items.ts';
import { keys } from './keys.ts';
import { orderHeaderPut, timelinePut, type TransactItem } from './order-repository.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

/**
 * A fulfillment item: in the order's partition; while open it is in its
 * location's work queue (GSI1), and while it waits for acceptance in the
 * timeout sweep's index (GSI2). Sparse indexes: a fulfillment that is no
 * longer open (shipped, delivered, rejected, timed out, cancelled) leaves
 * both by not carrying their attributes.
 */
export function fulfillmentPut(tableName: string, record: Fulfillment, expectedVersion: number | null): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.fulfillment(record.orderId, record.fulfillmentId),
        ...(OPEN_FULFILLMENT.includes(record.status) ? keys.openFulfillment(record.locationId, record.createdAt, record.fulfillmentId) : {}),
        ...(record.status === 'created' ? keys.acceptDue(record.acceptBy, record.fulfillmentId) : {}),
        [table.entityAttribute]: 'Fulfillment',
        ...record,
      },
      ...(expectedVersion === null
        ? { ConditionExpression: `attribute_not_exists(${table.partitionKey})` }
        : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
    },
  };
}

function writesOf(tableName: string, orderId: string, writes: OrderWrites): TransactItem[] {
  return [
    ...(writes.order ? [orderHeaderPut(tableName, writes.order.next, writes.order.expectedVersion)] : []),
    ...writes.timeline.map((entry) => timelinePut(tableName, orderId, entry)),
    ...writes.events.map((event) => outboxPut(tableName, event)),
  ];
}

export class DynamoFulfillmentRepository implements FulfillmentRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(fulfillmentId: string): Promise<Fulfillment | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.fulfillment(orderIdOfFulfillment(fulfillmentId), fulfillmentId), ConsistentRead: true }),
    );
    return Item ? Fulfillment.parse(entityOf(Item)) : undefined;
  }

  async forOrder(orderId: string): Promise<Fulfillment[]> {
    const found = (await queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.fulfillmentPrefix)).map((item) => Fulfillment.parse(entityOf(item)));
    // F2 after F1, F10 after F9.
    return found.sort((a, b) => Number(a.fulfillmentId.split('-F')[1]) - Number(b.fulfillmentId.split('-F')[1]));
  }

  openAt(locationId: string, page: PageRequest): Promise<Page<Fulfillment>> {
    return queryIndexPage(this.#db, {
      ...page,
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.openFulfillmentPartition(locationId),
      parse: (entity) => Fulfillment.parse(entity),
      // `<createdAt>#<fulfillmentId>`; the fulfillment id names its order.
      itemKey: (sortKey) => {
        const [createdAt, fulfillmentId] = sortKey.split('#');
        if (!createdAt || !fulfillmentId || sortKey.split('#').length !== 2) return undefined;
        return { ...keys.fulfillment(orderIdOfFulfillment(fulfillmentId), fulfillmentId), ...keys.openFulfillment(locationId, createdAt, fulfillmentId) };
      },
    });
  }

  async acceptanceOverdue(now: Date, hoursBack: number): Promise<{ fulfillmentId: string; acceptBy: string }[]> {
    const items = await passedDeadlines(this.#db, { tableName: this.#tableName, index: 'GSI2', partitionOf: keys.acceptDuePartition, now, hoursBack });
    return items.map((item) => ({ fulfillmentId: String(item['fulfillmentId']), acceptBy: String(item['acceptBy']) }));
  }

  async byTrackingNumber(carrierId: string, trackingNumber: string): Promise<string | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.trackingNumber(carrierId, trackingNumber) }));
    return Item?.['fulfillmentId'] as string | undefined;
  }

  async create(fulfillments: Fulfillment[], writes: OrderWrites): Promise<void> {
    const orderId = fulfillments[0]?.orderId ?? writes.order?.next.orderId ?? '';
    const items: TransactItem[] = [
      ...fulfillments.map((f) => fulfillmentPut(this.#tableName, f, null)),
      ...fulfillments.flatMap((f) =>
        f.carrier
          ? [
              {
                Put: {
                  TableName: this.#tableName,
                  Item: {
                    ...keys.trackingNumber(f.carrier.carrierId, f.carrier.trackingNumber),
                    [table.entityAttribute]: 'TrackingNumber',
                    fulfillmentId: f.fulfillmentId,
                    orderId: f.orderId,
                  },
                },
              },
            ]
          : [],
      ),
      ...writesOf(this.#tableName, orderId, writes),
    ];
    await this.#transact(items, `Order ${orderId} changed while its fulfillments were created`);
  }

  async update(fulfillment: Fulfillment, expectedVersion: number, writes: OrderWrites): Promise<void> {
    await this.#transact(
      [fulfillmentPut(this.#tableName, fulfillment, expectedVersion), ...writesOf(this.#tableName, fulfillment.orderId, writes)],
      `Fulfillment ${fulfillment.fulfillmentId} was changed by another request`,
    );
  }

  async payment(orderId: string): Promise<Payment | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.payment(orderId), ConsistentRead: true }));
    return Item ? Payment.parse(entityOf(Item)) : undefined;
  }

  async savePayment(payment: Payment, expectedVersion: number | null, writes: OrderWrites): Promise<void> {
    await this.#transact(
      [
        {
          Put: {
            TableName: this.#tableName,
            Item: { ...keys.payment(payment.orderId), [table.entityAttribute]: 'Payment', ...payment },
            ...(expectedVersion === null
              ? { ConditionExpression: `attribute_not_exists(${table.partitionKey})` }
              : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
          },
        },
        ...writesOf(this.#tableName, payment.orderId, writes),
      ],
      `The payment of order ${payment.orderId} was changed by another request`,
    );
  }

  async #transact(items: TransactItem[], conflict: string): Promise<void> {
    try {
      await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        if (reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) throw new ConcurrentModificationError(conflict);
      }
      throw error;
    }
  }
}
