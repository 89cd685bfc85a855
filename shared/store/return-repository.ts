import * as z from 'zod';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { TimelineEntry } from '#shared/domain/order.ts';
import { Return, ReturnPolicy, orderIdOfReturn, returnTimelineOf } from '#shared/domain/return.ts';
import type { OrderReturns, Page, PageRequest, ReturnListFilter, ReturnPolicyRepository, ReturnRepository, ReturnScan, ReturnWrites, SaveOptions } from '#shared/ports.ts';
import { cursorJson, cursorPosition, invalidCursor, splitLast } from './cursor.ts';
import { conditionFailedAt, entityOf, passedDeadlines, queryIndexPage, queryOrderItems, versionCondition } from './items.ts';
import { ORDER_INDEX_SHARDS, keys } from './keys.ts';
import { timelinePut, type TransactItem } from './order-repository.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

export class DynamoReturnPolicyRepository implements ReturnPolicyRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(policyId: string): Promise<ReturnPolicy | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.returnPolicy(policyId), ConsistentRead: true }));
    return Item ? ReturnPolicy.parse(entityOf(Item)) : undefined;
  }

  list(page: PageRequest): Promise<Page<ReturnPolicy>> {
    return queryIndexPage(this.#db, {
      ...page,
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.returnPolicyListPartition,
      parse: (e) => ReturnPolicy.parse(e),
      itemKey: (policyId) => ({ ...keys.returnPolicy(policyId), ...keys.returnPolicyList(policyId) }),
    });
  }

  async save(policy: ReturnPolicy, { expectedVersion, events }: SaveOptions): Promise<void> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
                Item: { ...keys.returnPolicy(policy.policyId), ...keys.returnPolicyList(policy.policyId), [table.entityAttribute]: 'ReturnPolicy', ...policy },
                ...versionCondition(expectedVersion),
              },
            },
            ...events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new ConcurrentModificationError(`Return policy ${policy.policyId} was changed by another request`);
      throw error;
    }
  }
}

/**
 * Returns live in their order's partition (`RETURN#<returnId>`), beside the
 * order's return ledger (`RETURNS`: units held per line, and the count that
 * numbers returns). Every request is conditional on the ledger's version, so
 * two concurrent requests cannot both take the last returnable unit; every
 * step is conditional on the return's version, so two staff approving or
 * receiving at once: one wins, the other gets a 409. A return is in the
 * month-bucketed list indexes (GSI1 all, GSI3 by status) and, while
 * approved, in the hour-bucketed expiry index (GSI2). The item is kept
 * small because every step rewrites it and each index copies it whole: the
 * label document lives in its own item (`RETURNLABEL#`, written once) and
 * the return's history is its order's timeline entries (written by every
 * step anyway), both read only by `details`.
 */
export class DynamoReturnRepository implements ReturnRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(returnId: string): Promise<Return | undefined> {
    const orderId = orderIdOfReturn(returnId);
    if (!orderId) return undefined;
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.return(orderId, returnId), ConsistentRead: true }));
    return Item ? parseReturn(Item) : undefined;
  }

  async details(returnId: string): Promise<Return | undefined> {
    const orderId = orderIdOfReturn(returnId);
    if (!orderId) return undefined;
    const [record, label, entries, scanned] = await Promise.all([
      this.get(returnId),
      this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.returnLabel(orderId, returnId) })),
      queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.timelinePrefix),
      queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.returnScanPrefix(returnId)),
    ]);
    if (!record) return undefined;
    const document = label.Item?.['label'];
    const tracking = trackingWithScans(record.tracking, scanned.map((item) => ReturnScanItem.parse(item)));
    return {
      ...record,
      ...(record.label && typeof document === 'string' ? { label: { ...record.label, label: document } } : {}),
      ...(tracking ? { tracking } : {}),
      timeline: returnTimelineOf(returnId, entries.map((item) => TimelineEntry.parse(entityOf(item)))),
    };
  }

  async forOrder(orderId: string): Promise<Return[]> {
    const items = await queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.returnPrefix);
    return items.map(parseReturn).sort((a, b) => returnNumber(a.returnId) - returnNumber(b.returnId));
  }

  async ledger(orderId: string): Promise<OrderReturns | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.orderReturns(orderId), ConsistentRead: true }));
    return Item ? { count: Number(Item['count']), held: (Item['held'] as Record<string, number>) ?? {}, version: Number(Item['version']) } : undefined;
  }

  async byTrackingNumber(carrierId: string, trackingNumber: string): Promise<string | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.trackingNumber(carrierId, trackingNumber) }));
    return Item?.['returnId'] as string | undefined;
  }

  async save(record: Return, expectedVersion: number | null, writes: ReturnWrites): Promise<void> {
    const items: TransactItem[] = [
      returnPut(this.#tableName, record, expectedVersion),
      ...(writes.ledger
        ? [
            {
              Put: {
                TableName: this.#tableName,
                Item: { ...keys.orderReturns(record.orderId), [table.entityAttribute]: 'OrderReturns', orderId: record.orderId, count: writes.ledger.next.count, held: writes.ledger.next.held, version: writes.ledger.next.version },
                ...versionCondition(writes.ledger.expectedVersion),
              },
            },
          ]
        : []),
      ...(writes.labelDocument !== undefined
        ? [
            {
              Put: {
                TableName: this.#tableName,
                Item: { ...keys.returnLabel(record.orderId, record.returnId), [table.entityAttribute]: 'ReturnLabel', returnId: record.returnId, labelFormat: record.label?.labelFormat, label: writes.labelDocument },
              },
            },
          ]
        : []),
      ...(writes.scan ? [scanPut(this.#tableName, record.orderId, record.returnId, writes.scan)] : []),
      ...(writes.trackingNumber
        ? [
            {
              Put: {
                TableName: this.#tableName,
                Item: { ...keys.trackingNumber(writes.trackingNumber.carrierId, writes.trackingNumber.trackingNumber), [table.entityAttribute]: 'TrackingNumber', returnId: record.returnId, orderId: record.orderId },
              },
            },
          ]
        : []),
      ...writes.timeline.map((entry) => timelinePut(this.#tableName, record.orderId, entry)),
      ...writes.events.map((event) => outboxPut(this.#tableName, event)),
    ];
    try {
      await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) {
        throw new ConcurrentModificationError(
          conditionFailedAt(error, 1) ? `The returns of order ${record.orderId} changed meanwhile` : `Return ${record.returnId} was changed by another request`,
        );
      }
      throw error;
    }
  }

  async recordScan(orderId: string, returnId: string, scan: ReturnScan, timeline: TimelineEntry[]): Promise<boolean> {
    try {
      await this.#db.send(
        new TransactWriteCommand({ TransactItems: [scanPut(this.#tableName, orderId, returnId, scan), ...timeline.map((entry) => timelinePut(this.#tableName, orderId, entry))] }),
      );
      return true;
    } catch (error) {
      if (conditionFailedAt(error, 0)) return false;
      throw error;
    }
  }

  async overdue(now: Date, hoursBack: number): Promise<{ returnId: string; receiveBy: string }[]> {
    const items = await passedDeadlines(this.#db, { tableName: this.#tableName, index: 'GSI2', partitionOf: keys.returnDuePartition, now, hoursBack });
    return items.map((item) => ({ returnId: String(item['returnId']), receiveBy: String(item['receiveBy']) }));
  }

  /**
   * An order's returns: one Query of its partition (filters on status and
   * request time). Otherwise newest first across the month buckets between
   * `from` and `to` and their shards, merged by request time; the cursor keeps
   * each shard's position and the filters it was made for. Never a scan.
   */
  async list(filter: ReturnListFilter, page: PageRequest): Promise<Page<Return>> {
    if (filter.orderId) return this.#listOfOrder(filter.orderId, filter, page);
    const state = this.#listState(filter, page.cursor);
    const sortKey = table.indexes[keys.returnListPartition(state.status, '0000-00', 0).index].sortKey;
    const items: Return[] = [];
    let { month, positions } = state;
    for (let round = 0; items.length < page.limit && month >= state.from.slice(0, 7) && round < 12; round++) {
      const remaining = page.limit - items.length;
      const results = await Promise.all(
        positions.map(async (position, shard) => {
          if (position === 'done') return { items: [] as Record<string, unknown>[], last: undefined };
          const { index, partition } = keys.returnListPartition(state.status, month, shard);
          const result = await this.#db.send(
            new QueryCommand({
              TableName: this.#tableName,
              IndexName: index,
              KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
              ExpressionAttributeNames: { '#pk': table.indexes[index].partitionKey, '#sk': sortKey },
              ExpressionAttributeValues: { ':pk': partition, ':from': state.from, ':to': `${state.to}~` },
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
      items.push(...merged.map(({ item }) => parseReturn(item)));
      positions = results.map((result, shard): Position => {
        if (positions[shard] === 'done') return 'done';
        const taken = merged.filter((m) => m.shard === shard);
        const lastTaken = taken.at(-1);
        if (taken.length < result.items.length) return lastTaken ? keyOf(lastTaken.item, sortKey) : (positions[shard] ?? null);
        return result.last ?? 'done';
      });
      if (positions.every((position) => position === 'done')) {
        month = previousMonth(month);
        positions = freshPositions();
      }
    }
    if (month < state.from.slice(0, 7)) return { items };
    const next: ListCursor = { ...state, month, positions };
    return { items, nextCursor: Buffer.from(JSON.stringify(next)).toString('base64url') };
  }

  async #listOfOrder(orderId: string, filter: ReturnListFilter, page: PageRequest): Promise<Page<Return>> {
    const filters: string[] = [];
    const values: Record<string, unknown> = {};
    if (filter.status) {
      filters.push('#status = :status');
      values[':status'] = filter.status;
    }
    if (filter.from) {
      filters.push('requestedAt >= :from');
      values[':from'] = filter.from;
    }
    if (filter.to) {
      filters.push('requestedAt <= :to');
      values[':to'] = filter.to;
    }
    let start: Record<string, string> | undefined;
    if (page.cursor) {
      start = cursorPosition(cursorJson(page.cursor), {
        attributes: [table.partitionKey, table.sortKey],
        itemKey: ({ SK: sortKey = '' }) => {
          const returnId = sortKey.startsWith(keys.returnPrefix) ? sortKey.slice(keys.returnPrefix.length) : '';
          return orderIdOfReturn(returnId) === orderId ? { ...keys.return(orderId, returnId) } : undefined;
        },
      });
    }
    const result = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey, ...(filter.status ? { '#status': 'status' } : {}) },
        ExpressionAttributeValues: { ':pk': keys.orderPartition(orderId), ':prefix': keys.returnPrefix, ...values },
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        Limit: page.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const last = result.LastEvaluatedKey;
    return { items: (result.Items ?? []).map(parseReturn), ...(last ? { nextCursor: Buffer.from(JSON.stringify(last)).toString('base64url') } : {}) };
  }

  /** A fresh list state from the filters, or the one a cursor carries (which must be for the same filters and name keys of its lists). */
  #listState(filter: ReturnListFilter, cursor: string | undefined): ListCursor {
    const to = filter.to ?? new Date().toISOString();
    const from = filter.from ?? new Date(Date.parse(to) - 90 * 86_400_000).toISOString();
    if (!cursor) return { ...(filter.status ? { status: filter.status } : {}), from, to, month: to.slice(0, 7), positions: freshPositions() };
    const invalid = () => invalidCursor('Pass back the nextCursor of the previous page, with the same filters');
    const parsed = ListCursor.safeParse(cursorJson(cursor));
    if (!parsed.success) throw invalid();
    const state = parsed.data;
    const sameFilters = state.status === filter.status && (filter.from === undefined || filter.from === state.from) && (filter.to === undefined || filter.to === state.to);
    const sameWindow = state.from <= state.to && state.month >= state.from.slice(0, 7) && state.month <= state.to.slice(0, 7);
    if (!sameFilters || !sameWindow) throw invalid();
    state.positions.forEach((position, shard) => {
      if (position === null || position === 'done') return;
      const { index, partition } = keys.returnListPartition(state.status, state.month, shard);
      const names = table.indexes[index];
      cursorPosition(position, {
        attributes: [table.partitionKey, table.sortKey, names.partitionKey, names.sortKey],
        itemKey: (key) => {
          const sortKey = String(key[names.sortKey]);
          const [requestedAt, returnId] = splitLast(sortKey) ?? [];
          const orderId = returnId === undefined ? undefined : orderIdOfReturn(returnId);
          if (requestedAt === undefined || returnId === undefined || !orderId || sortKey < state.from || sortKey > `${state.to}~`) return undefined;
          const indexes: Record<string, string> = keys.returnIndexes({ orderId, returnId, status: state.status ?? '', requestedAt });
          return { ...keys.return(orderId, returnId), [names.partitionKey]: String(indexes[names.partitionKey]), [names.sortKey]: String(indexes[names.sortKey]) };
        },
      });
      if (position[names.partitionKey] !== partition) throw invalid();
    });
    return state;
  }
}

/** A return as the steps read it: an item stored before the label and history moved out still parses, without them. */
function parseReturn(item: Record<string, unknown>): Return {
  const { timeline: _history, label, ...record } = entityOf<Record<string, unknown>>(item);
  const summary = label && typeof label === 'object' ? Object.fromEntries(Object.entries(label).filter(([name]) => name !== 'label')) : undefined;
  return Return.parse({ ...record, ...(summary ? { label: summary } : {}), timeline: [] });
}

/**
 * A return item with its list index keys, and its expiry index entry while
 * approved; conditional on the version it replaces. Without the label
 * document and the history (see the class): every step rewrites this item
 * and each index entry copies it, so it stays well under 1 KB.
 */
function returnPut(tableName: string, stored: Return, expectedVersion: number | null): TransactItem {
  const { timeline: _history, label, ...record } = stored;
  const summary = label ? (({ label: _document, ...rest }) => rest)(label) : undefined;
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.return(record.orderId, record.returnId),
        ...keys.returnIndexes(record),
        ...(record.status === 'approved' && record.receiveBy ? keys.returnDue(record.receiveBy, record.returnId) : {}),
        [table.entityAttribute]: 'Return',
        ...record,
        ...(summary ? { label: summary } : {}),
      },
      ...versionCondition(expectedVersion),
    },
  };
}

function returnNumber(returnId: string): number {
  return Number(returnId.split('-R')[1]);
}

type Position = Record<string, string> | null | 'done';

const ListCursor = z.object({
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

function keyOf(item: Record<string, unknown>, sortKey: string): Record<string, string> {
  const partitionKey = sortKey.replace(/SK$/, 'PK');
  return Object.fromEntries([table.partitionKey, table.sortKey, partitionKey, sortKey].map((name) => [name, String(item[name])]));
}

const ReturnScanItem = z.object({ status: z.string(), at: z.string(), description: z.string().optional(), location: z.string().optional() });

/** A scan of a return's label, in an item of its own: put once (`attribute_not_exists`), so a repeated scan cancels its transaction. */
function scanPut(tableName: string, orderId: string, returnId: string, scan: ReturnScan): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.returnScan(orderId, returnId, scan.at, scan.status), [table.entityAttribute]: 'ReturnScan', returnId, ...scan },
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

/**
 * The return's tracking history: the scans in its item (written before scans
 * had items of their own, or with the scan that moved the return) and the
 * scan items, once each, in the carrier's time order; the status is the
 * latest scan's.
 */
function trackingWithScans(tracking: Return['tracking'], scans: ReturnScan[]): Return['tracking'] {
  if (scans.length === 0) return tracking;
  const seen = new Set<string>();
  const events = [...(tracking?.events ?? []), ...scans]
    .filter((e) => {
      const id = `${e.at}#${e.status}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(-30);
  return { status: events.at(-1)?.status ?? tracking?.status ?? 'label_created', events };
}

