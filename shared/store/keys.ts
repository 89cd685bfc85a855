/**
 * Every DynamoDB key of the OMS is built here and nowhere else.
 * docs/data-model.md is the map: entities, key patterns, indexes and the
 * access pattern each one serves. Ids never contain `#` (see Slug and ULID),
 * so `#` separates key segments unambiguously.
 *
 * No entity with many writes shares a constant partition key: orders, stock
 * and events spread over their own ids; the day-bucketed order indexes spread
 * over days. The only constant index partitions hold configuration lists
 * (locations, channels, routing rule sets): a few hundred items written by
 * administrators, never on the order path.
 */

export interface ItemKey {
  PK: string;
  SK: string;
}

const day = (iso: string): string => iso.slice(0, 10);

export const keys = {
  location: (locationId: string): ItemKey => ({ PK: `LOCATION#${locationId}`, SK: 'LOCATION' }),
  /** GSI1: all locations, by id. */
  locationList: (locationId: string) => ({ GSI1PK: 'LOCATIONS', GSI1SK: locationId }),
  locationListPartition: 'LOCATIONS',

  channel: (channelId: string): ItemKey => ({ PK: `CHANNEL#${channelId}`, SK: 'CHANNEL' }),
  /** Secrets live in their own item, in no index, so no read of a channel can return them. */
  channelSecrets: (channelId: string): ItemKey => ({ PK: `CHANNEL#${channelId}`, SK: 'SECRETS' }),
  /** Where a polled channel (Amazon, eBay) has read up to. */
  channelCheckpoint: (channelId: string): ItemKey => ({ PK: `CHANNEL#${channelId}`, SK: 'CHECKPOINT' }),
  /** GSI1: all channels, by id. */
  channelList: (channelId: string) => ({ GSI1PK: 'CHANNELS', GSI1SK: channelId }),
  channelListPartition: 'CHANNELS',

  /** The order aggregate: header, lines, reservations, shipments and timeline share one partition. */
  order: (orderId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: 'ORDER' }),
  orderPartition: (orderId: string): string => `ORDER#${orderId}`,
  orderLine: (orderId: string, lineNo: number): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `LINE#${String(lineNo).padStart(4, '0')}`,
  }),
  timelineEntry: (orderId: string, at: string, entryId: string): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `TIMELINE#${at}#${entryId}`,
  }),
  timelinePrefix: 'TIMELINE#',
  reservation: (orderId: string, sku: string, locationId: string): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `RESERVATION#${sku}#${locationId}`,
  }),
  shipment: (orderId: string, shipmentId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `SHIPMENT#${shipmentId}` }),
  /** GSI1/GSI2/GSI3 of an order header: newest first per day, per channel and day, per status and day. */
  orderIndexes: (order: { orderId: string; channelId: string; status: string; createdAt: string }) => ({
    GSI1PK: `ORDERS#${day(order.createdAt)}`,
    GSI1SK: `${order.createdAt}#${order.orderId}`,
    GSI2PK: `CHANNEL#${order.channelId}#ORDERS#${day(order.createdAt)}`,
    GSI2SK: `${order.createdAt}#${order.orderId}`,
    GSI3PK: `STATUS#${order.status}#${day(order.createdAt)}`,
    GSI3SK: `${order.createdAt}#${order.orderId}`,
  }),

  /** One item per channel order: its conditional put is what makes capture exactly-once. */
  channelOrder: (channelId: string, externalOrderId: string): ItemKey => ({
    PK: `CHANNELORDER#${channelId}#${externalOrderId}`,
    SK: 'CHANNELORDER',
  }),

  /** Stock of one SKU at one location; all locations of a SKU are one Query. */
  stockPosition: (sku: string, locationId: string): ItemKey => ({ PK: `STOCK#${sku}`, SK: `LOCATION#${locationId}` }),
  stockPartition: (sku: string): string => `STOCK#${sku}`,
  /** GSI1: every SKU stocked at a location. */
  stockByLocation: (sku: string, locationId: string) => ({ GSI1PK: `LOCATIONSTOCK#${locationId}`, GSI1SK: sku }),
  /** Append-only ledger of a SKU, time-ordered. */
  stockMovement: (sku: string, at: string, movementId: string): ItemKey => ({
    PK: `MOVEMENTS#${sku}`,
    SK: `${at}#${movementId}`,
  }),

  /** Transactional outbox: one item per event, in its own partition, deleted by TTL after publication. */
  outboxEvent: (eventId: string): ItemKey => ({ PK: `EVENT#${eventId}`, SK: 'EVENT' }),

  /** Idempotency-Key records of the REST API, scoped per caller scope. */
  idempotency: (scope: string, key: string): ItemKey => ({ PK: `IDEMPOTENCY#${scope}#${key}`, SK: 'IDEMPOTENCY' }),
} as const;
