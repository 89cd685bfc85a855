import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Page, PageRequest } from '#shared/ports.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { table, type IndexName } from './table.ts';

const bookkeeping = new Set<string>([
  table.partitionKey,
  table.sortKey,
  table.entityAttribute,
  table.ttlAttribute,
  ...Object.values(table.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
]);

/** The entity stored in an item, without the table's bookkeeping attributes. */
export function entityOf<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !bookkeeping.has(name))) as T;
}

/** Optimistic concurrency: create only if absent, or update only the version the caller read. */
export function versionCondition(expectedVersion: number | null) {
  return expectedVersion === null
    ? { ConditionExpression: `attribute_not_exists(${table.partitionKey})` }
    : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } };
}

/** One page of one index partition, in sort-key order (or reversed), with a checked cursor. */
export async function queryIndexPage<T>(
  db: DynamoDBDocumentClient,
  request: PageRequest & {
    tableName: string;
    index: IndexName;
    partition: string;
    newestFirst?: boolean;
    /** Turns a stored entity into its domain type (validating it). */
    parse: (entity: unknown) => T;
  },
): Promise<Page<T>> {
  const index = table.indexes[request.index];
  const result = await db.send(
    new QueryCommand({
      TableName: request.tableName,
      IndexName: request.index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': request.partition },
      ScanIndexForward: !request.newestFirst,
      Limit: request.limit,
      ExclusiveStartKey: decodeCursor(request.cursor, {
        attributes: [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey],
        partition: { [index.partitionKey]: request.partition },
      }),
    }),
  );
  const nextCursor = encodeCursor(result.LastEvaluatedKey);
  return { items: (result.Items ?? []).map((item) => request.parse(entityOf(item))), ...(nextCursor ? { nextCursor } : {}) };
}

/** Did action `index` of a TransactWriteItems fail its ConditionExpression? */
export function conditionFailedAt(error: unknown, index: number): boolean {
  return (
    error instanceof TransactionCanceledException && error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed'
  );
}
