import * as z from 'zod';
import { Channel, ChannelId, ChannelInput } from '#shared/domain/channel.ts';
import { Location, LocationId, LocationInput } from '#shared/domain/location.ts';
import { Order, OrderStatus, OrderSummary, TimelineEntry } from '#shared/domain/order.ts';
import { ApiOrderInput } from '#shared/channels/api-order.ts';
import { HeldMovement, MovementInput, SkuPolicy, StockMovement } from '#shared/domain/inventory.ts';
import { Reservation } from '#shared/domain/reservation.ts';
import { ListingInput, ListingView, PushState } from '#shared/domain/listing.ts';
import { Sku } from '#shared/domain/order.ts';
import { RoutingDecision, RuleSet, RuleSetId, RuleSetInput } from '#shared/domain/routing.ts';
import { Fulfillment, FulfillmentEventInput, TrackingUpdateInput } from '#shared/domain/fulfillment.ts';
import { Invoice } from '#shared/domain/invoice.ts';
import { Notification } from '#shared/domain/notification.ts';
import { CreditNote, Refund } from '#shared/domain/refund.ts';
import { MAX_MINOR_UNITS } from '#shared/domain/order.ts';
import { FulfillmentType, OrderAddress } from '#shared/domain/order.ts';
import { ExternalOrderId, Slug } from '#shared/domain/ids.ts';
import { HoldOrderInput, ReleaseOrderInput } from '#shared/domain/holds.ts';
import { CancelLinesInput, OrderChangeSet, OrderEditInput } from '#shared/domain/order-changes.ts';
import { defineOperation } from './operation.ts';
import { returnOperations } from './return-operations.ts';
import { exchangeOperations } from './exchange-operations.ts';
import { channelSyncOperations } from './channel-sync-operations.ts';
import { customerOperations } from './customer-operations.ts';
import { identityOperations } from './identity-operations.ts';

/** The OMS HTTP API contract. Every route CDK deploys and the local runtime serves is listed here. */

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size (1-100).' }),
  cursor: z.string().min(1).max(2048).optional().meta({ description: '`nextCursor` of the previous page.' }),
});

function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().optional().meta({ description: 'Present when there are more items.' }),
    })
    .meta({ id });
}

export const HealthBody = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

const OrderEnvelope = z
  .object({
    order: Order,
    outcome: z.enum(['created', 'updated', 'unchanged', 'duplicate', 'stale']).meta({ description: '`created` the first time; a replay answers the first result.' }),
  })
  .meta({ id: 'PlacedOrder' });

const OrderSourcePage = z
  .object({
    items: z.array(
      z.object({
        deliveryId: z.string(),
        via: z.enum(['webhook', 'eventbridge', 'poll', 'api']),
        receivedAt: z.string(),
        topic: z.string().optional(),
        headers: z.record(z.string(), z.string()),
        contentType: z.string(),
        body: z.string().meta({ description: 'The payload exactly as received.' }),
      }),
    ),
    nextCursor: z.string().optional(),
  })
  .meta({ id: 'OrderSourcePage' });

const SyncState = z
  .object({
    channelId: z.string(),
    state: z
      .object({
        windowFrom: z.string(),
        windowTo: z.string().optional(),
        cursor: z.string().optional(),
        lastRun: z.record(z.string(), z.unknown()).optional(),
      })
      .nullable(),
  })
  .meta({ id: 'ChannelSync' });

const Stock = z.object({ onHand: z.number().int(), reserved: z.number().int(), safetyStock: z.number().int(), available: z.number().int() });
const SkuInventory = z
  .object({
    sku: z.string(),
    policy: SkuPolicy,
    locations: z.array(Stock.extend({ locationId: z.string(), shards: z.number().int().optional() })),
    total: Stock,
    channels: z
      .array(
        z.object({
          channelId: z.string(),
          active: z.boolean(),
          available: z.number().int().nullable().meta({ description: 'The available-to-sell figure the channel should show now (its locations, less buffers).' }),
          push: PushState,
        }),
      )
      .meta({ description: 'Channels that list the SKU: what each should show and what it was last sent.' }),
  })
  .meta({ id: 'SkuInventory' });
const MovementResults = z
  .object({
    results: z.array(
      z.object({
        movementId: z.string(),
        sku: z.string(),
        status: z.enum(['applied', 'duplicate', 'rejected']),
        code: z
          .enum(['unknown_location', 'same_location', 'movement_id_reused', 'insufficient_stock', 'contention'])
          .optional()
          .meta({ description: 'Why a movement was rejected; `movement_id_reused`: its id already holds another movement (`heldBy`).' }),
        reason: z.string().optional(),
        unknownLocations: z.array(z.string()).optional(),
        heldBy: HeldMovement.optional(),
      }),
    ),
  })
  .meta({ id: 'MovementResults' });

const OrderId = z.string().meta({ description: 'OMS order id (ULID).', example: '01M8EJV774P67P6BX5MZSVEP9Q' });

export const operations = {
  getHealth: defineOperation({
    operationId: 'getHealth',
    method: 'GET',
    path: '/health',
    auth: 'none',
    summary: 'Liveness check',
    tags: ['System'],
    responses: { 200: { description: 'The API answers.', schema: HealthBody } },
    errors: [],
  }),
  getOpenApi: defineOperation({
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/openapi.json',
    auth: 'none',
    summary: 'This API, as an OpenAPI 3.1 document',
    tags: ['System'],
    responses: { 200: { description: 'OpenAPI 3.1 document.' } },
    errors: [],
  }),
  routeNotFound: defineOperation({
    operationId: 'routeNotFound',
    method: 'ANY',
    path: '$default',
    auth: 'none',
    summary: 'Answers every request that matches no route with a JSON 404',
    tags: ['System'],
    responses: {},
    errors: [404],
    internal: true,
  }),

  putLocation: defineOperation({
    operationId: 'putLocation',
    method: 'PUT',
    path: '/v1/locations/{locationId}',
    auth: 'bearer',
    summary: 'Create or replace a location',
    description:
      'Idempotent: the same body again changes nothing and publishes nothing. Send `If-Match: "<version>"` to refuse the write if someone else changed the location since you read it.',
    tags: ['Locations'],
    params: z.object({ locationId: LocationId }),
    body: LocationInput,
    responses: {
      200: { description: 'Replaced, or unchanged.', schema: Location },
      201: { description: 'Created.', schema: Location },
    },
    errors: [400, 401, 409, 412, 413, 422],
  }),
  getLocation: defineOperation({
    operationId: 'getLocation',
    method: 'GET',
    path: '/v1/locations/{locationId}',
    auth: 'bearer',
    summary: 'Read a location',
    tags: ['Locations'],
    params: z.object({ locationId: z.string() }),
    responses: { 200: { description: 'The location; ETag is its version.', schema: Location } },
    errors: [401, 404],
  }),
  listLocations: defineOperation({
    operationId: 'listLocations',
    method: 'GET',
    path: '/v1/locations',
    auth: 'bearer',
    summary: 'List locations by id',
    tags: ['Locations'],
    query: ListQuery,
    responses: { 200: { description: 'One page of locations.', schema: pageOf(Location, 'LocationPage') } },
    errors: [401, 422],
  }),

  putChannel: defineOperation({
    operationId: 'putChannel',
    method: 'PUT',
    path: '/v1/channels/{channelId}',
    auth: 'bearer',
    summary: 'Create or replace a sales channel',
    description:
      'Secrets are write-only: they are stored apart from the channel, never returned and never logged. Omit them on later PUTs to keep them. The type of a channel cannot change (409).',
    tags: ['Channels'],
    params: z.object({ channelId: ChannelId }),
    body: ChannelInput,
    responses: {
      200: { description: 'Replaced, or unchanged.', schema: Channel },
      201: { description: 'Created.', schema: Channel },
    },
    errors: [400, 401, 409, 412, 413, 422],
  }),
  getChannel: defineOperation({
    operationId: 'getChannel',
    method: 'GET',
    path: '/v1/channels/{channelId}',
    auth: 'bearer',
    summary: 'Read a channel (without secrets)',
    tags: ['Channels'],
    params: z.object({ channelId: z.string() }),
    responses: { 200: { description: 'The channel; ETag is its version.', schema: Channel } },
    errors: [401, 404],
  }),
  listChannels: defineOperation({
    operationId: 'listChannels',
    method: 'GET',
    path: '/v1/channels',
    auth: 'bearer',
    summary: 'List channels by id',
    tags: ['Channels'],
    query: ListQuery,
    responses: { 200: { description: 'One page of channels.', schema: pageOf(Channel, 'ChannelPage') } },
    errors: [401, 422],
  }),
  requestChannelSync: defineOperation({
    operationId: 'requestChannelSync',
    method: 'POST',
    path: '/v1/channels/{channelId}/sync',
    auth: 'bearer',
    summary: 'Poll a marketplace channel (Amazon, eBay) now',
    description: 'Starts a poll in the background and answers at once; `GET` the same path for its progress. Scheduled polls run every `pollIntervalMinutes` anyway.',
    tags: ['Channels'],
    params: z.object({ channelId: z.string() }),
    responses: { 202: { description: 'The poll has started.', schema: z.object({ channelId: z.string(), status: z.literal('started') }) } },
    errors: [401, 404, 409],
  }),
  getChannelSync: defineOperation({
    operationId: 'getChannelSync',
    method: 'GET',
    path: '/v1/channels/{channelId}/sync',
    auth: 'bearer',
    summary: "A polled channel's checkpoint and last run",
    tags: ['Channels'],
    params: z.object({ channelId: z.string() }),
    responses: { 200: { description: 'Checkpoint (null before the first poll).', schema: SyncState } },
    errors: [401, 404],
  }),
  getChannelOrder: defineOperation({
    operationId: 'getChannelOrder',
    method: 'GET',
    path: '/v1/channels/{channelId}/orders/{externalOrderId}',
    auth: 'bearer',
    summary: "Find an order by the channel's own order id",
    tags: ['Orders'],
    params: z.object({ channelId: z.string(), externalOrderId: ExternalOrderId }),
    responses: { 200: { description: 'The OMS order.', schema: Order } },
    errors: [401, 404],
  }),

  putListing: defineOperation({
    operationId: 'putListing',
    method: 'PUT',
    path: '/v1/channels/{channelId}/listings/{sku}',
    auth: 'bearer',
    summary: 'List a SKU on a channel: the channel then receives its available-to-sell figure on every change',
    description:
      'The body says how the channel identifies the SKU (Shopify inventory item, WooCommerce product/variation, Amazon product type, eBay SKU); its `type` must be the channel\'s. Creating or changing an active listing pushes the current figure.',
    tags: ['Channels'],
    params: z.object({ channelId: ChannelId, sku: Sku }),
    body: ListingInput,
    responses: {
      200: { description: 'Changed, or unchanged.', schema: ListingView },
      201: { description: 'Created.', schema: ListingView },
    },
    errors: [400, 401, 404, 409, 412, 413, 422],
  }),
  getListing: defineOperation({
    operationId: 'getListing',
    method: 'GET',
    path: '/v1/channels/{channelId}/listings/{sku}',
    auth: 'bearer',
    summary: 'A listing with its last push (figure, time, failures)',
    tags: ['Channels'],
    params: z.object({ channelId: z.string(), sku: z.string() }),
    responses: { 200: { description: 'The listing; ETag is its version.', schema: ListingView } },
    errors: [401, 404],
  }),
  listListings: defineOperation({
    operationId: 'listListings',
    method: 'GET',
    path: '/v1/channels/{channelId}/listings',
    auth: 'bearer',
    summary: "A channel's listings by SKU, each with its push state",
    tags: ['Channels'],
    params: z.object({ channelId: z.string() }),
    query: ListQuery,
    responses: { 200: { description: 'One page of listings.', schema: pageOf(ListingView, 'ListingPage') } },
    errors: [401, 404, 422],
  }),
  deleteListing: defineOperation({
    operationId: 'deleteListing',
    method: 'DELETE',
    path: '/v1/channels/{channelId}/listings/{sku}',
    auth: 'bearer',
    summary: 'Stop pushing stock for a SKU to a channel',
    tags: ['Channels'],
    params: z.object({ channelId: z.string(), sku: z.string() }),
    responses: { 204: { description: 'Removed.' } },
    errors: [401, 404, 409],
  }),

  postMovements: defineOperation({
    operationId: 'postMovements',
    method: 'POST',
    path: '/v1/inventory/movements',
    auth: 'bearer',
    summary: 'Record stock movements (one, or a batch of up to 100)',
    description:
      'Receipts, adjustments, cycle counts (absolute), safety stock, transfers, write-offs, return restocks. Each has your `movementId`, unique across all movements (for a purchase order line, e.g. `PO-1042-1`): sending the same movement again is answered `duplicate` and changes nothing; another movement under an id already used is refused (`movement_id_reused`, naming the movement that holds it) and changes nothing. A batch answers 200 with a result per movement; a single movement answers 201 (applied), 200 (duplicate), 422 (unknown location) or 409 (not enough on hand, or `movement_id_reused`).',
    tags: ['Inventory'],
    body: z.union([MovementInput, z.strictObject({ movements: z.array(MovementInput).min(1).max(100) })]),
    responses: {
      200: { description: 'Batch results, or a duplicate single movement.', schema: MovementResults },
      201: { description: 'The single movement was applied.', schema: MovementResults },
    },
    errors: [400, 401, 409, 413, 422],
  }),
  getSkuInventory: defineOperation({
    operationId: 'getSkuInventory',
    method: 'GET',
    path: '/v1/inventory/{sku}',
    auth: 'bearer',
    summary: 'Stock of a SKU per location and in total, with its policy',
    tags: ['Inventory'],
    params: z.object({ sku: z.string() }),
    responses: { 200: { description: 'Available = on hand − reserved − safety stock.', schema: SkuInventory } },
    errors: [401, 404],
  }),
  listInventory: defineOperation({
    operationId: 'listInventory',
    method: 'GET',
    path: '/v1/inventory',
    auth: 'bearer',
    summary: 'Stock at a location, optionally only SKUs at or below their reorder point',
    tags: ['Inventory'],
    query: ListQuery.extend({
      locationId: z.string().min(1).max(64),
      lowStock: z.enum(['true', 'false']).optional().transform((v) => v === 'true'),
    }),
    responses: {
      200: {
        description: 'One page of SKUs at the location (shards summed).',
        schema: pageOf(Stock.extend({ sku: z.string(), locationId: z.string(), shards: z.number().int().optional() }), 'LocationStockPage'),
      },
    },
    errors: [401, 404, 422],
  }),
  listMovements: defineOperation({
    operationId: 'listMovements',
    method: 'GET',
    path: '/v1/inventory/{sku}/movements',
    auth: 'bearer',
    summary: "A SKU's stock ledger, newest first",
    tags: ['Inventory'],
    params: z.object({ sku: z.string() }),
    query: ListQuery,
    responses: { 200: { description: 'Movements with their on-hand, reserved and safety-stock deltas.', schema: pageOf(StockMovement, 'MovementPage') } },
    errors: [401, 404, 422],
  }),
  putSkuPolicy: defineOperation({
    operationId: 'putSkuPolicy',
    method: 'PUT',
    path: '/v1/inventory/{sku}/policy',
    auth: 'bearer',
    summary: "Set a SKU's policy: backorders, pre-order date, hot-SKU shards, reorder point, channel buffers",
    description: 'Changing `shards` redistributes stock between partitions; totals never change.',
    tags: ['Inventory'],
    params: z.object({ sku: Sku }),
    body: SkuPolicy.partial(),
    responses: { 200: { description: 'The policy in force.', schema: z.object({ sku: z.string(), policy: SkuPolicy }) } },
    errors: [400, 401, 409, 422],
  }),
  getOrderReservation: defineOperation({
    operationId: 'getOrderReservation',
    method: 'GET',
    path: '/v1/orders/{orderId}/reservation',
    auth: 'bearer',
    summary: 'What stock an order holds, where, and what it waits for',
    tags: ['Orders'],
    params: z.object({ orderId: z.string() }),
    responses: { 200: { description: 'The reservation.', schema: Reservation } },
    errors: [401, 404],
  }),
  recordShipment: defineOperation({
    operationId: 'recordShipment',
    method: 'POST',
    path: '/v1/orders/{orderId}/shipments',
    auth: 'bearer',
    scope: 'fulfillment:report',
    summary: 'Record units shipped from a location: their reservation becomes a sale',
    description:
      'For locations that do not report per fulfillment. If an open fulfillment at the location holds exactly these lines, it is marked shipped; other open fulfillments there make the report ambiguous (409 `fulfillment_open`).',
    tags: ['Orders'],
    params: z.object({ orderId: z.string() }),
    body: z.strictObject({
      locationId: z.string().min(1).max(64),
      lines: z.array(z.strictObject({ sku: Sku, quantity: z.number().int().min(1) })).min(1).max(500),
      carrier: z.string().max(100).optional(),
      trackingNumber: z.string().max(100).optional(),
    }),
    responses: { 201: { description: 'Recorded.', schema: z.object({ shipmentId: z.string(), orderStatus: z.string() }) } },
    errors: [400, 401, 404, 409, 422],
  }),
  cancelOrder: defineOperation({
    operationId: 'cancelOrder',
    method: 'POST',
    path: '/v1/orders/{orderId}/cancel',
    auth: 'bearer',
    scope: 'orders:write',
    summary: 'Cancel an order, or some of its units, before they ship; their stock is released',
    description:
      'Without `lines` the whole order is cancelled (409 `already_shipped` once anything shipped). With `lines` only those units are: their stock is released in the same transaction, fulfillments not yet accepted that held them are cancelled (the rest of their units get new ones), and the money follows the remaining lines (OrderLinesCancelled). 422 names a line or SKU the order does not have; 409 `not_cancellable` names units already shipped or more than are left (a partly shipped line loses all of its unshipped units or none), 409 `fulfillment_in_progress` units only an accepted fulfillment holds. Cancelling every unit left cancels the order.',
    tags: ['Orders'],
    params: z.object({ orderId: z.string() }),
    body: CancelLinesInput,
    responses: { 200: { description: 'The order after the cancellation.', schema: Order } },
    errors: [400, 401, 404, 409, 422],
  }),
  editOrder: defineOperation({
    operationId: 'editOrder',
    method: 'PATCH',
    path: '/v1/orders/{orderId}',
    auth: 'bearer',
    scope: 'orders:write',
    summary: 'Edit an order before fulfillment: shipping address, lines, quantities (one change set)',
    description:
      '`If-Match: "<version>"` (the order\'s ETag) is required: 412 when the order changed since you read it. The stock delta is reserved and released in one transaction with the order (409 `insufficient_stock` naming the short SKUs, nothing changed); a new address re-routes the order when it changes the best locations, and fulfillments not yet accepted are re-made with new labels. 409 `not_editable` names what blocks: a fulfillment a location accepted, a shipped line, a status past routing. A card-paid order cannot cost more once authorized (409 `payment_increase_refused`). Answers the order and the change set (OrderEdited).',
    tags: ['Orders'],
    params: z.object({ orderId: z.string() }),
    headers: z.object({ 'if-match': z.string().min(1).meta({ description: 'The order\'s ETag, e.g. "7".' }) }),
    body: OrderEditInput,
    responses: {
      200: {
        description: 'Edited (or `unchanged` when the edit changes nothing). ETag: the new version.',
        schema: z.object({ outcome: z.enum(['edited', 'unchanged']), order: Order, change: OrderChangeSet.optional() }).meta({ id: 'OrderEditResult' }),
      },
    },
    errors: [400, 401, 404, 409, 412, 422],
  }),
  holdOrder: defineOperation({
    operationId: 'holdOrder',
    method: 'POST',
    path: '/v1/orders/{orderId}/hold',
    auth: 'bearer',
    summary: 'Hold an order for review: it still reserves, but is not handed to a location until released',
    description:
      'Who (`by`) and why (`reason`, `note`) go on the timeline and in OrderHeld; `until` releases it automatically. 409 `not_holdable` (cancelled or shipped), `already_held`, `fulfillment_open` (already at a location: the fulfillments are named; have the location reject them first). `If-Match: "<version>"` refuses the hold (412) if the order changed since you read it. Nothing is written on any 4xx.',
    tags: ['Orders'],
    params: z.object({ orderId: z.string() }),
    body: HoldOrderInput,
    responses: { 200: { description: 'The held order (`fulfillmentHold`); ETag is its version.', schema: Order } },
    errors: [400, 401, 404, 409, 412, 422],
  }),
  releaseOrderHold: defineOperation({
    operationId: 'releaseOrderHold',
    method: 'POST',
    path: '/v1/orders/{orderId}/release',
    auth: 'bearer',
    summary: "Release an order's hold (a person's or a routing rule's, or a money review): it goes on where it stands",
    description:
      'A hold by a person or a rule ends and the order goes on: reserved units get their fulfillments, a backordered order keeps waiting for stock. A `money_review` order (channel money that does not add up) is released with a `note` and goes on to reservation as `received`. 409 `not_held` when there is nothing to release. `If-Match` as for holding.',
    tags: ['Orders'],
    params: z.object({ orderId: z.string() }),
    body: ReleaseOrderInput,
    responses: { 200: { description: 'The released order; ETag is its version.', schema: Order } },
    errors: [400, 401, 404, 409, 412, 422],
  }),

  putRoutingRules: defineOperation({
    operationId: 'putRoutingRules',
    method: 'PUT',
    path: '/v1/routing-rules/{ruleSetId}',
    auth: 'bearer',
    summary: 'Create or replace a routing rule set (`default`, or a channel id)',
    description:
      'Checked against the locations that exist now: a rule set none of whose rules can have a candidate location is refused (422, each rule\'s reason); rules that match no location while others do come back as `warnings`. The same body again changes nothing. `If-Match: "<version>"` refuses the write if it changed since you read it.',
    tags: ['Routing'],
    params: z.object({ ruleSetId: RuleSetId }),
    body: RuleSetInput,
    responses: {
      200: { description: 'Replaced, or unchanged.', schema: z.object({ ruleSet: RuleSet, warnings: z.array(z.object({ path: z.string(), message: z.string() })) }).meta({ id: 'RoutingRuleSetResult' }) },
      201: { description: 'Created.', schema: z.object({ ruleSet: RuleSet, warnings: z.array(z.object({ path: z.string(), message: z.string() })) }) },
    },
    errors: [400, 401, 409, 412, 413, 422],
  }),
  getRoutingRules: defineOperation({
    operationId: 'getRoutingRules',
    method: 'GET',
    path: '/v1/routing-rules/{ruleSetId}',
    auth: 'bearer',
    summary: 'Read a routing rule set',
    tags: ['Routing'],
    params: z.object({ ruleSetId: z.string() }),
    responses: { 200: { description: 'The rule set.', schema: RuleSet } },
    errors: [401, 404],
  }),
  listRoutingRules: defineOperation({
    operationId: 'listRoutingRules',
    method: 'GET',
    path: '/v1/routing-rules',
    auth: 'bearer',
    summary: 'List routing rule sets',
    tags: ['Routing'],
    query: ListQuery,
    responses: { 200: { description: 'One page of rule sets.', schema: pageOf(RuleSet, 'RoutingRuleSetPage') } },
    errors: [401, 422],
  }),
  previewRouting: defineOperation({
    operationId: 'previewRouting',
    method: 'POST',
    path: '/v1/routing/preview',
    auth: 'bearer',
    scope: 'read',
    summary: 'What-if: route a hypothetical order on current stock, reserving nothing',
    description: 'Uses the channel\'s rule set (or `default`, or the built-in one), or `ruleSet` given inline to try rules before saving them.',
    tags: ['Routing'],
    body: z.strictObject({
      channelId: Slug.optional(),
      ruleSet: RuleSetInput.optional(),
      shippingAddress: z.strictObject(OrderAddress.shape).meta({ id: 'PreviewAddress', description: 'Where the hypothetical order ships (geo optional: postal code centroids fill in).' }).optional(),
      fulfillment: z.strictObject({ type: FulfillmentType, locationId: Slug.optional() }).optional(),
      lines: z.array(z.strictObject({ sku: Sku, quantity: z.number().int().min(1).max(100_000) })).min(1).max(100),
    }),
    responses: { 200: { description: 'The decision, with every candidate and why.', schema: RoutingDecision } },
    errors: [400, 401, 413, 422],
  }),
  getOrderRouting: defineOperation({
    operationId: 'getOrderRouting',
    method: 'GET',
    path: '/v1/orders/{orderId}/routing',
    auth: 'bearer',
    summary: 'Why an order is sourced where it is: candidates, the rule that won, why others lost',
    tags: ['Routing'],
    params: z.object({ orderId: z.string() }),
    responses: {
      200: {
        description: 'The latest routing decision and what the order holds now.',
        schema: z
          .object({
            orderId: z.string(),
            orderStatus: z.string(),
            decision: RoutingDecision,
            allocations: Reservation.shape.allocations,
            backordered: Reservation.shape.backordered,
            excludedLocationIds: z.array(z.string()),
          })
          .meta({ id: 'OrderRouting' }),
      },
    },
    errors: [401, 404],
  }),
  listFulfillments: defineOperation({
    operationId: 'listFulfillments',
    method: 'GET',
    path: '/v1/fulfillments',
    auth: 'bearer',
    summary: "A location's open fulfillments (oldest first), or all of an order's",
    tags: ['Fulfillment'],
    query: ListQuery.extend({ locationId: Slug.optional(), orderId: z.string().optional() }).refine((q) => Boolean(q.locationId) !== Boolean(q.orderId), {
      message: 'Give exactly one of locationId or orderId',
      path: ['locationId'],
    }),
    responses: { 200: { description: 'Fulfillments.', schema: pageOf(Fulfillment, 'FulfillmentPage') } },
    errors: [401, 422],
  }),
  getFulfillment: defineOperation({
    operationId: 'getFulfillment',
    method: 'GET',
    path: '/v1/fulfillments/{fulfillmentId}',
    auth: 'bearer',
    summary: 'A fulfillment with its lines, label and tracking',
    tags: ['Fulfillment'],
    params: z.object({ fulfillmentId: z.string() }),
    responses: { 200: { description: 'The fulfillment.', schema: Fulfillment } },
    errors: [401, 404],
  }),
  postFulfillmentEvent: defineOperation({
    operationId: 'postFulfillmentEvent',
    method: 'POST',
    path: '/v1/fulfillments/{fulfillmentId}/events',
    auth: 'bearer',
    scope: 'fulfillment:report',
    summary: 'A location reports progress: accepted, rejected (with reason), picked, packed, shipped',
    description:
      'A repeat of the current status answers `unchanged` (safe to retry). A step back, or anything after a final status, is a 409 `invalid_transition`. `shipped` turns the reserved units into a sale; `rejected` re-routes the lines.',
    tags: ['Fulfillment'],
    params: z.object({ fulfillmentId: z.string() }),
    body: FulfillmentEventInput,
    responses: {
      200: {
        description: 'Applied, or unchanged.',
        schema: z.object({ outcome: z.enum(['applied', 'unchanged']), fulfillment: Fulfillment, orderStatus: z.string() }).meta({ id: 'FulfillmentEventResult' }),
      },
    },
    errors: [400, 401, 404, 409, 413, 422],
  }),
  receiveCarrierWebhook: defineOperation({
    operationId: 'receiveCarrierWebhook',
    method: 'POST',
    path: '/webhooks/carriers/{carrierId}',
    auth: 'none',
    summary: 'Tracking updates from a carrier (signed)',
    description:
      'Signed with `X-Carrier-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (exactly `sha256=` and 64 lower-case hex digits) under the carrier webhook secret. Updates may come late, twice or out of order: each is kept in the parcel history; only one that moves the parcel forward changes its status. An update dated more than 15 minutes before the parcel\'s label was bought, or more than 1 hour after the OMS\'s clock, is recorded with the reason (`ignored`) and moves nothing.',
    tags: ['Webhooks'],
    params: z.object({ carrierId: Slug }),
    signedBody: TrackingUpdateInput,
    maxBodyBytes: 16 * 1024,
    responses: {
      200: {
        description: 'Applied, recorded in the history only, or already known.',
        schema: z
          .object({
            outcome: z.enum(['applied', 'unchanged', 'recorded']),
            shipmentId: z.string(),
            orderStatus: z.string(),
            ignored: z.string().optional().meta({ description: 'Why a `recorded` update was out of range (dated before the label existed, or in the future); it moved nothing.' }),
          })
          .meta({ id: 'TrackingReceipt' }),
      },
    },
    errors: [400, 401, 404, 409, 413, 422],
  }),
  receiveEasyPostWebhook: defineOperation({
    operationId: 'receiveEasyPostWebhook',
    method: 'POST',
    path: '/webhooks/carriers/easypost',
    auth: 'none',
    summary: 'EasyPost tracker events (signed)',
    description:
      'Set this URL as the EasyPost webhook with a webhook secret. Signed by EasyPost with `X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the raw body>` keyed with the NFKD-normalised UTF-8 webhook secret (EASYPOST_WEBHOOK_SECRET); missing or wrong → 401 and nothing read. `tracker.updated`/`tracker.created` move the shipment or return label with that tracking code like the carrier webhook (EasyPost status → OMS status: docs/carriers.md); each event id is handled once (`duplicate`); other events, statuses that move nothing and trackers the OMS did not buy are acknowledged `ignored`, so EasyPost does not retry them. A 409 (the location has not reported the parcel shipped yet) is left for EasyPost\'s retry.',
    tags: ['Webhooks'],
    maxBodyBytes: 256 * 1024,
    responses: {
      200: {
        description: 'Applied, recorded in the history only, already known, a duplicate event, or ignored.',
        schema: z
          .object({
            outcome: z.enum(['applied', 'unchanged', 'recorded', 'duplicate', 'ignored']),
            eventId: z.string(),
            shipmentId: z.string().optional(),
            orderStatus: z.string().optional(),
            reason: z.string().optional().meta({ description: 'Why nothing was applied, or why a `recorded` update moved nothing.' }),
          })
          .meta({ id: 'EasyPostWebhookReceipt' }),
      },
    },
    errors: [400, 401, 404, 409, 413, 422],
  }),
  receiveStripeWebhook: defineOperation({
    operationId: 'receiveStripeWebhook',
    method: 'POST',
    path: '/webhooks/payments/stripe',
    auth: 'none',
    summary: 'Payment events from Stripe (signed)',
    description:
      'Authenticated by `Stripe-Signature: t=<unix seconds>,v1=<hex>` (several `v1` during a secret roll): the hex HMAC-SHA256 of `<t>.<raw body>` under the endpoint\'s signing secret (`whsec_…`), with `t` within 300 s of the OMS\'s clock; otherwise 401 and nothing is written. Applies `payment_intent.amount_capturable_updated`, `payment_intent.succeeded`, `payment_intent.payment_failed` (the order is held `payment_review`), `charge.refunded` and `charge.dispute.created` (the order is held `payment_disputed`) to the payment of the order the PaymentIntent names; a redelivered event is answered `duplicate`, events of other payments or types `ignored` (both 200, so Stripe stops retrying). Answers 404 when the deployment is not configured for Stripe.',
    tags: ['Webhooks'],
    signedBody: z.looseObject({ id: z.string(), object: z.literal('event'), type: z.string(), created: z.number().int(), data: z.looseObject({ object: z.looseObject({}) }) }).meta({ id: 'StripeEvent' }),
    maxBodyBytes: 256 * 1024,
    responses: {
      200: {
        description: 'Applied, already applied, or not for the OMS.',
        schema: z
          .object({
            outcome: z.enum(['applied', 'duplicate', 'ignored']),
            eventId: z.string(),
            type: z.string(),
            orderId: z.string().optional(),
            reason: z.string().optional().meta({ description: 'Why an event was ignored.' }),
          })
          .meta({ id: 'PaymentWebhookReceipt' }),
      },
    },
    errors: [400, 401, 404, 413, 422],
  }),
  getInvoice: defineOperation({
    operationId: 'getInvoice',
    method: 'GET',
    path: '/v1/invoices/{invoiceId}',
    auth: 'bearer',
    summary: 'An invoice; `Accept: text/html` returns the printable document',
    tags: ['Invoices'],
    params: z.object({ invoiceId: z.string() }),
    responses: { 200: { description: 'The invoice (JSON), or its HTML document.', schema: Invoice, html: true } },
    errors: [401, 404],
  }),
  listInvoices: defineOperation({
    operationId: 'listInvoices',
    method: 'GET',
    path: '/v1/invoices',
    auth: 'bearer',
    summary: "An order's invoices; `Accept: text/html` returns them as one printable document",
    description:
      'JSON by default. With `Accept: text/html` (as a browser sends) the answer is one HTML document with every invoice of the order, each starting on a new page — the same document `GET /v1/invoices/{invoiceId}` gives for one invoice. Errors are JSON either way.',
    tags: ['Invoices'],
    query: z.object({ orderId: z.string().min(1).max(64) }),
    responses: { 200: { description: 'The invoices, by number (JSON), or their HTML document.', schema: z.object({ items: z.array(Invoice) }).meta({ id: 'InvoiceList' }), html: true } },
    errors: [401, 404, 422],
  }),
  createRefund: defineOperation({
    operationId: 'createRefund',
    method: 'POST',
    path: '/v1/orders/{orderId}/refunds',
    auth: 'bearer',
    summary: 'A goodwill refund without a return',
    description:
      'Gives `amount` (integer minor units) back for the order: through the payment provider when the OMS captured the money (status `refunded`), recorded `to_refund_at_channel` with the channel\'s payment reference for orders paid at the channel, `to_refund_manually` for cash on delivery. Never more than was captured (paid, collected) minus earlier refunds: a larger amount is a 422 naming both figures, and nothing is written. An order with invoices gets a credit note (`creditNoteId`); one without says why in `creditNote`. Requires an `Idempotency-Key` header: the same key and body answer the first result again, byte for byte; the same key with another body is a 409. A provider that cannot answer now is a 503 (`payment_provider_unavailable`): the refund stays `pending` (its amount held), the same request again finishes it, and so does the 5-minute deadline sweep. A provider that refuses the refund for good (e.g. the capture was already refunded at the provider) is a 502 (`refund_failed`, the provider\'s code in `details`): the refund is `failed` and its amount refundable again; the same key answers the same 502, a new key tries again.',
    tags: ['Refunds'],
    params: z.object({ orderId: OrderId }),
    headers: z.object({
      'idempotency-key': z
        .string()
        .min(1)
        .max(255)
        .meta({ description: 'Unique per refund request; retries reuse it. Kept 24 hours. 1-255 visible ASCII characters (`!` to `~`).', example: 'goodwill-7781', pattern: '^[!-~]+$' }),
    }),
    body: z
      .strictObject({
        amount: z.number().int().min(1).max(MAX_MINOR_UNITS).meta({ description: 'Minor units to give back.', example: 1500 }),
        reason: z.string().trim().min(1).max(500).meta({ description: 'Why (on the timeline, the credit note and the event).', example: 'Parcel arrived late' }),
        note: z.string().max(2000).optional().meta({ description: 'For people: kept on the refund.' }),
      })
      .meta({ id: 'GoodwillRefundInput' }),
    responses: { 201: { description: 'The refund.', schema: Refund } },
    errors: [400, 401, 404, 409, 413, 422, 502, 503],
  }),
  listRefunds: defineOperation({
    operationId: 'listRefunds',
    method: 'GET',
    path: '/v1/orders/{orderId}/refunds',
    auth: 'bearer',
    summary: "An order's refunds (returns, cancellations, claims, goodwill), oldest first",
    tags: ['Refunds'],
    params: z.object({ orderId: OrderId }),
    responses: { 200: { description: 'The refunds.', schema: z.object({ items: z.array(Refund) }).meta({ id: 'RefundList' }) } },
    errors: [401, 404],
  }),
  getCreditNote: defineOperation({
    operationId: 'getCreditNote',
    method: 'GET',
    path: '/v1/credit-notes/{creditNoteId}',
    auth: 'bearer',
    summary: 'A credit note; `Accept: text/html` returns the printable document',
    tags: ['Refunds'],
    params: z.object({ creditNoteId: z.string() }),
    responses: { 200: { description: 'The credit note (JSON), or its HTML document.', schema: CreditNote, html: true } },
    errors: [401, 404],
  }),
  listCreditNotes: defineOperation({
    operationId: 'listCreditNotes',
    method: 'GET',
    path: '/v1/credit-notes',
    auth: 'bearer',
    summary: "An order's credit notes, by number",
    tags: ['Refunds'],
    query: z.object({ orderId: z.string().min(1).max(64) }),
    responses: { 200: { description: 'The credit notes.', schema: z.object({ items: z.array(CreditNote) }).meta({ id: 'CreditNoteList' }) } },
    errors: [401, 404, 422],
  }),
  listNotifications: defineOperation({
    operationId: 'listNotifications',
    method: 'GET',
    path: '/v1/notifications',
    auth: 'bearer',
    summary: 'What the customer was sent about an order (e-mail and SMS)',
    tags: ['Notifications'],
    query: z.object({ orderId: z.string().min(1).max(64) }),
    responses: { 200: { description: 'Messages, oldest first.', schema: z.object({ items: z.array(Notification) }).meta({ id: 'NotificationList' }) } },
    errors: [401, 404, 422],
  }),

  previewNotificationTemplate: defineOperation({
    operationId: 'previewNotificationTemplate',
    method: 'GET',
    path: '/v1/notifications/templates/{type}/preview',
    auth: 'bearer',
    summary: 'A customer e-mail template rendered with sample data',
    description:
      'Renders one message type (subject, HTML part, plain-text part) in a locale with invented sample data, the merchant\'s name (SELLER_NAME) and support address (SUPPORT_EMAIL). A well-formed locale the OMS has no wording for falls back to the merchant\'s default (DEFAULT_LOCALE), then English, and names the requested one in `fallbackFrom`; a value that is not a language tag is a 422.',
    tags: ['Notifications'],
    params: z.object({ type: z.string().min(1).max(64).meta({ description: 'A message type: order_confirmed, backordered, shipped, out_for_delivery, delivered, cancelled, return_approved, return_received, refund_issued, exchange_shipped.', example: 'shipped' }) }),
    query: z.object({ locale: z.string().min(1).max(35).optional().meta({ description: 'BCP 47 language tag (en, de-DE, fr). Default: the merchant\'s default locale.', example: 'de' }) }),
    responses: {
      200: {
        description: 'The rendered message.',
        schema: z
          .object({
            subject: z.string(),
            html: z.string().meta({ description: 'The HTML part: inline styles only, no remote images, every value escaped.' }),
            text: z.string().meta({ description: 'The plain-text part.' }),
            locale: z.enum(['en', 'de', 'fr']).meta({ description: 'The locale the message is written in.' }),
            fallbackFrom: z.string().optional().meta({ description: 'Present when the requested locale has no wording: the locale that was asked for.' }),
            supportedLocales: z.array(z.string()),
          })
          .meta({ id: 'NotificationPreview' }),
      },
    },
    errors: [401, 404, 422],
  }),

  receiveWebhook: defineOperation({
    operationId: 'receiveWebhook',
    method: 'POST',
    path: '/webhooks/{channelId}',
    auth: 'none',
    summary: 'Order webhooks from Shopify and WooCommerce',
    description:
      'Authenticated by the channel\'s signature (X-Shopify-Hmac-Sha256 / X-WC-Webhook-Signature: exactly the padded standard base64 of the HMAC-SHA256 of the raw body). A Shopify delivery must also name the channel\'s shop in X-Shopify-Shop-Domain (case-insensitive), or it is a 401. Answered once the raw delivery is durably stored; the order is captured right after, from a queue. The same signed body is stored once, whatever its delivery id: the channel\'s retries and a replay of a captured delivery under a new X-Shopify-Webhook-Id / X-WC-Webhook-Delivery-ID are answered `duplicate` and write nothing; other topics and WooCommerce pings are acknowledged and ignored. An unknown channel, a channel that takes no webhooks and a wrong signature get the same 401 and body, so a caller without the secret cannot tell which channels exist.',
    tags: ['Webhooks'],
    params: z.object({ channelId: z.string() }),
    responses: {
      200: {
        description: 'Stored (or already stored, or not an order topic).',
        schema: z
          .object({
            outcome: z.enum(['stored', 'duplicate', 'ping', 'ignored']),
            deliveryId: z.string().optional(),
            topic: z.string().optional(),
          })
          .meta({ id: 'WebhookReceipt' }),
      },
    },
    errors: [400, 401, 404, 413, 422],
  }),

  placeOrder: defineOperation({
    operationId: 'placeOrder',
    method: 'POST',
    path: '/v1/orders',
    auth: 'bearer',
    scope: 'orders:write',
    summary: 'Place an order from a POS or the web store',
    description:
      'Requires an `Idempotency-Key` header: the same key and body answer the first result again — the same status and the same body, byte for byte; the same key with another body is a 409. Amounts are integer minor units.',
    tags: ['Orders'],
    headers: z.object({
      'idempotency-key': z
        .string()
        .min(1)
        .max(255)
        .meta({
          description:
            'Unique per order attempt; retries reuse it. Kept 24 hours. 1-255 visible ASCII characters (`!` to `~`: letters, digits, punctuation; no spaces or control characters): a longer key is a 422, any other character a 400. It is also the order\'s `externalOrderId` unless the body gives one.',
          example: 'till-42-0001',
          pattern: '^[!-~]+$',
        }),
    }),
    body: ApiOrderInput,
    responses: {
      201: { description: 'Created.', schema: OrderEnvelope },
      200: { description: 'The order already existed (the same `externalOrderId` under another key).', schema: OrderEnvelope },
    },
    errors: [400, 401, 409, 413, 422],
  }),
  listOrders: defineOperation({
    operationId: 'listOrders',
    method: 'GET',
    path: '/v1/orders',
    auth: 'bearer',
    summary: 'List orders, newest first',
    description: 'Served by month-bucketed, sharded indexes (never a scan). `from`/`to` bound the placement time; `from` defaults to 90 days before `to` (default now).',
    tags: ['Orders'],
    query: ListQuery.extend({
      channelId: z.string().min(1).max(64).optional(),
      status: OrderStatus.optional(),
      from: z.iso.datetime().optional().meta({ description: 'Placed at or after (ISO instant).' }),
      to: z.iso.datetime().optional().meta({ description: 'Placed at or before (ISO instant).' }),
      channelSync: z
        .literal('failed')
        .optional()
        .meta({ description: '`failed`: orders whose channel was not told something (a shipment, cancellation or refund write-back failed), newest failure first; read each at GET /v1/orders/{orderId}/channel-sync. Not combined with the other filters.' }),
    }),
    responses: { 200: { description: 'One page of orders (without lines).', schema: pageOf(OrderSummary, 'OrderPage') } },
    errors: [401, 422],
  }),
  getOrder: defineOperation({
    operationId: 'getOrder',
    method: 'GET',
    path: '/v1/orders/{orderId}',
    auth: 'bearer',
    summary: 'Read an order with its lines',
    tags: ['Orders'],
    params: z.object({ orderId: OrderId }),
    responses: { 200: { description: 'The order.', schema: Order } },
    errors: [401, 404],
  }),
  getOrderTimeline: defineOperation({
    operationId: 'getOrderTimeline',
    method: 'GET',
    path: '/v1/orders/{orderId}/timeline',
    auth: 'bearer',
    summary: "An order's timeline: every step, who or what did it, when",
    tags: ['Orders'],
    params: z.object({ orderId: OrderId }),
    query: ListQuery,
    responses: { 200: { description: 'Oldest first.', schema: pageOf(TimelineEntry, 'TimelinePage') } },
    errors: [401, 404, 422],
  }),
  getOrderSource: defineOperation({
    operationId: 'getOrderSource',
    method: 'GET',
    path: '/v1/orders/{orderId}/source',
    auth: 'bearer',
    summary: 'Every raw delivery that carried the order (webhooks, polls, API calls)',
    tags: ['Orders'],
    params: z.object({ orderId: OrderId }),
    query: ListQuery,
    responses: { 200: { description: 'Oldest first.', schema: OrderSourcePage } },
    errors: [401, 404, 422],
  }),
  ...returnOperations,
  ...exchangeOperations,
  ...channelSyncOperations,
  ...customerOperations,
  ...identityOperations,
};

export type OperationId = keyof typeof operations;
