import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ApiOrderInput, apiOrderToDraft } from '#shared/channels/api-order.ts';
import { newId } from '#shared/domain/ids.ts';
import { initialStatus, type Order } from '#shared/domain/order.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoOrderRepository, orderHeaderPut, orderLinePuts } from '#shared/store/order-repository.ts';
import { getOrder, listOrders } from '#shared/use-cases/orders.ts';
import { round, runConcurrently, type BenchDb } from './support.ts';

/**
 * Scale of reads: the order list and an order by id with many orders in
 * the table (100,000 in the full run), seeded directly in batches (the
 * items the order repository writes) with a progress bar. Every DynamoDB
 * call the reads make is recorded, to show that none scans and how many
 * queries a page costs; against the floor of one GetItem on the same table.
 */
export interface ReadFigures {
  orders: number;
  seedSeconds: number;
  listMs: { p50: number; p95: number };
  getMs: { p50: number; p95: number };
  floorGetItemMs: { p50: number; p95: number };
  listRatioP50: number;
  getRatioP50: number;
  callsPerListPage: Record<string, number>;
  callsPerGet: Record<string, number>;
  scans: number;
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0, 2);
}

export async function readsBench(bench: BenchDb, options: { quick: boolean; log: (line: string) => void }): Promise<ReadFigures> {
  const count = options.quick ? 2_000 : 100_000;
  const tableName = await bench.table('bench-reads');
  const calls: Record<string, number> = {};
  bench.db.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      calls[name] = (calls[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchReadCounter' },
  );

  // Seed: orders placed over the last 60 days, two items each (header with its three list indexes, lines).
  const template = ApiOrderInput.parse({
    channelId: 'web-store',
    currency: 'USD',
    shippingAddress: { lines: ['1 Main St'], city: 'Boston', postalCode: '02108', country: 'US' },
    lines: [{ sku: 'READ-1', title: 'Read item', quantity: 1, unitPrice: 1000 }],
    fulfillment: { type: 'ship' },
    payment: { state: 'paid' },
  });
  const now = Date.now();
  const ids: string[] = [];
  const started = performance.now();
  let written = 0;
  const perBatch = 12; // 24 items: under BatchWriteItem's 25
  await runConcurrently(Math.ceil(count / perBatch), 6, async (batch) => {
    const items: Record<string, unknown>[] = [];
    for (let i = batch * perBatch; i < Math.min(count, (batch + 1) * perBatch); i++) {
      const placedAt = new Date(now - Math.floor(((i * 7919) % count) / count * 60 * 86_400_000));
      const draft = apiOrderToDraft({ ...template, channelId: i % 3 === 0 ? 'pos-boston' : 'web-store' }, { channelId: i % 3 === 0 ? 'pos-boston' : 'web-store', type: 'web' }, `read-${i}`, placedAt);
      const orderId = newId();
      const order: Order = { ...draft, ...initialStatus(draft), orderId, version: 1, createdAt: placedAt.toISOString(), updatedAt: placedAt.toISOString() };
      ids[i] = orderId;
      const header = orderHeaderPut(tableName, order, null).Put?.Item;
      if (header) items.push(header);
      for (const put of orderLinePuts(tableName, order)) if (put.Put?.Item) items.push(put.Put.Item);
    }
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const result = await bench.db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (result.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
    written += items.length / 2;
    if (batch % 200 === 0 || written >= count) {
      const done = Math.min(1, written / count);
      options.log(`  seeding [${'#'.repeat(Math.round(done * 30)).padEnd(30, '.')}] ${Math.round(done * 100)}% ${written}/${count} orders`);
    }
  });
  const seedSeconds = (performance.now() - started) / 1000;

  const orders = new DynamoOrderRepository(bench.db, tableName);
  const deps = { orders };
  const samples = options.quick ? 30 : 200;
  const time = async (run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    return performance.now() - t;
  };
  // Warm-up.
  for (let i = 0; i < 5; i++) await listOrders(deps, {}, { limit: 50 });

  const snapshot = () => ({ ...calls });
  const diff = (before: Record<string, number>, times: number) =>
    Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, round((v - (before[k] ?? 0)) / times, 2)]).filter(([, v]) => Number(v) > 0));

  const beforeList = snapshot();
  const list: number[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < samples; i++) {
    // Newest first, paging on; every fifth request a channel filter.
    list.push(
      await time(async () => {
        const page = await listOrders(deps, i % 5 === 4 ? { channelId: 'pos-boston' } : {}, { limit: 50, cursor: i % 5 === 4 ? undefined : cursor });
        if (i % 5 !== 4) cursor = page.nextCursor;
      }),
    );
  }
  const callsPerListPage = diff(beforeList, samples);

  const beforeGet = snapshot();
  const get: number[] = [];
  for (let i = 0; i < samples; i++) get.push(await time(() => getOrder(deps, ids[(i * 104_729) % count] as string)));
  const callsPerGet = diff(beforeGet, samples);

  const floor: number[] = [];
  for (let i = 0; i < samples; i++) {
    const orderId = ids[(i * 7) % count] as string;
    floor.push(await time(() => bench.db.send(new GetCommand({ TableName: tableName, Key: keys.order(orderId) }))));
  }
  bench.db.middlewareStack.remove('benchReadCounter');
  const listP50 = percentile(list, 0.5);
  const getP50 = percentile(get, 0.5);
  const floorP50 = percentile(floor, 0.5);
  return {
    orders: count,
    seedSeconds: round(seedSeconds, 1),
    listMs: { p50: listP50, p95: percentile(list, 0.95) },
    getMs: { p50: getP50, p95: percentile(get, 0.95) },
    floorGetItemMs: { p50: floorP50, p95: percentile(floor, 0.95) },
    listRatioP50: round(listP50 / floorP50, 1),
    getRatioP50: round(getP50 / floorP50, 1),
    callsPerListPage,
    callsPerGet,
    scans: calls['Scan'] ?? 0,
  };
}
