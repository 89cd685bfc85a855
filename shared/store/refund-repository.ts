import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { isTransientAwsError } from '#shared/adapters/aws-clients.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { CreditNote, Refund, creditNoteIdOf, pendingRefundDueAt } from '#shared/domain/refund.ts';
import type { StoreCredit } from '#shared/domain/exchange.ts';
import type { RefundPaymentChange, RefundRepository, RefundWrites } from '#shared/ports.ts';
import { conditionFailedAt, entityOf, passedDeadlines, queryIndexAll, queryOrderItems } from './items.ts';
import { keys } from './keys.ts';
import { timelinePut } from './order-repository.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Refunds and credit notes. A refund is one item in its order's partition
 * keyed by its idempotency key, put with `attribute_not_exists` in the same
 * transaction as the payment's refunded total — conditional on the
 * payment's version and on `refunded <= captured` (the limit) — its
 * timeline entries, its events and, when the refund is final, its credit
 * note. Credit notes are numbered like invoices, gap-free per series: the
 * series counter goes from n to n + 1 only if it still reads n, in the
 * same transaction that stores the note.
 *
 * A provider refund is recorded `pending` with a sparse GSI2 entry
 * (`REFUNDPENDING#<hour>`, due a minute after it was recorded); completing
 * or failing it rewrites the item without the entry, so the deadline sweep
 * reads only refunds still pending, hour by hour.
 */
export class DynamoRefundRepository implements RefundRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async byKey(orderId: string, key: string): Promise<Refund | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.refund(orderId, key), ConsistentRead: true }));
    return Item ? Refund.parse(entityOf(Item)) : undefined;
  }

  async forOrder(orderId: string): Promise<Refund[]> {
    const items = await queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.refundPrefix);
    return items.map((item) => Refund.parse(entityOf(item))).sort((a, b) => (a.refundId < b.refundId ? -1 : a.refundId > b.refundId ? 1 : 0));
  }

  async creditNote(creditNoteId: string): Promise<CreditNote | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.creditNote(creditNoteId) }));
    return Item ? CreditNote.parse(entityOf(Item)) : undefined;
  }

  async creditNotesOf(orderId: string): Promise<CreditNote[]> {
    return queryIndexAll(this.#db, {
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.creditNoteByOrderPartition(orderId),
      parse: (e) => CreditNote.parse(e),
      itemKey: (creditNoteId) => ({ ...keys.creditNote(creditNoteId), ...keys.creditNoteByOrder(orderId, creditNoteId) }),
    });
  }

  async record(refund: Refund, payment: RefundPaymentChange | undefined, writes: RefundWrites) {
    const attempt = async (next: Refund) => {
      const items: TransactItem[] = [
        {
          Put: {
            TableName: this.#tableName,
            Item: {
              ...keys.refund(next.orderId, next.key),
              ...(next.status === 'pending' ? keys.pendingRefundDue(pendingRefundDueAt(next.createdAt), next.orderId, next.refundId) : {}),
              [table.entityAttribute]: 'Refund',
              ...next,
            },
            ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
          },
        },
      ];
      if (payment) {
        items.push({
          Put: {
            TableName: this.#tableName,
            Item: { ...keys.payment(payment.next.orderId), [table.entityAttribute]: 'Payment', ...payment.next },
            // The invariant itself, not only the version: the refunded total never passes what was captured (or collected).
            ConditionExpression: '#version = :expected AND #limit >= :refunded',
            ExpressionAttributeNames: { '#version': 'version', '#limit': payment.limit },
            ExpressionAttributeValues: { ':expected': payment.expectedVersion, ':refunded': payment.next.refunded ?? 0 },
          },
        });
      }
      return items;
    };
    try {
      const { refund: stored, creditNote } = await this.#numbered(refund, writes, attempt, (error) => {
        if (conditionFailedAt(error, 0)) return 'exists';
        if (payment && conditionFailedAt(error, 1)) return 'payment';
        return undefined;
      });
      return { outcome: 'recorded' as const, refund: stored, creditNote };
    } catch (error) {
      if (error instanceof RefundKeyTaken) {
        const first = await this.byKey(refund.orderId, refund.key);
        if (!first) throw new ConcurrentModificationError(`The refund ${refund.key} of order ${refund.orderId} is being written`);
        return { outcome: 'exists' as const, refund: first, creditNote: first.creditNoteId ? await this.creditNote(first.creditNoteId) : undefined };
      }
      throw error;
    }
  }

  async complete(refund: Refund, writes: RefundWrites) {
    const attempt = async (next: Refund) => [
      {
        Put: {
          TableName: this.#tableName,
          Item: { ...keys.refund(next.orderId, next.key), [table.entityAttribute]: 'Refund', ...next },
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        },
      } satisfies TransactItem,
    ];
    return this.#numbered(refund, writes, attempt, (error) => (conditionFailedAt(error, 0) ? 'payment' : undefined));
  }

  async fail(refund: Refund, payment: RefundPaymentChange | undefined, writes: RefundWrites) {
    const attempt = async (next: Refund) => {
      const items: TransactItem[] = [
        {
          Put: {
            TableName: this.#tableName,
            Item: { ...keys.refund(next.orderId, next.key), [table.entityAttribute]: 'Refund', ...next },
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'pending' },
          },
        },
      ];
      if (payment) {
        items.push({
          Put: {
            TableName: this.#tableName,
            Item: { ...keys.payment(payment.next.orderId), [table.entityAttribute]: 'Payment', ...payment.next },
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': payment.expectedVersion },
          },
        });
      }
      return items;
    };
    const { refund: stored } = await this.#numbered(refund, writes, attempt, (error) => (conditionFailedAt(error, 0) || (payment && conditionFailedAt(error, 1)) ? 'payment' : undefined));
    return { refund: stored };
  }

  async pendingDue(now: Date, hoursBack: number): Promise<Refund[]> {
    const items = await passedDeadlines(this.#db, { tableName: this.#tableName, index: 'GSI2', partitionOf: keys.pendingRefundDuePartition, now, hoursBack });
    return items.map((item) => Refund.parse(entityOf(item))).filter((refund) => refund.status === 'pending');
  }

  async postpone(refund: Refund, dueAt: string): Promise<boolean> {
    const due = keys.pendingRefundDue(dueAt, refund.orderId, refund.refundId);
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.refund(refund.orderId, refund.key),
          UpdateExpression: 'SET #gsiPk = :gsiPk, #gsiSk = :gsiSk',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#gsiPk': table.indexes.GSI2.partitionKey, '#gsiSk': table.indexes.GSI2.sortKey, '#status': 'status' },
          ExpressionAttributeValues: { ':gsiPk': due.GSI2PK, ':gsiSk': due.GSI2SK, ':pending': 'pending' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Writes the refund with what goes with it; a credit note takes the next
   * number of its series in the same transaction (retried with the next
   * number when another note took it).
   */
  async #numbered(
    refund: Refund,
    writes: RefundWrites,
    build: (refund: Refund, creditNote: CreditNote | undefined) => Promise<TransactItem[]>,
    classify: (error: unknown) => 'exists' | 'payment' | undefined,
  ): Promise<{ refund: Refund; creditNote?: CreditNote | undefined }> {
    for (let attempt = 1; attempt <= 20; attempt++) {
      let creditNote: CreditNote | undefined;
      let counterItem: TransactItem | undefined;
      if (writes.creditNote) {
        const { series, draft } = writes.creditNote;
        const { Item: counter } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.creditNoteCounter(series), ConsistentRead: true }));
        const last = Number(counter?.['last'] ?? 0);
        const number = last + 1;
        creditNote = { ...draft, series, number, creditNoteId: creditNoteIdOf(series, number) };
        counterItem = {
          Put: {
            TableName: this.#tableName,
            Item: { ...keys.creditNoteCounter(series), [table.entityAttribute]: 'CreditNoteCounter', series, last: number },
            ConditionExpression: last === 0 ? `attribute_not_exists(${table.partitionKey})` : '#last = :last',
            ...(last === 0 ? {} : { ExpressionAttributeNames: { '#last': 'last' }, ExpressionAttributeValues: { ':last': last } }),
          },
        };
      }
      const next: Refund = creditNote ? { ...refund, creditNoteId: creditNote.creditNoteId } : refund;
      const items = [
        ...(await build(next, creditNote)),
        ...(counterItem && creditNote
          ? [
              counterItem,
              {
                Put: {
                  TableName: this.#tableName,
                  Item: { ...keys.creditNote(creditNote.creditNoteId), ...keys.creditNoteByOrder(creditNote.orderId, creditNote.creditNoteId), [table.entityAttribute]: 'CreditNote', ...creditNote },
                  ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
                },
              },
            ]
          : []),
        ...(writes.storeCredit ? [storeCreditPut(this.#tableName, writes.storeCredit(next, creditNote))] : []),
        ...writes.timeline(next, creditNote).map((entry) => timelinePut(this.#tableName, next.orderId, entry)),
        ...writes.events(next, creditNote).map((event) => outboxPut(this.#tableName, event)),
      ];
      try {
        await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
        return { refund: next, creditNote };
      } catch (error) {
        // Throttled is not taken: it goes up as it is (503 / retried by the platform).
        if (!(error instanceof TransactionCanceledException) || isTransientAwsError(error)) throw error;
        const reason = classify(error);
        if (reason === 'exists') throw new RefundKeyTaken();
        if (reason === 'payment') throw new ConcurrentModificationError(`The payment of order ${refund.orderId} changed while refund ${refund.key} was written`);
        // The credit note's number was taken (or a transaction conflict): read the counter again.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
    throw new ConcurrentModificationError(`Could not write refund ${refund.key} of order ${refund.orderId}: too much contention`);
  }
}

class RefundKeyTaken extends Error {}

function storeCreditPut(tableName: string, credit: StoreCredit): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.storeCredit(credit.code), ...keys.storeCreditByEmail(credit.email, credit.issuedAt, credit.code), [table.entityAttribute]: 'StoreCredit', ...credit },
      ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
    },
  };
}
