import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { OutboxEvent } from '#events/define.ts';
import { customerOfOrder } from '#shared/domain/customer.ts';
import { ConcurrentModificationError, ValidationError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { Order, OrderLine, OrderSummary, TimelineEntry } from '#shared/domain/order.ts';
import type { OrderListFilter, OrderRepository, OrderSource, Page, PageRequest } from '#shared/ports.ts';
import { afterPrefix, cursorJson, cursorPosition, decodeCursor, encodeCursor, invalidCursor, splitLast } from './cursor.ts';
import { conditionFailedAt, entityOf } from './items.ts';
import { ORDER_INDEX_SHARDS, ORDER_LINES_PER_ITEM, hash, keys } from './keys.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The order header (everything but the lines) with its list index keys; conditional on the version it replaces. */
export function orderHeaderPut(tableName: string, order: Order, expectedVersion: number | null): TransactItem {
  const { lines: _lines, ...header } = order;
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.order(order.orderId),
        ...keys.orderIndexes({ orderId: order.orderId, channelId: order.channel.channelId, status: order.status, placedAt: order.channelCreatedAt }),
        [table.entityAttribute]: 'Order',
        ...header,
        lineCount: order.lines.length,
      },
      ...(expectedVersion === null
        ? { ConditionExpression: `attribute_not_exists(${table.partitionKey})` }
        : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
    },
  };
}

/** The order's line chunks, ORDER_LINES_PER_ITEM lines an item. */
export function orderLinePuts(tableName: string, order: Order): TransactItem[] {
  const chunks: TransactItem[] = [];
  for (let i = 0; i < order.lines.length; i += ORDER_LINES_PER_ITEM) {
    chunks.push({
      Put: {
        TableName: tableName,
        Item: { ...keys.orderLines(order.orderId, i / ORDER_LINES_PER_ITEM + 1), [table.entityAttribute]: 'OrderLines', lines: order.lines.slice(i, i + ORDER_LINES_PER_ITEM) },
      },
    });
  }
  return chunks;
}

export function timelinePut(tableName: string, orderId: string, entry: TimelineEntry): TransactItem {
  return { Put: { TableName: tableName, Item: { ...keys.timelineEntry(orderId, entry.at, newId()), [table.entityAttribute]: 'TimelineEntry', ...entry } } };
}

/**
 * The order's entry in its customer's index (`CUSTOMER#<customerId>`), in the
 * transaction that creates the order or changes its e-mail: put for the new
 * customer, deleted for the old one. Nothing when the customer stays the same.
 */
export function customerIndexWrites(tableName: string, previous: Order | undefined, order: Order): TransactItem[] {
  const before = previous ? customerOfOrder(previous) : undefined;
  const after = customerOfOrder(order);
  if (before === after) return [];
  const placedAt = order.channelCreatedAt;
  return [
    ...(before && previous ? [{ Delete: { TableName: tableName, Key: keys.customerOrder(before, previous.channelCreatedAt, order.orderId) } }] : []),
    ...(after
      ? [{ Put: { TableName: tableName, Item: { ...keys.customerOrder(after, placedAt, order.orderId), [table.entityAttribute]: 'CustomerOrder', customerId: after, orderId: order.orderId, channelId: order.channel.channelId, placedAt } } }]
      : []),
  ];
}

/** DynamoDB items are at most 400 KB; a compressed source larger than this is refused. */
const MAX_SOURCE_BYTES = 300 * 1024;

/** Raw channel payloads are kept 400 days by default (a year of disputes and chargebacks, and some): RAW_RETENTION_DAYS. */
export const DEFAULT_SOURCE_RETENTION_DAYS = 400;

/**
 * Orders in the single table: a small header (with the list index keys),
 * lines in chunks, timeline entries and raw sources, all in the order's
 * partition. Capture is one transaction whose first action is a conditional
 * put on the channel-order reference: that is what makes "one order per
 * channel order" hold under any concurrency.
 */
export class DynamoOrderRepository implements OrderRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #sourceRetentionDays: number;

  /** `sourceRetentionDays`: raw channel payloads expire this long after they arrived (TTL); the order itself stays. */
  constructor(db: DynamoDBDocumentClient, tableName: string, options: { sourceRetentionDays?: number } = {}) {
    this.#db = db;
    this.#tableName = tableName;
    this.#sourceRetentionDays = options.sourceRetentionDays ?? DEFAULT_SOURCE_RETENTION_DAYS;
  }

  async create(order: Order, writes: { timeline: TimelineEntry[]; source: OrderSource; events: OutboxEvent[] }): Promise<'created' | 'exists'> {
    const reference = keys.channelOrder(order.channel.channelId, order.channel.externalOrderId);
    try {
      await this.#transact([
        {
          Put: {
            TableName: this.#tableName,
            Item: {
              ...reference,
              [table.entityAttribute]: 'ChannelOrderReference',
              orderId: order.orderId,
              channelId: order.channel.channelId,
              externalOrderId: order.channel.externalOrderId,
            },
            ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
          },
        },
        orderHeaderPut(this.#tableName, order, null),
        ...this.#linePuts(order),
        ...writes.timeline.map((entry) => timelinePut(this.#tableName, order.orderId, entry)),
        this.#sourcePut(order.orderId, writes.source),
        ...writes.events.map((event) => outboxPut(this.#tableName, event)),
        ...customerIndexWrites(this.#tableName, undefined, order),
      ]);
      return 'created';
    } catch (error) {
      if (conditionFailedAt(error, 0)) return 'exists';
      throw error;
    }
  }

  async update(
    order: Order,
    writes: { previous: Order; timeline: TimelineEntry[]; source?: OrderSource | undefined; events: OutboxEvent[] },
  ): Promise<void> {
    const linePuts = this.#linePuts(order);
    const previousChunks = Math.ceil(writes.previous.lines.length / ORDER_LINES_PER_ITEM);
    const staleChunks = Array.from({ length: Math.max(0, previousChunks - linePuts.length) }, (_, i) => ({
      Delete: { TableName: this.#tableName, Key: keys.orderLines(order.orderId, linePuts.length + i + 1) },
    }));
    // A change that ends the order's hold (a cancellation) deletes its release date with it: the sweep never finds a date without its hold.
    const before = writes.previous.fulfillmentHold?.until;
    const releaseDate = before && !order.fulfillmentHold?.until ? [{ Delete: { TableName: this.#tableName, Key: keys.holdRelease(order.orderId) } }] : [];
    try {
      await this.#transact([
        orderHeaderPut(this.#tableName, order, writes.previous.version),
        ...linePuts,
        ...staleChunks,
        ...releaseDate,
        ...writes.timeline.map((entry) => timelinePut(this.#tableName, order.orderId, entry)),
        ...(writes.source ? [this.#sourcePut(order.orderId, writes.source)] : []),
        ...writes.events.map((event) => outboxPut(this.#tableName, event)),
        ...customerIndexWrites(this.#tableName, writes.previous, order),
      ]);
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new ConcurrentModificationError(`Order ${order.orderId} was changed by another writer`);
      throw error;
    }
  }

  async get(orderId: string): Promise<Order | undefined> {
    const { Items = [] } = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
        ExpressionAttributeValues: { ':pk': keys.orderPartition(orderId), ':from': keys.orderBodyRange.from, ':to': keys.orderBodyRange.to },
        ConsistentRead: true,
      }),
    );
    const header = Items.find((item) => item[table.sortKey] === keys.order(orderId).SK);
    if (!header) return undefined;
    const lines = Items.filter((item) => item[table.sortKey] !== keys.order(orderId).SK)
      .sort((a, b) => String(a[table.sortKey]).localeCompare(String(b[table.sortKey])))
      .flatMap((item) => (item['lines'] as unknown[]).map((line) => OrderLine.parse(line)));
    return Order.parse({ ...entityOf<Record<string, unknown>>(header), lines });
  }

  async findByChannelRef(channelId: string, externalOrderId: string): Promise<Order | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.channelOrder(channelId, externalOrderId), ConsistentRead: true }),
    );
    return Item ? this.get(String(Item['orderId'])) : undefined;
  }

  async addSource(orderId: string, source: OrderSource): Promise<boolean> {
    try {
      await this.#transact([this.#sourcePut(orderId, source, { onlyIfNew: true })]);
      return true;
    } catch (error) {
      if (conditionFailedAt(error, 0)) return false;
      throw error;
    }
  }

  async timeline(orderId: string, page: PageRequest): Promise<Page<TimelineEntry>> {
    return this.#prefixPage(orderId, keys.timelinePrefix, page, (item) => TimelineEntry.parse(entityOf(item)));
  }

  async sources(orderId: string, page: PageRequest): Promise<Page<OrderSource>> {
    return this.#prefixPage(orderId, keys.sourcePrefix, page, (item) => ({
      deliveryId: String(item['deliveryId']),
      via: item['via'] as OrderSource['via'],
      receivedAt: String(item['receivedAt']),
      ...(item['topic'] ? { topic: String(item['topic']) } : {}),
      headers: (item['headers'] as Record<string, string>) ?? {},
      contentType: String(item['contentType']),
      body: gunzipSync(item['body'] as Uint8Array).toString('utf8'),
    }));
  }

  /**
   * Newest first, across the month buckets between `from` and `to` and the
   * shards of each: every shard of the current month is read from its own
   * position, the results are merged by placement time, and the cursor keeps
   * each shard's position (and the filters it was made for). Never a scan.
   */
  async list(filter: OrderListFilter, page: PageRequest): Promise<Page<OrderSummary>> {
    const state = this.#listState(filter, page.cursor);
    const { from, to } = state;
    const both = Boolean(state.channelId && state.status);
    const target = (month: string, shard: number) =>
      keys.orderListPartition(state.channelId ? { channelId: state.channelId } : { status: state.status }, month, shard);
    const sortKey = table.indexes[target('0000-00', 0).index].sortKey;
    const items: OrderSummary[] = [];
    let { month, positions } = state;
    // Bounded work per request: at most a year of months or 12 rounds of reads, then a cursor.
    for (let round = 0; items.length < page.limit && month >= from.slice(0, 7) && round < 12; round++) {
      const remaining = page.limit - items.length;
      const results = await Promise.all(
        positions.map(async (position, shard) => {
          if (position === 'done') return { items: [] as Record<string, unknown>[], last: undefined };
          const { index, partition } = target(month, shard);
          const result = await this.#db.send(
            new QueryCommand({
              TableName: this.#tableName,
              IndexName: index,
              KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
              ExpressionAttributeNames: { '#pk': table.indexes[index].partitionKey, '#sk': sortKey, ...(both ? { '#status': 'status' } : {}) },
              ExpressionAttributeValues: { ':pk': partition, ':from': from, ':to': `${to}~`, ...(both ? { ':status': state.status } : {}) },
              ...(both ? { FilterExpression: '#status = :status' } : {}),
              ScanIndexForward: false,
              Limit: remaining,
              ...(position ? { ExclusiveStartKey: position } : {}),
            }),
          );
          return { items: result.Items ?? [], last: result.LastEvaluatedKey as Record<string, string> | undefined };
        }),
      );
      const merged = results
        .flatMap((result, shard) => result.items.map((item) => ({ shard, item })))
        .sort((a, b) => String(b.item[sortKey]).localeCompare(String(a.item[sortKey])))
        .slice(0, remaining);
      items.push(...merged.map(({ item }) => OrderSummary.parse(entityOf(item))));
      positions = results.map((result, shard): Position => {
        if (positions[shard] === 'done') return 'done';
        const taken = merged.filter((m) => m.shard === shard);
        // Some of this shard's page was not used: resume right after the last item used.
        const lastTaken = taken.at(-1);
        if (taken.length < result.items.length) return lastTaken ? this.#keyOf(lastTaken.item, sortKey) : (positions[shard] ?? null);
        return result.last ?? 'done';
      });
      if (positions.every((position) => position === 'done')) {
        month = previousMonth(month);
        positions = freshPositions();
      }
    }
    if (month < from.slice(0, 7)) return { items };
    const next: ListCursor = { ...state, month, positions };
    return { items, nextCursor: Buffer.from(JSON.stringify(next)).toString('base64url') };
  }

  #keyOf(item: Record<string, unknown>, sortKey: string): Record<string, string> {
    const partitionKey = sortKey.replace(/SK$/, 'PK');
    return Object.fromEntries([table.partitionKey, table.sortKey, partitionKey, sortKey].map((name) => [name, String(item[name])]));
  }

  /** A fresh list state from the filters, or the one a cursor carries (which must be for the same filters). */
  #listState(filter: OrderListFilter, cursor: string | undefined): ListCursor {
    const to = filter.to ?? new Date().toISOString();
    const from = filter.from ?? new Date(Date.parse(to) - 90 * 86_400_000).toISOString();
    const fresh: ListCursor = {
      ...(filter.channelId ? { channelId: filter.channelId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      from,
      to,
      month: to.slice(0, 7),
      positions: freshPositions(),
    };
    if (!cursor) return fresh;
    const invalid = () => invalidCursor('Pass back the nextCursor of the previous page, with the same filters');
    const parsed = ListCursor.safeParse(cursorJson(cursor));
    if (!parsed.success) throw invalid();
    const state = parsed.data;
    const sameFilters =
      state.channelId === filter.channelId &&
      state.status === filter.status &&
      (filter.from === undefined || filter.from === state.from) &&
      (filter.to === undefined || filter.to === state.to);
    // The window a cursor carries is the one its first page read: `from` ≤ `to`, the month it reads inside it.
    const sameWindow = state.from <= state.to && state.month >= state.from.slice(0, 7) && state.month <= state.to.slice(0, 7);
    if (!sameFilters || !sameWindow) throw invalid();
    // Each shard position must be the index key of an order placed in the window, filed in that shard's partition of the cursor's month.
    state.positions.forEach((position, shard) => {
      if (position === null || position === 'done') return;
      const { index, partition } = keys.orderListPartition(state.channelId ? { channelId: state.channelId } : { status: state.status }, state.month, shard);
      const names = table.indexes[index];
      cursorPosition(position, {
        attributes: [table.partitionKey, table.sortKey, names.partitionKey, names.sortKey],
        itemKey: (key) => {
          const sortKey = String(key[names.sortKey]);
          const [placedAt, orderId] = splitLast(sortKey) ?? [];
          if (placedAt === undefined || orderId === undefined || sortKey < state.from || sortKey > `${state.to}~`) return undefined;
          const indexes: Record<string, string> = keys.orderIndexes({ orderId, placedAt, channelId: state.channelId ?? '', status: state.status ?? '' });
          return { ...keys.order(orderId), [names.partitionKey]: String(indexes[names.partitionKey]), [names.sortKey]: String(indexes[names.sortKey]) };
        },
      });
      if (position[names.partitionKey] !== partition) throw invalid();
    });
    return state;
  }

  async #prefixPage<T>(orderId: string, prefix: string, page: PageRequest, parse: (item: Record<string, unknown>) => T): Promise<Page<T>> {
    const result = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
        ExpressionAttributeValues: { ':pk': keys.orderPartition(orderId), ':prefix': prefix },
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, {
          attributes: [table.partitionKey, table.sortKey],
          itemKey: ({ SK: sortKey = '' }) => itemOfOrder(orderId, prefix, sortKey),
        }),
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey);
    return { items: (result.Items ?? []).map(parse), ...(nextCursor ? { nextCursor } : {}) };
  }

  #linePuts(order: Order): TransactItem[] {
    return orderLinePuts(this.#tableName, order);
  }

  #sourcePut(orderId: string, source: OrderSource, options: { onlyIfNew?: boolean } = {}): TransactItem {
    const body = gzipSync(Buffer.from(source.body, 'utf8'));
    if (body.length > MAX_SOURCE_BYTES) {
      throw new ValidationError(`The payload is too large to keep (${body.length} bytes compressed; the limit is ${MAX_SOURCE_BYTES})`);
    }
    return {
      Put: {
        TableName: this.#tableName,
        Item: {
          ...keys.orderSource(orderId, source.receivedAt, hash(source.deliveryId)),
          [table.entityAttribute]: 'OrderSource',
          deliveryId: source.deliveryId,
          via: source.via,
          receivedAt: source.receivedAt,
          ...(source.topic ? { topic: source.topic } : {}),
          headers: source.headers,
          contentType: source.contentType,
          body,
          [table.ttlAttribute]: Math.floor(Date.parse(source.receivedAt) / 1000) + this.#sourceRetentionDays * 86_400,
        },
        ...(options.onlyIfNew ? { ConditionExpression: `attribute_not_exists(${table.partitionKey})` } : {}),
      },
    };
  }

  async #transact(items: TransactItem[]): Promise<void> {
    if (items.length > 100) {
      throw new ValidationError(`The order is too large to store in one transaction (${items.length} writes; at most 100)`);
    }
    await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
  }
}

type Position = Record<string, string> | null | 'done';

const ListCursor = z.object({
  channelId: z.string().optional(),
  status: z.string().optional(),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  month: z.string().regex(/^\d{4}-\d{2}$/),
  positions: z.array(z.union([z.literal('done'), z.null(), z.record(z.string(), z.string())])).length(ORDER_INDEX_SHARDS),
});
type ListCursor = z.infer<typeof ListCursor>;

function freshPositions(): Position[] {
  return Array.from({ length: ORDER_INDEX_SHARDS }, () => null);
}

function previousMonth(month: string): string {
  const [year, mm] = month.split('-').map(Number) as [number, number];
  return mm === 1 ? `${year - 1}-12` : `${year}-${String(mm - 1).padStart(2, '0')}`;
}

/**
 * The key of the timeline entry or source of `orderId` a cursor names
 * (`TIMELINE#<at>#<entryId>`, `SOURCE#<receivedAt>#<digest>`), rebuilt with
 * keys.ts, or undefined if the sort key is not of that kind.
 */
function itemOfOrder(orderId: string, prefix: string, sortKey: string): Record<string, string> | undefined {
  const [at, id] = splitLast(afterPrefix(sortKey, prefix) ?? '') ?? [];
  if (at === undefined || id === undefined || at.includes('#') || Number.isNaN(Date.parse(at))) return undefined;
  if (prefix === keys.timelinePrefix) return { ...keys.timelineEntry(orderId, at, id) };
  if (prefix === keys.sourcePrefix) return { ...keys.orderSource(orderId, at, id) };
  return undefined;
}
