import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
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
/** Every item of an index partition, page after page (for lists bounded per order: invoices, credit notes). */
export async function queryIndexAll<T>(
  db: DynamoDBDocumentClient,
  request: Omit<Parameters<typeof queryIndexPage<T>>[1], 'limit' | 'cursor'>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await queryIndexPage(db, { ...request, limit: 100, cursor });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

export async function queryIndexPage<T>(
  db: DynamoDBDocumentClient,
  request: PageRequest & {
    tableName: string;
    index: IndexName;
    partition: string;
    newestFirst?: boolean;
    /** Turns a stored entity into its domain type (validating it). */
    parse: (entity: unknown) => T;
    /**
     * The full key (table and index, built with keys.ts) of the item in this
     * partition whose index sort key is `sortKey`, or undefined if no item of
     * the list can have it: a cursor is valid only if it is that key.
     */
    itemKey: (sortKey: string, position: Record<string, string>) => Record<string, string> | undefined;
  },
): Promise<Page<T>> {
  const index = table.indexes[request.index];
  const names = { pk: index.partitionKey, sk: index.sortKey };
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
        attributes: [table.partitionKey, table.sortKey, names.pk, names.sk],
        itemKey: (position) => {
          if (position[names.pk] !== request.partition) return undefined;
          const key = request.itemKey(String(position[names.sk]), position);
          return key && key[names.pk] === request.partition ? key : undefined;
        },
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

/** Every item a query matches, all pages (for bounded result sets: one order's items, one hour's deadlines). */
export async function queryAll(db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const result = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(result.Items ?? []));
    start = result.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Items of an order's partition whose sort key starts with `prefix`. */
export function queryOrderItems(db: DynamoDBDocumentClient, tableName: string, partition: string, prefix: string): Promise<Record<string, unknown>[]> {
  return queryAll(db, {
    TableName: tableName,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
    ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix },
    ConsistentRead: true,
  });
}

/**
 * Deadlines that passed: items a sparse index files by the hour of their
 * deadline (`<PREFIX>#<yyyy-mm-ddThh>`, sort key `<deadline>#<id>`), read
 * hour by hour over the last `hoursBack` hours — a few small queries, never
 * a scan.
 */
export async function passedDeadlines(
  db: DynamoDBDocumentClient,
  request: { tableName: string; index: IndexName; partitionOf: (hour: string) => string; now: Date; hoursBack: number },
): Promise<Record<string, unknown>[]> {
  const index = table.indexes[request.index];
  const hours = Array.from({ length: request.hoursBack + 1 }, (_, i) => new Date(request.now.getTime() - i * 3_600_000).toISOString().slice(0, 13));
  const found = await Promise.all(
    hours.map((hour) =>
      queryAll(db, {
        TableName: request.tableName,
        IndexName: request.index,
        KeyConditionExpression: '#pk = :pk AND #sk <= :now',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: { ':pk': request.partitionOf(hour), ':now': `${request.now.toISOString()}~` },
      }),
    ),
  );
  return found.flat();
}
