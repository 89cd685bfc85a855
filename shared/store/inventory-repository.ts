import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { ConcurrentModificationError, InventoryConflictError } from '#shared/domain/errors.ts';
import { DEFAULT_POLICY, StockMovement, StockPosition, storedPolicy, type SkuPolicy, type MovementContent, type PositionChange } from '#shared/domain/inventory.ts';
import { Reservation } from '#shared/domain/reservation.ts';
import type { InventoryCommit, InventoryConflict, InventoryRepository, MovementMarker, Page, PageRequest, SkuStock } from '#shared/ports.ts';
import { cursorJson, cursorPosition, decodeCursor, encodeCursor, invalidCursor, splitLast } from './cursor.ts';
import { entityOf, passedDeadlines } from './items.ts';
import { ORDER_LINES_PER_ITEM, keys } from './keys.ts';
import { orderHeaderPut, orderLinePuts, timelinePut, type TransactItem } from './order-repository.ts';
import { outboxPut } from './outbox.ts';
import { fulfillmentPut } from './fulfillment-repository.ts';
import { table } from './table.ts';

export const POSITION_ENTITY = 'StockPosition';

/**
 * Stock positions, the ledger, SKU policies and reservations. Every change of
 * stock goes through `commit`: one TransactWriteItems in which each position
 * update carries its ConditionExpression (never a read-then-write) and its
 * ledger entry, together with whatever else the change touches — the
 * reservation record, the order, its timeline, the events.
 */
export class DynamoInventoryRepository implements InventoryRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async stock(sku: string, options: { consistent?: boolean } = {}): Promise<SkuStock> {
    const base = await this.#queryAll(keys.stockPartition(sku, 0), options.consistent ?? true);
    const policyItem = base.find((item) => item[table.sortKey] === keys.skuPolicy(sku).SK);
    const policy = policyItem ? storedPolicy(entityOf(policyItem)) : DEFAULT_POLICY;
    const highestShard = Math.max(policy.shards, Number(policyItem?.['highestShard'] ?? 1)) - 1;
    const shards = await Promise.all(
      Array.from({ length: highestShard }, (_, i) => this.#queryAll(keys.stockPartition(sku, i + 1), options.consistent ?? true)),
    );
    const positions = [...base, ...shards.flat()]
      .filter((item) => item[table.entityAttribute] === POSITION_ENTITY)
      .map((item) => StockPosition.parse(entityOf(item)));
    return { sku, policy, policyVersion: Number(policyItem?.['version'] ?? 0), positions };
  }

  async putPolicy(sku: string, policy: SkuPolicy, expectedVersion: number, highestShard: number): Promise<void> {
    await this.#db
      .send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...keys.skuPolicy(sku),
            [table.entityAttribute]: 'SkuPolicy',
            sku,
            ...policy,
            // A Map: channel ids are data (an own `constructor` key would make the object look like a class instance to the marshaller).
            channelBuffers: new Map(Object.entries(policy.channelBuffers)),
            highestShard,
            version: expectedVersion + 1,
          },
          ConditionExpression: expectedVersion === 0 ? `attribute_not_exists(${table.partitionKey})` : 'version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      )
      .catch((error: unknown) => {
        if ((error as Error).name === 'ConditionalCheckFailedException') throw new ConcurrentModificationError(`The policy of ${sku} changed meanwhile`);
        throw error;
      });
  }

  async positionsAt(locationId: string, page: PageRequest & { lowStock?: boolean }): Promise<Page<StockPosition>> {
    const index = table.indexes.GSI1;
    const partition = keys.stockByLocationPartition(locationId);
    const result = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.partitionKey, ...(page.lowStock ? { '#available': 'available', '#reorder': 'reorderPoint' } : {}) },
        ExpressionAttributeValues: { ':pk': partition },
        ...(page.lowStock ? { FilterExpression: '#available <= #reorder' } : {}),
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, {
          attributes: [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey],
          // The index sort key is `<sku>#<shard, 2 digits>`: the position of that SKU shard at this location.
          itemKey: (position) => {
            const [sku, shard] = splitLast(String(position[index.sortKey])) ?? [];
            if (sku === undefined || !/^\d{2}$/.test(shard ?? '')) return undefined;
            return { ...keys.stockPosition(sku, locationId, Number(shard)), ...keys.stockByLocation(sku, locationId, Number(shard)) };
          },
        }),
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey);
    return { items: (result.Items ?? []).map((item) => StockPosition.parse(entityOf(item))), ...(nextCursor ? { nextCursor } : {}) };
  }

  /** Newest first across the SKU's shard ledgers. */
  async movements(sku: string, shards: number, page: PageRequest): Promise<Page<StockMovement>> {
    const positions = page.cursor ? this.#decodeMovementCursor(page.cursor, sku, shards) : Array.from({ length: shards }, () => null as Record<string, string> | null | 'done');
    const results = await Promise.all(
      positions.map(async (start, shard) => {
        if (start === 'done') return { items: [] as Record<string, unknown>[], last: undefined };
        const result = await this.#db.send(
          new QueryCommand({
            TableName: this.#tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': table.partitionKey },
            ExpressionAttributeValues: { ':pk': keys.movementPartition(sku, shard) },
            ScanIndexForward: false,
            Limit: page.limit,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        return { items: result.Items ?? [], last: result.LastEvaluatedKey as Record<string, string> | undefined };
      }),
    );
    const merged = results
      .flatMap((r, shard) => r.items.map((item) => ({ shard, item })))
      .sort((a, b) => String(b.item[table.sortKey]).localeCompare(String(a.item[table.sortKey])))
      .slice(0, page.limit);
    const next = results.map((result, shard) => {
      if (positions[shard] === 'done') return 'done';
      const taken = merged.filter((m) => m.shard === shard);
      const last = taken.at(-1);
      if (taken.length < result.items.length) return last ? { PK: String(last.item[table.partitionKey]), SK: String(last.item[table.sortKey]) } : (positions[shard] ?? null);
      return result.last ?? 'done';
    });
    const more = next.some((position) => position !== 'done');
    return {
      items: merged.map(({ item }) => StockMovement.parse(entityOf(item))),
      ...(more ? { nextCursor: Buffer.from(JSON.stringify(next)).toString('base64url') } : {}),
    };
  }

  async reservation(orderId: string): Promise<Reservation | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.reservation(orderId), ConsistentRead: true }));
    return Item ? Reservation.parse(entityOf(Item)) : undefined;
  }

  async waitingOrders(sku: string, limit: number): Promise<{ orderId: string; placedAt: string }[]> {
    const result = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
        ExpressionAttributeValues: { ':pk': keys.waitingPartition(sku) },
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => ({ orderId: String(item['orderId']), placedAt: String(item['placedAt']) }));
  }

  async lapsedReservations(now: Date, hoursBack: number): Promise<{ orderId: string; paymentDueBy: string }[]> {
    const items = await passedDeadlines(this.#db, { tableName: this.#tableName, index: 'GSI2', partitionOf: keys.reservationExpiryPartition, now, hoursBack });
    return items.map((item) => ({ orderId: String(item['orderId']), paymentDueBy: String(item['paymentDueBy']) }));
  }

  async shortDeadlinesPassed(now: Date, hoursBack: number): Promise<{ orderId: string; cancelIfShortBy: string }[]> {
    const items = await passedDeadlines(this.#db, { tableName: this.#tableName, index: 'GSI3', partitionOf: keys.shortDeadlinePartition, now, hoursBack });
    return items.map((item) => ({ orderId: String(item['orderId']), cancelIfShortBy: String(item['cancelIfShortBy']) }));
  }

  /** Copies a SKU's reorder point onto its positions, where the low-stock query compares it with `available`. */
  async setReorderPoint(positions: readonly { sku: string; locationId: string; shard: number }[], reorderPoint: number): Promise<void> {
    await Promise.all(
      positions.map((p) =>
        this.#db.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: keys.stockPosition(p.sku, p.locationId, p.shard),
            UpdateExpression: 'SET reorderPoint = :reorderPoint',
            ConditionExpression: `attribute_exists(${table.partitionKey})`,
            ExpressionAttributeValues: { ':reorderPoint': reorderPoint },
          }),
        ),
      ),
    );
  }

  async movementMarker(movementId: string): Promise<MovementMarker | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.movementApplied(movementId), ConsistentRead: true }));
    if (!Item) return undefined;
    return {
      movementId: String(Item['movementId']),
      at: String(Item['at']),
      ...(typeof Item['fingerprint'] === 'string' ? { fingerprint: Item['fingerprint'] } : {}),
      ...(Item['content'] ? { content: Item['content'] as MovementContent } : {}),
    };
  }

  async movementEntries(sku: string, shards: number, movementId: string, at: string): Promise<StockMovement[]> {
    const perShard = await Promise.all(
      Array.from({ length: shards }, async (_, shard) => {
        const { Items = [] } = await this.#db.send(
          new QueryCommand({
            TableName: this.#tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :at)',
            FilterExpression: '#movementId = :movementId',
            ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey, '#movementId': 'movementId' },
            ExpressionAttributeValues: { ':pk': keys.movementPartition(sku, shard), ':at': keys.movementsAtPrefix(at), ':movementId': movementId },
            ConsistentRead: true,
          }),
        );
        return Items.map((item) => StockMovement.parse(entityOf(item)));
      }),
    );
    return perShard.flat();
  }

  async positionsOf(skus: readonly string[]): Promise<Map<string, SkuStock>> {
    const stocks = await Promise.all(skus.map((sku) => this.stock(sku)));
    return new Map(stocks.map((stock) => [stock.sku, stock]));
  }

  async commit(commit: InventoryCommit): Promise<void> {
    const items: { item: TransactItem; meaning: InventoryConflict['kind']; change?: PositionChange }[] = [];
    if (commit.movementId) {
      items.push({
        meaning: 'duplicate',
        item: {
          Put: {
            TableName: this.#tableName,
            Item: {
              ...keys.movementApplied(commit.movementId),
              [table.entityAttribute]: 'MovementApplied',
              movementId: commit.movementId,
              at: commit.at,
              ...(commit.movement ? { fingerprint: commit.movement.fingerprint, content: commit.movement.content } : {}),
            },
            ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
          },
        },
      });
    }
    commit.changes.forEach((change, index) => {
      items.push({ meaning: 'position', change, item: this.#positionUpdate(change, commit.at, commit.reorderPoint ?? 0) });
      items.push({ meaning: 'position', change, item: this.#ledgerPut(change, commit, index) });
    });
    if (commit.reservation) {
      const { record, expectedVersion } = commit.reservation;
      items.push({
        meaning: 'reservation',
        item: {
          Put: {
            TableName: this.#tableName,
            Item: {
              ...keys.reservation(record.orderId),
              ...(record.status === 'active' && record.paymentDueBy ? keys.reservationExpiry(record.orderId, record.paymentDueBy) : {}),
              ...(record.status === 'active' && record.cancelIfShortBy && record.backordered.length > 0 ? keys.shortDeadline(record.orderId, record.cancelIfShortBy) : {}),
              [table.entityAttribute]: 'Reservation',
              ...record,
            },
            ...(expectedVersion === null
              ? { ConditionExpression: `attribute_not_exists(${table.partitionKey})` }
              : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
          },
        },
      });
    }
    if (commit.order) items.push({ meaning: 'order', item: orderHeaderPut(this.#tableName, commit.order.next, commit.order.expectedVersion) });
    if (commit.order?.previousLineCount !== undefined) {
      const { next, previousLineCount } = commit.order;
      const chunks = orderLinePuts(this.#tableName, next);
      for (const item of chunks) items.push({ meaning: 'order', item });
      for (let chunk = chunks.length + 1; chunk <= Math.ceil(previousLineCount / ORDER_LINES_PER_ITEM); chunk++) {
        items.push({ meaning: 'order', item: { Delete: { TableName: this.#tableName, Key: keys.orderLines(next.orderId, chunk) } } });
      }
    }
    if (commit.payment) {
      const { next, expectedVersion } = commit.payment;
      items.push({
        meaning: 'order',
        item: {
          Put: {
            TableName: this.#tableName,
            Item: { ...keys.payment(next.orderId), [table.entityAttribute]: 'Payment', ...next },
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expectedVersion },
          },
        },
      });
    }
    for (const entry of commit.timeline?.entries ?? []) items.push({ meaning: 'order', item: timelinePut(this.#tableName, commit.timeline?.orderId ?? '', entry) });
    for (const waiting of commit.waiting?.add ?? []) {
      items.push({
        meaning: 'order',
        item: {
          Put: {
            TableName: this.#tableName,
            Item: { ...keys.waitingOrder(waiting.sku, waiting.placedAt, waiting.orderId), [table.entityAttribute]: 'WaitingOrder', ...waiting },
          },
        },
      });
    }
    for (const waiting of commit.waiting?.remove ?? []) {
      items.push({ meaning: 'order', item: { Delete: { TableName: this.#tableName, Key: keys.waitingOrder(waiting.sku, waiting.placedAt, waiting.orderId) } } });
    }
    if (commit.shipment) {
      items.push({
        meaning: 'order',
        item: {
          Put: {
            TableName: this.#tableName,
            Item: {
              ...keys.shipment(commit.shipment.orderId, commit.shipment.shipmentId),
              ...keys.shipmentShipped(commit.shipment.shippedAt, commit.shipment.orderId, commit.shipment.shipmentId),
              [table.entityAttribute]: 'Shipment',
              ...commit.shipment,
            },
            ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
          },
        },
      });
    }
    for (const { record, expectedVersion } of commit.fulfillments ?? []) {
      items.push({ meaning: 'fulfillment', item: fulfillmentPut(this.#tableName, record, expectedVersion) });
    }
    for (const event of commit.events) items.push({ meaning: 'order', item: outboxPut(this.#tableName, event) });
    if (items.length > 100) throw new Error(`An inventory change touches ${items.length} items; one transaction takes at most 100`);

    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: items.map((i) => i.item),
          ...(commit.idempotencyToken ? { ClientRequestToken: createHash('sha256').update(commit.idempotencyToken).digest('hex').slice(0, 36) } : {}),
          ReturnConsumedCapacity: commit.capacity ? 'TOTAL' : 'NONE',
        }),
      ).then((result) => {
        if (commit.capacity) commit.capacity.writeUnits += (result.ConsumedCapacity ?? []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      });
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
      if (failed >= 0) {
        const cause = items[failed];
        throw new InventoryConflictError(cause?.meaning ?? 'position', cause?.change);
      }
      if (reasons.some((reason) => reason.Code === 'TransactionConflict')) throw new InventoryConflictError('contention');
      throw error;
    }
  }

  #positionUpdate(change: PositionChange, at: string, reorderPoint: number): TransactItem {
    const names: Record<string, string> = {
      '#onHand': 'onHand',
      '#reserved': 'reserved',
      '#safety': 'safetyStock',
      '#available': 'available',
      '#sku': 'sku',
      '#location': 'locationId',
      '#shard': 'shard',
      '#entity': table.entityAttribute,
      '#updated': 'updatedAt',
      '#g1pk': table.indexes.GSI1.partitionKey,
      '#g1sk': table.indexes.GSI1.sortKey,
      '#reorder': 'reorderPoint',
    };
    const index = keys.stockByLocation(change.sku, change.locationId, change.shard);
    const values: Record<string, unknown> = {
      ':dOnHand': change.onHandDelta,
      ':dReserved': change.reservedDelta,
      ':dSafety': change.safetyStockDelta,
      ':dAvailable': change.onHandDelta - change.reservedDelta - change.safetyStockDelta,
      ':sku': change.sku,
      ':location': change.locationId,
      ':shard': change.shard,
      ':entity': POSITION_ENTITY,
      ':at': at,
      ':g1pk': index.GSI1PK,
      ':g1sk': index.GSI1SK,
      ':reorderPoint': reorderPoint,
    };
    const conditions: string[] = [];
    const { requires } = change;
    if (requires.exists) conditions.push(`attribute_exists(${table.partitionKey})`);
    if (requires.availableAtLeast !== undefined) {
      conditions.push('#available >= :minAvailable');
      values[':minAvailable'] = requires.availableAtLeast;
    }
    if (requires.onHandAtLeast !== undefined) {
      conditions.push('#onHand >= :minOnHand');
      values[':minOnHand'] = requires.onHandAtLeast;
    }
    if (requires.reservedAtLeast !== undefined) {
      conditions.push('#reserved >= :minReserved');
      values[':minReserved'] = requires.reservedAtLeast;
    }
    if (requires.onHandEquals !== undefined) {
      conditions.push(requires.onHandEquals === 0 ? '(attribute_not_exists(#onHand) OR #onHand = :eqOnHand)' : '#onHand = :eqOnHand');
      values[':eqOnHand'] = requires.onHandEquals;
    }
    if (requires.reservedEquals !== undefined) {
      conditions.push(requires.reservedEquals === 0 ? '(attribute_not_exists(#reserved) OR #reserved = :eqReserved)' : '#reserved = :eqReserved');
      values[':eqReserved'] = requires.reservedEquals;
    }
    if (requires.safetyStockEquals !== undefined) {
      conditions.push(requires.safetyStockEquals === 0 ? '(attribute_not_exists(#safety) OR #safety = :eqSafety)' : '#safety = :eqSafety');
      values[':eqSafety'] = requires.safetyStockEquals;
    }
    return {
      Update: {
        TableName: this.#tableName,
        Key: keys.stockPosition(change.sku, change.locationId, change.shard),
        UpdateExpression:
          'SET #sku = :sku, #location = :location, #shard = :shard, #entity = :entity, #updated = :at, #g1pk = :g1pk, #g1sk = :g1sk, #reorder = if_not_exists(#reorder, :reorderPoint) ' +
          'ADD #onHand :dOnHand, #reserved :dReserved, #safety :dSafety, #available :dAvailable',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
      },
    };
  }

  #ledgerPut(change: PositionChange, commit: InventoryCommit, index: number): TransactItem {
    const movementId = `${commit.ledgerId}#${index}`;
    const entry: StockMovement = {
      movementId: commit.ledgerId,
      type: change.type,
      sku: change.sku,
      locationId: change.locationId,
      shard: change.shard,
      onHandDelta: change.onHandDelta,
      reservedDelta: change.reservedDelta,
      safetyStockDelta: change.safetyStockDelta,
      actor: commit.actor,
      at: commit.at,
      ...(commit.reason ? { reason: commit.reason } : {}),
      ...(commit.reference ? { reference: commit.reference } : {}),
    };
    return {
      Put: {
        TableName: this.#tableName,
        Item: { ...keys.stockMovement(change.sku, change.shard, commit.at, movementId), [table.entityAttribute]: 'StockMovement', ...entry },
      },
    };
  }

  async #queryAll(partition: string, consistent: boolean): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.#db.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': table.partitionKey },
          ExpressionAttributeValues: { ':pk': partition },
          ConsistentRead: consistent,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(result.Items ?? []));
      start = result.LastEvaluatedKey;
    } while (start);
    return items;
  }

  #decodeMovementCursor(cursor: string, sku: string, shards: number): (Record<string, string> | null | 'done')[] {
    const positions = cursorJson(cursor);
    if (!Array.isArray(positions) || positions.length !== shards) throw invalidCursor();
    return positions.map((position: unknown, shard) => {
      if (position === 'done' || position === null) return position;
      // A ledger entry of this SKU shard: `<at>#<digest of the movement id>`.
      return cursorPosition(position, {
        attributes: [table.partitionKey, table.sortKey],
        itemKey: ({ SK: sortKey = '' }) => {
          const [at, digest] = splitLast(sortKey) ?? [];
          if (at === undefined || digest === undefined || at.includes('#') || Number.isNaN(Date.parse(at))) return undefined;
          return { [table.partitionKey]: keys.movementPartition(sku, shard), [table.sortKey]: sortKey };
        },
      });
    });
  }
}
