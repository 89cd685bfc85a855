import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TimelineEntry } from '#shared/domain/order.ts';
import type { ReconcileRepository, RecordedShipment } from '#shared/ports.ts';
import { timelinePut } from './order-repository.ts';
import { keys } from './keys.ts';
import { table } from './table.ts';

/** At most this many hours of shipments are read per call (the reconciler looks back a day). */
const MAX_HOURS = 48;

/** The reconciler's reads and writes in the single table. */
export class DynamoReconcileRepository implements ReconcileRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async shippedBetween(from: string, to: string): Promise<RecordedShipment[]> {
    const hours: string[] = [];
    for (let t = Date.parse(from.slice(0, 13) + ':00:00.000Z'); t <= Date.parse(to) && hours.length < MAX_HOURS; t += 3_600_000) hours.push(new Date(t).toISOString().slice(0, 13));
    const { partitionKey, sortKey } = table.indexes.GSI2;
    const found: RecordedShipment[] = [];
    for (const hour of hours) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.#db.send(
          new QueryCommand({
            TableName: this.#tableName,
            IndexName: 'GSI2',
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
            ExpressionAttributeValues: { ':pk': keys.shippedPartition(hour), ':from': from, ':to': `${to}~` },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          found.push({
            orderId: String(item['orderId']),
            shipmentId: String(item['shipmentId']),
            locationId: String(item['locationId']),
            lines: item['lines'] as RecordedShipment['lines'],
            shippedAt: String(item['shippedAt']),
          });
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return found;
  }

  async recordRecovery(orderId: string, entry: TimelineEntry): Promise<void> {
    const put = timelinePut(this.#tableName, orderId, entry).Put;
    if (!put) throw new Error('timelinePut builds a Put');
    await this.#db.send(new PutCommand({ TableName: put.TableName, Item: put.Item }));
  }
}
