import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import { rebuild, total, type StockMovement } from '#shared/domain/inventory.ts';
import { LocationInput, applyLocationInput, type Location } from '#shared/domain/location.ts';
import { initialStatus, type Order, type OrderDraft } from '#shared/domain/order.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { DynamoInventoryRepository } from '#shared/store/inventory-repository.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { DynamoListingRepository } from '#shared/store/listing-repository.ts';
import { DynamoLocationRepository } from '#shared/store/location-repository.ts';
import { DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { applyMovements } from '#shared/use-cases/inventory.ts';
import type { ReservationDeps } from '#shared/use-cases/reservations.ts';
import { fixture } from './channel-fixtures.ts';
import { locationBody } from './fixtures.ts';
import { allItems } from './table.ts';

/** Real repositories on a test table, and the reservation dependencies built from them. */
export function inventoryWorld(db: DynamoDBDocumentClient, tableName: string) {
  const orders = new DynamoOrderRepository(db, tableName);
  const inventory = new DynamoInventoryRepository(db, tableName);
  const locations = new DynamoLocationRepository(db, tableName);
  const listings = new DynamoListingRepository(db, tableName);
  const channels = new DynamoChannelRepository(db, tableName);
  const known: Location[] = [];
  const activeLocations = async () => known.filter((l) => l.active);
  const deps: ReservationDeps = {
    orders,
    inventory,
    activeLocations,
    ruleSetFor: async () => BUILT_IN_RULE_SET,
    clock: systemClock,
    unpaidReservationMinutes: 60,
  };
  const base = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'test' });

  return {
    orders,
    inventory,
    locations,
    listings,
    channels,
    activeLocations,
    deps,
    async location(locationId: string, overrides: Partial<LocationInput> = {}): Promise<Location> {
      const { location } = applyLocationInput(undefined, locationId, LocationInput.parse(locationBody(overrides)), new Date());
      await locations.save(location, { expectedVersion: null, events: [] });
      known.push(location);
      return location;
    },
    async receive(sku: string, locationId: string, quantity: number) {
      const [result] = await applyMovements({ inventory, locations, clock: systemClock }, { movements: [{ type: 'receipt', movementId: newId(), sku, locationId, quantity }], actor: 'test' });
      if (result?.status !== 'applied') throw new Error(`receipt failed: ${JSON.stringify(result)}`);
    },
    /** A stored order in status `received` with these lines (one unit costs 100; the totals add up). */
    async order(lines: { sku: string; quantity: number }[], overrides: Partial<OrderDraft> = {}): Promise<Order> {
      const at = new Date().toISOString();
      const orderLines = lines.map((l, i) => ({ lineId: `L${i + 1}`, sku: l.sku, title: l.sku, quantity: l.quantity, unitPrice: 100, subtotal: 100 * l.quantity, discount: 0, tax: 0, requiresShipping: true }));
      const subtotal = orderLines.reduce((sum, line) => sum + line.subtotal, 0);
      const draft: OrderDraft = {
        ...base,
        channel: { channelId: 'test', channelType: 'shopify', externalOrderId: newId() },
        lines: orderLines,
        // Totals that add up to the lines (an order whose money does not is held for review).
        totals: { subtotal, discount: 0, shipping: base.shipping.price, tax: base.shipping.tax, total: subtotal + base.shipping.price + base.shipping.tax, taxesIncluded: false },
        channelCreatedAt: at,
        channelUpdatedAt: at,
        ...overrides,
      };
      const order: Order = { ...draft, ...initialStatus(draft), orderId: newId(), version: 1, createdAt: at, updatedAt: at };
      await orders.create(order, { timeline: [], source: { deliveryId: newId(), via: 'api', receivedAt: at, headers: {}, contentType: 'application/json', body: '{}' }, events: [] });
      return order;
    },
    /** Every stock position of the SKU, the ledger, and what the ledger says the positions must be. */
    async audit(sku: string) {
      const stock = await inventory.stock(sku);
      const items = await allItems(db, tableName);
      const ledger = items.filter((i) => i['entity'] === 'StockMovement' && i['sku'] === sku) as unknown as StockMovement[];
      const rebuilt = rebuild(ledger);
      return { stock, ledger, rebuilt, total: total(stock.positions) };
    },
  };
}
