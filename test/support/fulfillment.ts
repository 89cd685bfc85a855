import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FileDocumentStore } from '#shared/adapters/document-store.ts';
import { SandboxCarriers } from '#shared/adapters/sandbox-carriers.ts';
import { SandboxPaymentProvider } from '#shared/adapters/sandbox-payments.ts';
import { systemClock, type Clock } from '#shared/domain/clock.ts';
import type { Fulfillment } from '#shared/domain/fulfillment.ts';
import { newId } from '#shared/domain/ids.ts';
import type { Order, OrderDraft } from '#shared/domain/order.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { DynamoFulfillmentRepository } from '#shared/store/fulfillment-repository.ts';
import { DynamoInvoiceRepository } from '#shared/store/invoice-repository.ts';
import { applyFulfillmentEvent, createFulfillments, type FulfillmentDeps } from '#shared/use-cases/fulfillment.ts';
import type { InvoiceDeps } from '#shared/use-cases/invoices.ts';
import { confirmPayment, type PaymentDeps } from '#shared/use-cases/payments.ts';
import { reserveOrder } from '#shared/use-cases/reservations.ts';
import type { TrackingDeps } from '#shared/use-cases/tracking.ts';
import { must } from './fixtures.ts';
import { inventoryWorld } from './inventory.ts';

/**
 * The inventory world plus what fulfillment needs (fulfillment, payment and
 * invoice repositories, the sandbox carriers and payment provider), and a
 * shortcut to an order whose one parcel has left its location.
 */
export function fulfillmentWorld(db: DynamoDBDocumentClient, tableName: string, clock: Clock = systemClock) {
  const world = inventoryWorld(db, tableName);
  const fulfillments = new DynamoFulfillmentRepository(db, tableName);
  const invoices = new DynamoInvoiceRepository(db, tableName);
  const carriers = new SandboxCarriers();
  const deps: FulfillmentDeps & PaymentDeps & TrackingDeps & InvoiceDeps = {
    orders: world.orders,
    inventory: world.inventory,
    fulfillments,
    invoices,
    locations: world.locations,
    activeLocations: world.activeLocations,
    ruleSetFor: async () => BUILT_IN_RULE_SET,
    carriers,
    // Label documents as files in a directory of this world's own (the local runtime's store).
    documents: new FileDocumentStore(mkdtempSync(join(tmpdir(), 'oms-documents-'))),
    providers: { sandbox: new SandboxPaymentProvider(db, tableName) },
    sellerName: 'Acme',
    clock,
  };
  const opened = new Map<string, Promise<unknown>>();

  /**
   * An order reserved where its lines' stock is (`at`, default `wh-parcels`;
   * every location ships and serves pickups), its payment confirmed, one
   * fulfillment per location created (not yet accepted).
   */
  async function routedOrder(lines: { sku: string; quantity: number; at?: string }[], overrides: Partial<OrderDraft> = {}): Promise<{ order: Order; parcels: Fulfillment[] }> {
    for (const line of lines) {
      const locationId = line.at ?? 'wh-parcels';
      if (!opened.has(locationId)) opened.set(locationId, world.location(locationId, { capabilities: ['ship', 'pickup'] }));
      await opened.get(locationId);
      await world.receive(line.sku, locationId, line.quantity);
    }
    const placed = await world.order(lines.map(({ sku, quantity }) => ({ sku, quantity })), overrides);
    const reserved = await reserveOrder(world.deps, { orderId: placed.orderId, actor: 'test' });
    if (reserved.outcome !== 'reserved') throw new Error(`Expected the order to be reserved, got ${JSON.stringify(reserved)}`);
    await confirmPayment(deps, { orderId: placed.orderId, actor: 'test' });
    await createFulfillments(deps, { orderId: placed.orderId, actor: 'test' });
    return { order: must(await world.orders.get(placed.orderId)), parcels: await fulfillments.forOrder(placed.orderId) };
  }

  /** An order of one unit whose single parcel the location reported shipped. */
  async function shippedParcel(overrides: Partial<OrderDraft> = {}): Promise<{ order: Order; parcel: Fulfillment }> {
    const { order, parcels } = await routedOrder([{ sku: `SHIP-${newId()}`, quantity: 1 }], overrides);
    const fulfillmentId = must(parcels[0], 'a fulfillment').fulfillmentId;
    await applyFulfillmentEvent(deps, { fulfillmentId, event: { type: 'shipped' }, actor: 'test' });
    return { order: must(await world.orders.get(order.orderId)), parcel: must(await fulfillments.get(fulfillmentId)) };
  }

  return { ...world, fulfillments, invoices, deps, routedOrder, shippedParcel };
}
