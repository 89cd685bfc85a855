import { systemClock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import { applyMovements, putSkuPolicy } from '#shared/use-cases/inventory.ts';
import { reserveOrder } from '#shared/use-cases/reservations.ts';
import { world } from './reservations.ts';
import { round, type BenchDb } from './support.ts';

/**
 * Oversell under contention: every buyer at once (1,000 in the full run)
 * against 10 units spread over two locations — one-line orders, two-line
 * orders (both SKUs or nothing), and a hot SKU split over 8 shards per
 * location. Counts units oversold, orders lost (no definite answer), how
 * each buyer was answered, and the time until the last one was.
 */
export interface ContentionVariant {
  name: string;
  orders: number;
  units: number;
  reserved: number;
  oversold: number;
  lost: number;
  answers: Record<string, number>;
  answersPerSecond: number;
  secondsToAnswerAll: number;
}

export async function contentionBench(bench: BenchDb, options: { quick: boolean; log: (line: string) => void }): Promise<{ variants: ContentionVariant[] }> {
  const buyers = options.quick ? 40 : 1_000;
  const tableName = await bench.table('bench-contention');
  const w = await world(bench.db, tableName);
  const deps = { inventory: w.inventory, locations: w.locations, clock: systemClock };
  const stock = async (sku: string) => {
    for (const locationId of ['wh-east', 'wh-west']) {
      await applyMovements(deps, { movements: [{ type: 'receipt', movementId: newId(), sku, locationId, quantity: 5 }], actor: 'bench' });
    }
  };
  const variants: { name: string; skus: string[]; shards: number }[] = [
    { name: 'one-line', skus: ['CONT-1'], shards: 1 },
    { name: 'two-line', skus: ['CONT-2A', 'CONT-2B'], shards: 1 },
    { name: 'hot SKU, 8 shards', skus: ['CONT-HOT'], shards: 8 },
  ];
  const results: ContentionVariant[] = [];
  for (const variant of variants) {
    for (const sku of variant.skus) {
      if (variant.shards > 1) await putSkuPolicy(deps, { sku, input: { shards: variant.shards }, actor: 'bench' });
      await stock(sku);
    }
    options.log(`  ${variant.name}: seeding ${buyers} orders...`);
    const orderIds = await w.orders(() => variant.skus[0] as string, buyers, variant.skus);
    const answers: Record<string, number> = {};
    const started = performance.now();
    await Promise.all(
      orderIds.map(async (orderId) => {
        try {
          const outcome = await reserveOrder(w.deps, { orderId, actor: 'bench' });
          answers[outcome.outcome] = (answers[outcome.outcome] ?? 0) + 1;
        } catch (error) {
          const name = error instanceof Error ? error.name : 'error';
          answers[`error:${name}`] = (answers[`error:${name}`] ?? 0) + 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    let reservedUnits = 0;
    let negative = 0;
    for (const sku of variant.skus) {
      const positions = (await w.inventory.stock(sku, { consistent: true })).positions;
      reservedUnits = Math.max(reservedUnits, positions.reduce((sum, p) => sum + p.reserved, 0));
      negative += positions.filter((p) => p.available < 0).length;
    }
    let definite = 0;
    let reservedOrders = 0;
    for (const orderId of orderIds) {
      const order = await w.deps.orders.get(orderId);
      if (order?.status === 'reserved') reservedOrders++;
      if (order?.status === 'reserved' || (order?.status === 'on_hold' && order.hold?.reason === 'out_of_stock') || order?.status === 'backordered') definite++;
    }
    results.push({
      name: variant.name,
      orders: buyers,
      units: 10,
      reserved: reservedOrders,
      oversold: Math.max(0, reservedUnits - 10) + negative,
      lost: buyers - definite,
      answers,
      answersPerSecond: round(buyers / seconds),
      secondsToAnswerAll: round(seconds, 1),
    });
  }
  return { variants: results };
}
