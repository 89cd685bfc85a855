import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { ApiOrderInput, apiOrderToDraft } from '#shared/channels/api-order.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import { LocationInput, applyLocationInput, type Location } from '#shared/domain/location.ts';
import { initialStatus, type Order } from '#shared/domain/order.ts';
import { DynamoInventoryRepository } from '#shared/store/inventory-repository.ts';
import { DynamoLocationRepository } from '#shared/store/location-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { applyMovements, putSkuPolicy } from '#shared/use-cases/inventory.ts';
import { reserveOrder, type ReservationDeps } from '#shared/use-cases/reservations.ts';
import { capturingClient, round, runConcurrently, type BenchDb } from './support.ts';

/**
 * Reservations through the real code (read the order, plan, one
 * TransactWriteItems with a condition on every stock item) against the floor:
 * the same TransactWriteItems replayed with no reads and no logic, on the same
 * DynamoDB Local, at the same concurrency, in the same run. Also the write
 * units a reservation costs (ReturnConsumedCapacity), and one SKU's rate with
 * 1 stock shard against 8.
 */
export interface ReservationFigures {
  orders: number;
  concurrency: number;
  reservationsPerSecond: number;
  floorTransactionsPerSecond: number;
  ratio: number;
  writeUnitsPerReservation: number;
  floorWriteUnitsPerTransaction: number;
  itemsPerTransaction: number;
  hotSku: { shards: number; reservationsPerSecond: number; attemptsPerReservation: number; answered: Record<string, number>; oversold: number; awsCeilingPerSecond: number }[];
}

/** DynamoDB: one partition takes ~1,000 write units per second; a transactional write of an item under 1 KB costs 2. */
const PARTITION_WCU = 1_000;
const TRANSACTIONAL_WCU = 2;

export async function world(db: DynamoDBDocumentClient, tableName: string) {
  const orders = new DynamoOrderRepository(db, tableName);
  const inventory = new DynamoInventoryRepository(db, tableName);
  const locations = new DynamoLocationRepository(db, tableName);
  const active: Location[] = [];
  for (const [locationId, lat] of [['wh-east', 42.36], ['wh-west', 37.77]] as const) {
    const { location } = applyLocationInput(
      undefined,
      locationId,
      LocationInput.parse({
        name: locationId,
        type: 'warehouse',
        address: { lines: ['1 Bench St'], city: 'Bench', postalCode: '00000', country: 'US' },
        geo: { lat, lon: -71 },
        capabilities: ['ship'],
      }),
      new Date(),
    );
    await locations.save(location, { expectedVersion: null, events: [] });
    active.push(location);
  }
  const deps: ReservationDeps = { orders, inventory, activeLocations: async () => active, ruleSetFor: async () => BUILT_IN_RULE_SET, clock: systemClock, unpaidReservationMinutes: 60 };
  return {
    deps,
    inventory,
    locations,
    async receive(sku: string, quantity: number) {
      await applyMovements({ inventory, locations, clock: systemClock }, { movements: [{ type: 'receipt', movementId: newId(), sku, locationId: 'wh-east', quantity }], actor: 'bench' });
    },
    /** Stored orders of one unit each, ready to reserve. */
    /** `lineSkus`: every order has one unit of each of these SKUs instead (multi-line orders). */
    async orders(skus: (i: number) => string, count: number, lineSkus?: readonly string[]): Promise<string[]> {
      const ids: string[] = [];
      await runConcurrently(count, 8, async (i) => {
        const input = ApiOrderInput.parse({
          channelId: 'bench',
          currency: 'USD',
          shippingAddress: { lines: ['1 Main St'], city: 'Boston', postalCode: '02108', country: 'US' },
          lines: (lineSkus ?? [skus(i)]).map((sku) => ({ sku, title: 'Bench item', quantity: 1, unitPrice: 1000 })),
          fulfillment: { type: 'ship' },
          payment: { state: 'paid' },
        });
        const draft = apiOrderToDraft(input, { channelId: 'bench', type: 'web' }, newId(), new Date());
        const at = new Date().toISOString();
        const order: Order = { ...draft, ...initialStatus(draft), orderId: newId(), version: 1, createdAt: at, updatedAt: at };
        await orders.create(order, { timeline: [], source: { deliveryId: newId(), via: 'api', receivedAt: at, headers: {}, contentType: 'application/json', body: '{}' }, events: [] });
        ids[i] = order.orderId;
      });
      return ids;
    },
  };
}

/**
 * The captured reservation transaction as the floor replays it: every put
 * to a fresh key, the stock update (with its condition) on `stock`, and the
 * order's conditional update turned into a put of the same size (the floor
 * has no order to check).
 */
export function replay(template: TransactWriteCommandInput, tableName: string, templateStock: Record<string, unknown>, stock: Record<string, unknown>, i: number): TransactWriteCommandInput {
  const fresh = (key: Record<string, unknown> | undefined, n: number) => ({ ...key, PK: `${String(key?.['PK'])}~floor~${i}~${n}` });
  return {
    TransactItems: (template.TransactItems ?? []).map((item, n) => {
      if (item.Put) return { Put: { TableName: tableName, Item: { ...item.Put.Item, ...fresh(item.Put.Item, n) } } };
      if (item.Update && JSON.stringify(item.Update.Key) === JSON.stringify(templateStock)) return { Update: { ...item.Update, TableName: tableName, Key: stock } };
      if (item.Update) return { Put: { TableName: tableName, Item: { ...fresh(item.Update.Key, n), payload: JSON.stringify(item.Update.ExpressionAttributeValues ?? {}) } } };
      throw new Error('Unexpected item in the reservation transaction');
    }),
    ReturnConsumedCapacity: 'TOTAL',
  };
}

/**
 * One DynamoDB Local table for every measurement, and the real code and its
 * floor run in alternating slices: DynamoDB Local's speed drifts within a run
 * (JIT warm-up, data growth; a second table in one instance slows every
 * transaction several-fold), and alternating spreads the drift evenly.
 */
export async function reservationBench(bench: BenchDb, options: { quick: boolean; log: (line: string) => void }): Promise<ReservationFigures> {
  const orderCount = options.quick ? 160 : 1_000;
  const hotCount = options.quick ? 100 : 500;
  const slices = options.quick ? 2 : 5;
  const concurrency = 8;
  const skus = 50;
  const sku = (i: number) => `BENCH-${String(i % skus).padStart(3, '0')}`;

  const tableName = await bench.table('bench-inventory');
  const capture = capturingClient(bench.db);
  const real = await world(capture.db, tableName);
  for (let s = 0; s < skus; s++) await real.receive(sku(s), 1_000_000);
  const hotStock = hotCount - 50; // fewer units than buyers: the last ones must be answered, not oversold
  for (const shards of [1, 8]) {
    await putSkuPolicy({ inventory: real.inventory, locations: real.locations, clock: systemClock }, { sku: `HOT-${shards}`, input: { shards }, actor: 'bench' });
    await real.receive(`HOT-${shards}`, hotStock);
  }
  options.log(`  seeding ${orderCount + 2 * hotCount} orders...`);
  const orderIds = await real.orders(sku, orderCount);
  const hotIds = { 1: await real.orders(() => 'HOT-1', hotCount), 8: await real.orders(() => 'HOT-8', hotCount) };

  // Warm-up outside the measurement; it also captures the transaction the floor replays.
  capture.arm();
  const warm = Math.min(40, Math.floor(orderCount / 10));
  await runConcurrently(warm, concurrency, async (i) => void (await reserveOrder(real.deps, { orderId: orderIds[i] as string, actor: 'bench' })));
  const template = capture.captured();
  if (!template) throw new Error('No reservation transaction was captured');
  const position = (i: number): Record<string, unknown> => ({ ...keys.stockPosition(sku(i), 'wh-east', 0) });
  const updated = new Set((template.TransactItems ?? []).map((item) => JSON.stringify(item.Update?.Key ?? null)));
  const templateStock = Array.from({ length: skus }, (_, i) => position(i)).find((key) => updated.has(JSON.stringify(key)));
  if (!templateStock) throw new Error('The captured transaction updates no stock position');
  let floorUnits = 0;
  const floorTx = async (i: number) => {
    const result = await bench.db.send(new TransactWriteCommand(replay(template, tableName, templateStock, position(i), i)));
    floorUnits += (result.ConsumedCapacity ?? []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
  };
  await runConcurrently(warm, concurrency, (i) => floorTx(orderCount + i));
  floorUnits = 0;

  const capacity = { writeUnits: 0 };
  const deps = { ...real.deps, capacity };
  const measured = orderCount - warm;
  const perSlice = Math.ceil(measured / slices);
  let realSeconds = 0;
  let floorSeconds = 0;
  let reserved = 0;
  for (let slice = 0; slice < slices; slice++) {
    const from = slice * perSlice;
    const count = Math.max(0, Math.min(perSlice, measured - from));
    realSeconds += await runConcurrently(count, concurrency, async (i) => {
      const outcome = await reserveOrder(deps, { orderId: orderIds[warm + from + i] as string, actor: 'bench' });
      if (outcome.outcome === 'reserved') reserved++;
    });
    floorSeconds += await runConcurrently(count, concurrency, (i) => floorTx(from + i));
    options.log(`  slice ${slice + 1}/${slices}: ${reserved} reserved`);
  }
  if (reserved !== measured) throw new Error(`Only ${reserved} of ${measured} bench orders were reserved`);

  // Hot SKU: one SKU with 1 shard against one with 8, alternating, 16 buyers at a time.
  const hot = { 1: { seconds: 0, attempts: 0, answered: {} as Record<string, number> }, 8: { seconds: 0, attempts: 0, answered: {} as Record<string, number> } };
  const hotSlice = Math.ceil(hotCount / slices);
  for (let slice = 0; slice < slices; slice++) {
    for (const shards of [1, 8] as const) {
      const from = slice * hotSlice;
      hot[shards].seconds += await runConcurrently(Math.max(0, Math.min(hotSlice, hotCount - from)), 16, async (i) => {
        const outcome = await reserveOrder(real.deps, { orderId: hotIds[shards][from + i] as string, actor: 'bench' });
        hot[shards].attempts += outcome.attempts;
        hot[shards].answered[outcome.outcome] = (hot[shards].answered[outcome.outcome] ?? 0) + 1;
      });
    }
  }
  const hotSku: ReservationFigures['hotSku'] = [];
  for (const shards of [1, 8] as const) {
    const positions = (await real.inventory.stock(`HOT-${shards}`)).positions;
    const reservedUnits = positions.reduce((sum, p) => sum + p.reserved, 0);
    hotSku.push({
      shards,
      reservationsPerSecond: round(hotCount / hot[shards].seconds),
      attemptsPerReservation: round(hot[shards].attempts / hotCount, 2),
      answered: hot[shards].answered,
      oversold: Math.max(0, reservedUnits - hotStock) + positions.filter((p) => p.available < 0).length,
      awsCeilingPerSecond: Math.floor((PARTITION_WCU / TRANSACTIONAL_WCU) * shards),
    });
  }

  const reservationsPerSecond = measured / realSeconds;
  const floorPerSecond = measured / floorSeconds;
  return {
    orders: measured,
    concurrency,
    reservationsPerSecond: round(reservationsPerSecond),
    floorTransactionsPerSecond: round(floorPerSecond),
    ratio: round(reservationsPerSecond / floorPerSecond, 2),
    writeUnitsPerReservation: round(capacity.writeUnits / measured, 2),
    floorWriteUnitsPerTransaction: round(floorUnits / measured, 2),
    itemsPerTransaction: template.TransactItems?.length ?? 0,
    hotSku,
  };
}
