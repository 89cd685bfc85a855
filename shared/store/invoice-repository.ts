import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { isTransientAwsError } from '#shared/adapters/aws-clients.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { Invoice, invoiceIdOf } from '#shared/domain/invoice.ts';
import type { InvoiceRepository } from '#shared/ports.ts';
import type { TimelineEntry } from '#shared/domain/order.ts';
import type { OutboxEvent } from '#events/define.ts';
import { entityOf, queryIndexAll } from './items.ts';
import { keys } from './keys.ts';
import { timelinePut } from './order-repository.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

/**
 * Invoices with gap-free numbers. Issuing is one transaction: the series
 * counter goes from n to n + 1 only if it still reads n, the invoice is put
 * only if its number is new, and the order's "invoice for this subject"
 * guard only if the subject has none. A number is therefore used exactly
 * when an invoice is stored; concurrent issuers retry with the next number.
 */
export class DynamoInvoiceRepository implements InvoiceRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(invoiceId: string): Promise<Invoice | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.invoice(invoiceId) }));
    return Item ? Invoice.parse(entityOf(Item)) : undefined;
  }

  async forOrder(orderId: string): Promise<Invoice[]> {
    return queryIndexAll(this.#db, {
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.invoiceByOrderPartition(orderId),
      parse: (e) => Invoice.parse(e),
      itemKey: (invoiceId) => ({ ...keys.invoice(invoiceId), ...keys.invoiceByOrder(orderId, invoiceId) }),
    });
  }

  async issuedFor(orderId: string, subject: string): Promise<Invoice | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.invoiceFor(orderId, subject), ConsistentRead: true }));
    return Item ? this.get(String(Item['invoiceId'])) : undefined;
  }

  async issue(
    draft: Omit<Invoice, 'invoiceId' | 'number'>,
    subject: string,
    writes: { timeline: (invoice: Invoice) => TimelineEntry[]; events: (invoice: Invoice) => OutboxEvent[] },
  ): Promise<{ outcome: 'issued' | 'exists'; invoice: Invoice }> {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const existing = await this.issuedFor(draft.orderId, subject);
      if (existing) return { outcome: 'exists', invoice: existing };
      const { Item: counter } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.invoiceCounter(draft.series), ConsistentRead: true }));
      const last = Number(counter?.['last'] ?? 0);
      const number = last + 1;
      const invoice: Invoice = { ...draft, invoiceId: invoiceIdOf(draft.series, number), number };
      try {
        await this.#db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.#tableName,
                  Item: { ...keys.invoiceCounter(draft.series), [table.entityAttribute]: 'InvoiceCounter', series: draft.series, last: number },
                  ConditionExpression: last === 0 ? `attribute_not_exists(${table.partitionKey})` : '#last = :last',
                  ...(last === 0 ? {} : { ExpressionAttributeNames: { '#last': 'last' }, ExpressionAttributeValues: { ':last': last } }),
                },
              },
              {
                Put: {
                  TableName: this.#tableName,
                  Item: { ...keys.invoice(invoice.invoiceId), ...keys.invoiceByOrder(invoice.orderId, invoice.invoiceId), [table.entityAttribute]: 'Invoice', ...invoice },
                  ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
                },
              },
              {
                Put: {
                  TableName: this.#tableName,
                  Item: { ...keys.invoiceFor(invoice.orderId, subject), [table.entityAttribute]: 'InvoiceFor', invoiceId: invoice.invoiceId, subject },
                  ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
                },
              },
              ...writes.timeline(invoice).map((entry) => timelinePut(this.#tableName, invoice.orderId, entry)),
              ...writes.events(invoice).map((event) => outboxPut(this.#tableName, event)),
            ],
          }),
        );
        return { outcome: 'issued', invoice };
      } catch (error) {
        // Throttled is not taken: it goes up as it is (503 / retried by the platform).
        if (!(error instanceof TransactionCanceledException) || isTransientAwsError(error)) throw error;
        // Another invoice took the number (or this subject got its invoice): read again and retry.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
    throw new ConcurrentModificationError(`Could not number an invoice in series ${draft.series}: too much contention`);
  }
}
