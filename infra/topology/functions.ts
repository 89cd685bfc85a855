import { operations } from '#shared/http/operations.ts';
import type { Operation } from '#shared/http/operation.ts';
import { leadingKeyPatterns } from '#shared/store/keys.ts';

/**
 * Every Lambda function of the OMS, described once. The stateless stack
 * deploys one function per entry (with the permissions listed in `access`);
 * the local runtime imports the same `entry` module and calls its `handler`.
 */
export type Access =
  | 'table:read'
  | 'table:write'
  | 'mail:send'
  /** Start a poll of a channel (invoke the poll function asynchronously). */
  | 'poll:start'
  /** Create, update and delete the per-channel poll schedules. */
  | 'schedules:manage'
  /** Send transactional SMS (SNS Publish to phone numbers). */
  | 'sms:send'
  /** Read the carrier webhook signing secrets (the sandbox carriers' and, with EasyPost, EasyPost's). */
  | 'carrier:secret'
  /** Call the carrier platform (rate, buy and void labels): with EasyPost, read its API key (docs/carriers.md). */
  | 'carrier:api'
  /** Put label documents into the document bucket. */
  | 'documents:write'
  /** Read label documents from the document bucket (the label endpoints answer them). */
  | 'documents:read'
  /** Read the payment provider's secrets (Stripe secret key, webhook signing secret). */
  | 'payment:secret'
  /** Open channel secrets (KMS Decrypt with the channel-secrets key): the functions that call channels or verify their webhooks. */
  | 'channel:secrets'
  /** Seal channel secrets (KMS GenerateDataKey and Decrypt with the channel-secrets key): the channel PUT. */
  | 'channel:secrets:write'
  /** Receive and delete the capture queue's dead letters (CAPTURE_DLQ_URL): the reconciler captures them again. */
  | 'capture:deadLetters';

export interface FunctionSpec {
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  /** HTTP functions serve exactly one operation of the API contract. */
  http?: Operation;
  access: Access[];
  /**
   * Partition key patterns (IAM `dynamodb:LeadingKeys`, `*` a wildcard) the
   * function's table access is limited to: it may read `read` and `write`
   * items, and write only `write` items, of the table itself (no index).
   * For public webhook functions (docs/security.md); every key when absent.
   */
  tableKeys?: { read: readonly string[]; write: readonly string[] };
  memoryMb?: number;
  timeoutSeconds?: number;
}

export const functions = {
  health: { entry: 'functions/system/health.ts', description: 'GET /health', http: operations.getHealth, access: [] },
  openApi: {
    entry: 'functions/system/openapi.ts',
    description: 'GET /openapi.json',
    http: operations.getOpenApi,
    access: [],
  },
  routeNotFound: {
    entry: 'functions/system/route-not-found.ts',
    description: 'JSON 404 for unknown routes',
    http: operations.routeNotFound,
    access: [],
  },
  putLocation: {
    entry: 'functions/locations/put-location.ts',
    description: 'PUT /v1/locations/{locationId}',
    http: operations.putLocation,
    access: ['table:write'],
  },
  getLocation: {
    entry: 'functions/locations/get-location.ts',
    description: 'GET /v1/locations/{locationId}',
    http: operations.getLocation,
    access: ['table:read'],
  },
  listLocations: {
    entry: 'functions/locations/list-locations.ts',
    description: 'GET /v1/locations',
    http: operations.listLocations,
    access: ['table:read'],
  },
  putChannel: {
    entry: 'functions/channels/put-channel.ts',
    description: 'PUT /v1/channels/{channelId}',
    http: operations.putChannel,
    access: ['table:write', 'channel:secrets:write'],
  },
  getChannel: {
    entry: 'functions/channels/get-channel.ts',
    description: 'GET /v1/channels/{channelId}',
    http: operations.getChannel,
    access: ['table:read'],
  },
  listChannels: {
    entry: 'functions/channels/list-channels.ts',
    description: 'GET /v1/channels',
    http: operations.listChannels,
    access: ['table:read'],
  },
  publishOutboxEvents: {
    entry: 'functions/outbox/publish-outbox-events.ts',
    description: 'Outbox pipe enrichment: stored outbox items to bus entries',
    access: [],
  },
  assessLocationReadiness: {
    entry: 'functions/workflows/assess-location-readiness.ts',
    description: 'location-readiness workflow: assess and record readiness',
    access: ['table:write'],
  },
  notifyLocationNeedsAttention: {
    entry: 'functions/workflows/notify-location-needs-attention.ts',
    description: 'location-readiness workflow: e-mail operations',
    access: ['mail:send'],
  },
  sendOpsDigest: {
    entry: 'functions/ops/send-ops-digest.ts',
    description: 'Daily operations digest e-mail',
    access: ['table:read', 'mail:send'],
  },
  reconcileOrders: {
    entry: 'functions/ops/reconcile-orders.ts',
    description: 'Every 5 minutes: deliveries whose capture dead-lettered are captured again; orders stuck received, reserved or shipped without an invoice are driven on (each recovery on the timeline)',
    access: ['table:write', 'payment:secret', 'carrier:api', 'documents:write', 'capture:deadLetters'],
    timeoutSeconds: 300,
  },

  receiveWebhook: {
    entry: 'functions/webhooks/receive-webhook.ts',
    description: 'POST /webhooks/{channelId}: verify, validate, store in the inbox',
    http: operations.receiveWebhook,
    access: ['table:write', 'channel:secrets'],
    // Public: reads its channel (and sealed secrets), writes only the inbox item of the delivery (or the compliance request of a Shopify privacy webhook).
    tableKeys: { read: [leadingKeyPatterns.channel], write: [leadingKeyPatterns.inbox, leadingKeyPatterns.compliance] },
  },
  receiveShopifyEvent: {
    entry: 'functions/webhooks/receive-shopify-event.ts',
    description: 'Shopify webhooks from an EventBridge partner event source',
    access: ['table:write'],
  },
  captureDeliveries: {
    entry: 'functions/orders/capture-deliveries.ts',
    description: 'Capture queue consumer: stored deliveries to canonical orders',
    access: ['table:write'],
    timeoutSeconds: 30,
  },
  placeOrder: {
    entry: 'functions/orders/place-order.ts',
    description: 'POST /v1/orders (POS, web store)',
    http: operations.placeOrder,
    access: ['table:write'],
  },
  listOrders: { entry: 'functions/orders/list-orders.ts', description: 'GET /v1/orders', http: operations.listOrders, access: ['table:read'] },
  getOrder: { entry: 'functions/orders/get-order.ts', description: 'GET /v1/orders/{orderId}', http: operations.getOrder, access: ['table:read'] },
  getOrderTimeline: {
    entry: 'functions/orders/get-order-timeline.ts',
    description: 'GET /v1/orders/{orderId}/timeline',
    http: operations.getOrderTimeline,
    access: ['table:read'],
  },
  getOrderSource: {
    entry: 'functions/orders/get-order-source.ts',
    description: 'GET /v1/orders/{orderId}/source',
    http: operations.getOrderSource,
    access: ['table:read'],
  },
  getChannelOrder: {
    entry: 'functions/channels/get-channel-order.ts',
    description: 'GET /v1/channels/{channelId}/orders/{externalOrderId}',
    http: operations.getChannelOrder,
    access: ['table:read'],
  },
  putListing: {
    entry: 'functions/channels/put-listing.ts',
    description: 'PUT /v1/channels/{channelId}/listings/{sku}',
    http: operations.putListing,
    access: ['table:write'],
  },
  getListing: {
    entry: 'functions/channels/get-listing.ts',
    description: 'GET /v1/channels/{channelId}/listings/{sku}',
    http: operations.getListing,
    access: ['table:read'],
  },
  listListings: {
    entry: 'functions/channels/list-listings.ts',
    description: 'GET /v1/channels/{channelId}/listings',
    http: operations.listListings,
    access: ['table:read'],
  },
  deleteListing: {
    entry: 'functions/channels/delete-listing.ts',
    description: 'DELETE /v1/channels/{channelId}/listings/{sku}',
    http: operations.deleteListing,
    access: ['table:write'],
  },
  requestChannelSync: {
    entry: 'functions/channels/request-sync.ts',
    description: 'POST /v1/channels/{channelId}/sync',
    http: operations.requestChannelSync,
    access: ['table:read', 'poll:start'],
  },
  getChannelSync: {
    entry: 'functions/channels/get-sync.ts',
    description: 'GET /v1/channels/{channelId}/sync',
    http: operations.getChannelSync,
    access: ['table:read'],
  },
  pollChannel: {
    entry: 'functions/channels/poll-channel.ts',
    description: 'Poll a marketplace (Amazon SP-API, eBay) into the inbox',
    access: ['table:write', 'channel:secrets'],
    timeoutSeconds: 300,
  },
  postMovements: {
    entry: 'functions/inventory/post-movements.ts',
    description: 'POST /v1/inventory/movements',
    http: operations.postMovements,
    access: ['table:write'],
    timeoutSeconds: 29,
  },
  getSkuInventory: {
    entry: 'functions/inventory/get-sku-inventory.ts',
    description: 'GET /v1/inventory/{sku}',
    http: operations.getSkuInventory,
    access: ['table:read'],
  },
  listInventory: { entry: 'functions/inventory/list-inventory.ts', description: 'GET /v1/inventory', http: operations.listInventory, access: ['table:read'] },
  listMovements: {
    entry: 'functions/inventory/list-movements.ts',
    description: 'GET /v1/inventory/{sku}/movements',
    http: operations.listMovements,
    access: ['table:read'],
  },
  putSkuPolicy: {
    entry: 'functions/inventory/put-sku-policy.ts',
    description: 'PUT /v1/inventory/{sku}/policy',
    http: operations.putSkuPolicy,
    access: ['table:write'],
  },
  getOrderReservation: {
    entry: 'functions/orders/get-order-reservation.ts',
    description: 'GET /v1/orders/{orderId}/reservation',
    http: operations.getOrderReservation,
    access: ['table:read'],
  },
  recordShipment: {
    entry: 'functions/orders/record-shipment.ts',
    description: 'POST /v1/orders/{orderId}/shipments',
    http: operations.recordShipment,
    access: ['table:write'],
  },
  cancelOrder: { entry: 'functions/orders/cancel-order.ts', description: 'POST /v1/orders/{orderId}/cancel', http: operations.cancelOrder, access: ['table:write', 'carrier:api'] },
  editOrder: { entry: 'functions/orders/edit-order.ts', description: 'PATCH /v1/orders/{orderId}', http: operations.editOrder, access: ['table:write', 'carrier:api'] },
  holdOrder: { entry: 'functions/orders/hold-order.ts', description: 'POST /v1/orders/{orderId}/hold', http: operations.holdOrder, access: ['table:write'] },
  releaseOrderHold: { entry: 'functions/orders/release-order-hold.ts', description: 'POST /v1/orders/{orderId}/release', http: operations.releaseOrderHold, access: ['table:write'] },
  reserveOrder: {
    entry: 'functions/inventory/reserve-order.ts',
    description: 'Reserve stock for a received order (OrderReceived)',
    access: ['table:write'],
    timeoutSeconds: 30,
  },
  releaseOrder: {
    entry: 'functions/inventory/release-order.ts',
    description: 'Release the stock of a cancelled order (OrderCancelled)',
    access: ['table:write'],
  },
  refundOrderChange: {
    entry: 'functions/orders/refund-order-change.ts',
    description: 'Record what a channel-paid order that now costs less owes at the channel (OrderLinesCancelled, OrderEdited)',
    access: ['table:write', 'payment:secret'],
  },
  reserveWaitingOrders: {
    entry: 'functions/inventory/reserve-waiting-orders.ts',
    description: 'Serve backordered orders when a SKU becomes available again',
    access: ['table:write'],
    timeoutSeconds: 60,
  },
  sweepReservations: {
    entry: 'functions/inventory/sweep-reservations.ts',
    description: 'Release lapsed reservations of unpaid orders',
    access: ['table:write', 'payment:secret'],
    timeoutSeconds: 120,
  },
  publishStockChanges: {
    entry: 'functions/inventory/publish-stock-changes.ts',
    description: 'Stock pipe enrichment: position changes to AvailabilityChanged',
    access: [],
  },
  pushAvailability: {
    entry: 'functions/inventory/push-availability.ts',
    description: 'Availability queue consumer: available-to-sell figures to the channels that list a SKU',
    access: ['table:write', 'channel:secrets'],
    timeoutSeconds: 120,
  },
  getOrderChannelSync: {
    entry: 'functions/orders/get-order-channel-sync.ts',
    description: 'GET /v1/orders/{orderId}/channel-sync',
    http: operations.getOrderChannelSync,
    access: ['table:read'],
  },
  createApiKey: {
    entry: 'functions/identity/create-api-key.ts',
    description: 'POST /v1/api-keys',
    http: operations.createApiKey,
    access: ['table:write'],
  },
  listApiKeys: {
    entry: 'functions/identity/list-api-keys.ts',
    description: 'GET /v1/api-keys',
    http: operations.listApiKeys,
    access: ['table:read'],
  },
  revokeApiKey: {
    entry: 'functions/identity/revoke-api-key.ts',
    description: 'DELETE /v1/api-keys/{keyId}',
    http: operations.revokeApiKey,
    access: ['table:write'],
  },
  retryOrderChannelSync: {
    entry: 'functions/orders/retry-order-channel-sync.ts',
    description: 'POST /v1/orders/{orderId}/channel-sync/{actionId}/retry',
    http: operations.retryOrderChannelSync,
    access: ['table:write', 'channel:secrets'],
  },
  writeBack: {
    entry: 'functions/channels/write-back.ts',
    description: 'Write-back queue consumer: shipments, cancellations and refunds told to the channel each order came from',
    access: ['table:write', 'channel:secrets'],
    timeoutSeconds: 120,
  },
  schedulePolls: {
    entry: 'functions/channels/schedule-polls.ts',
    description: 'Keep per-channel poll schedules in step with ChannelChanged',
    access: ['schedules:manage'],
  },

  putRoutingRules: {
    entry: 'functions/routing/put-routing-rules.ts',
    description: 'PUT /v1/routing-rules/{ruleSetId}',
    http: operations.putRoutingRules,
    access: ['table:write'],
  },
  getRoutingRules: {
    entry: 'functions/routing/get-routing-rules.ts',
    description: 'GET /v1/routing-rules/{ruleSetId}',
    http: operations.getRoutingRules,
    access: ['table:read'],
  },
  listRoutingRules: { entry: 'functions/routing/list-routing-rules.ts', description: 'GET /v1/routing-rules', http: operations.listRoutingRules, access: ['table:read'] },
  previewRouting: { entry: 'functions/routing/preview-routing.ts', description: 'POST /v1/routing/preview', http: operations.previewRouting, access: ['table:read'] },
  getOrderRouting: {
    entry: 'functions/orders/get-order-routing.ts',
    description: 'GET /v1/orders/{orderId}/routing',
    http: operations.getOrderRouting,
    access: ['table:read'],
  },
  listFulfillments: { entry: 'functions/fulfillment/list-fulfillments.ts', description: 'GET /v1/fulfillments', http: operations.listFulfillments, access: ['table:read', 'documents:read'] },
  getFulfillment: {
    entry: 'functions/fulfillment/get-fulfillment.ts',
    description: 'GET /v1/fulfillments/{fulfillmentId}',
    http: operations.getFulfillment,
    access: ['table:read', 'documents:read'],
  },
  postFulfillmentEvent: {
    entry: 'functions/fulfillment/post-fulfillment-event.ts',
    description: 'POST /v1/fulfillments/{fulfillmentId}/events',
    http: operations.postFulfillmentEvent,
    access: ['table:write', 'documents:read'],
    timeoutSeconds: 29,
  },
  receiveCarrierWebhook: {
    entry: 'functions/webhooks/receive-carrier-webhook.ts',
    description: 'POST /webhooks/carriers/{carrierId}: signed tracking updates',
    http: operations.receiveCarrierWebhook,
    access: ['table:write', 'carrier:secret'],
  },
  receiveEasyPostWebhook: {
    entry: 'functions/webhooks/receive-easypost-webhook.ts',
    description: 'POST /webhooks/carriers/easypost: signed EasyPost tracker events',
    http: operations.receiveEasyPostWebhook,
    access: ['table:write', 'carrier:secret'],
  },
  receiveStripeWebhook: {
    entry: 'functions/webhooks/receive-stripe-webhook.ts',
    description: 'POST /webhooks/payments/stripe: signed Stripe payment events',
    http: operations.receiveStripeWebhook,
    access: ['table:write', 'payment:secret'],
  },
  getInvoice: { entry: 'functions/invoices/get-invoice.ts', description: 'GET /v1/invoices/{invoiceId}', http: operations.getInvoice, access: ['table:read'] },
  listInvoices: { entry: 'functions/invoices/list-invoices.ts', description: 'GET /v1/invoices', http: operations.listInvoices, access: ['table:read'] },
  createRefund: {
    entry: 'functions/refunds/create-refund.ts',
    description: 'POST /v1/orders/{orderId}/refunds (goodwill)',
    http: operations.createRefund,
    access: ['table:write', 'payment:secret'],
    timeoutSeconds: 30,
  },
  listRefunds: { entry: 'functions/refunds/list-refunds.ts', description: 'GET /v1/orders/{orderId}/refunds', http: operations.listRefunds, access: ['table:read'] },
  getCreditNote: { entry: 'functions/refunds/get-credit-note.ts', description: 'GET /v1/credit-notes/{creditNoteId}', http: operations.getCreditNote, access: ['table:read'] },
  listCreditNotes: { entry: 'functions/refunds/list-credit-notes.ts', description: 'GET /v1/credit-notes', http: operations.listCreditNotes, access: ['table:read'] },
  listNotifications: {
    entry: 'functions/notifications/list-notifications.ts',
    description: 'GET /v1/notifications',
    http: operations.listNotifications,
    access: ['table:read'],
  },
  previewNotificationTemplate: {
    entry: 'functions/notifications/preview-template.ts',
    description: 'GET /v1/notifications/templates/{type}/preview',
    http: operations.previewNotificationTemplate,
    access: [],
  },
  receiveSesFeedback: {
    entry: 'functions/notifications/receive-ses-feedback.ts',
    description: 'SES bounces and complaints (SNS → feedback queue): order timeline and suppressed addresses',
    access: ['table:write'],
  },
  confirmPayment: {
    entry: 'functions/workflows/confirm-payment.ts',
    description: 'fulfillOrder workflow: authorize the payment or record the channel payment',
    access: ['table:write', 'payment:secret'],
    timeoutSeconds: 30,
  },
  cancelUnpaidOrder: {
    entry: 'functions/workflows/cancel-unpaid-order.ts',
    description: 'fulfillOrder workflow: cancel an order whose payment was declined',
    access: ['table:write'],
  },
  createFulfillments: {
    entry: 'functions/workflows/create-fulfillments.ts',
    description: 'fulfillOrder workflow: fulfillments per location with carrier labels',
    access: ['table:write', 'carrier:api', 'documents:write'],
    timeoutSeconds: 60,
  },
  capturePayment: {
    entry: 'functions/workflows/capture-payment.ts',
    description: 'completeShipment workflow: capture the shipped share',
    access: ['table:write', 'payment:secret'],
    timeoutSeconds: 30,
  },
  issueInvoice: {
    entry: 'functions/workflows/issue-invoice.ts',
    description: 'completeShipment workflow: issue the invoice',
    access: ['table:write'],
    timeoutSeconds: 30,
  },
  notifyCustomer: {
    entry: 'functions/workflows/notify-customer.ts',
    description: 'Customer e-mail and SMS, once per template and what caused it (workflows and event rules)',
    access: ['table:write', 'mail:send', 'sms:send'],
    timeoutSeconds: 30,
  },
  rerouteFulfillment: {
    entry: 'functions/fulfillment/reroute-fulfillment.ts',
    description: 'Re-route the lines of a rejected or timed-out fulfillment',
    access: ['table:write'],
    timeoutSeconds: 30,
  },
  cancelFulfillments: {
    entry: 'functions/fulfillment/cancel-fulfillments.ts',
    description: 'Cancel open fulfillments and void the authorization of a cancelled order',
    access: ['table:write', 'payment:secret', 'carrier:api'],
    timeoutSeconds: 30,
  },
  applyWmsReport: {
    entry: 'functions/fulfillment/apply-wms-report.ts',
    description: 'FulfillmentReported from a WMS on the bus: apply the location report',
    access: ['table:write'],
    timeoutSeconds: 29,
  },
  expireFulfillments: {
    entry: 'functions/fulfillment/expire-fulfillments.ts',
    description: 'Time out fulfillments not accepted by their deadline',
    access: ['table:write'],
    timeoutSeconds: 120,
  },
  putReturnPolicy: { entry: 'functions/returns/put-return-policy.ts', description: 'PUT /v1/return-policies/{policyId}', http: operations.putReturnPolicy, access: ['table:write'] },
  getReturnPolicy: { entry: 'functions/returns/get-return-policy.ts', description: 'GET /v1/return-policies/{policyId}', http: operations.getReturnPolicy, access: ['table:read'] },
  requestReturn: { entry: 'functions/returns/request-return.ts', description: 'POST /v1/orders/{orderId}/returns', http: operations.requestReturn, access: ['table:write'] },
  listReturns: { entry: 'functions/returns/list-returns.ts', description: 'GET /v1/returns', http: operations.listReturns, access: ['table:read'] },
  getReturn: { entry: 'functions/returns/get-return.ts', description: 'GET /v1/returns/{returnId}', http: operations.getReturn, access: ['table:read', 'documents:read'] },
  approveReturn: { entry: 'functions/returns/approve-return.ts', description: 'POST /v1/returns/{returnId}/approve', http: operations.approveReturn, access: ['table:write'] },
  rejectReturn: { entry: 'functions/returns/reject-return.ts', description: 'POST /v1/returns/{returnId}/reject', http: operations.rejectReturn, access: ['table:write'] },
  receiveReturn: { entry: 'functions/returns/receive-return.ts', description: 'POST /v1/returns/{returnId}/receipt', http: operations.receiveReturn, access: ['table:write'] },
  createReturnLabel: { entry: 'functions/returns/create-return-label.ts', description: 'returnApproved workflow: the return label', access: ['table:write', 'carrier:api', 'documents:write'], timeoutSeconds: 30 },
  notifyReturn: {
    entry: 'functions/returns/notify-return.ts',
    description: 'Return workflows: return approved (with the label) and return received messages, once each',
    access: ['table:write', 'mail:send', 'sms:send'],
    timeoutSeconds: 30,
  },
  settleReturn: {
    entry: 'functions/returns/settle-return.ts',
    description: 'returnReceived workflow: restock resellable units, write off damaged ones, refund what came back and close, one write of the return',
    access: ['table:write', 'payment:secret'],
    timeoutSeconds: 60,
  },
  expireReturns: { entry: 'functions/returns/expire-returns.ts', description: 'Expire approved returns not sent back in time', access: ['table:write'], timeoutSeconds: 120 },
  createExchange: { entry: 'functions/exchanges/create-exchange.ts', description: 'ReturnApproved (exchange): create the replacement order', access: ['table:write'], timeoutSeconds: 30 },
  createClaim: { entry: 'functions/exchanges/create-claim.ts', description: 'POST /v1/orders/{orderId}/claims', http: operations.createClaim, access: ['table:write', 'payment:secret'], timeoutSeconds: 30 },
  listClaims: { entry: 'functions/exchanges/list-claims.ts', description: 'GET /v1/orders/{orderId}/claims', http: operations.listClaims, access: ['table:read'] },
  resolveClaim: { entry: 'functions/exchanges/resolve-claim.ts', description: 'POST /v1/orders/{orderId}/claims/{claimId}/resolve', http: operations.resolveClaim, access: ['table:write', 'payment:secret'], timeoutSeconds: 30 },
  openCarrierClaim: { entry: 'functions/exchanges/open-carrier-claim.ts', description: 'ShipmentTrackingUpdated (exception, lost): open one claim per parcel for staff', access: ['table:write'] },
  listStoreCredits: { entry: 'functions/exchanges/list-store-credits.ts', description: 'GET /v1/store-credits', http: operations.listStoreCredits, access: ['table:read'] },
  findCustomer: { entry: 'functions/customers/find-customer.ts', description: 'GET /v1/customers', http: operations.findCustomer, access: ['table:read'] },
  listCustomerOrders: { entry: 'functions/customers/list-customer-orders.ts', description: 'GET /v1/customers/{customerId}/orders', http: operations.listCustomerOrders, access: ['table:read'] },
  exportCustomer: { entry: 'functions/customers/export-customer.ts', description: 'GET /v1/customers/{customerId}/export', http: operations.exportCustomer, access: ['table:read'], timeoutSeconds: 30 },
  eraseCustomer: { entry: 'functions/customers/erase-customer.ts', description: 'POST /v1/customers/{customerId}/erase', http: operations.eraseCustomer, access: ['table:write'], timeoutSeconds: 60 },
  handleComplianceRequests: {
    entry: 'functions/channels/handle-compliance-requests.ts',
    description: 'Compliance queue consumer: Shopify privacy requests (data request, customer and shop redaction) acted on',
    // Erases orders' personal data; a shop redaction also deletes the channel's sealed secrets (no KMS needed to delete).
    access: ['table:write'],
    timeoutSeconds: 120,
  },
  listComplianceRequests: {
    entry: 'functions/channels/list-compliance-requests.ts',
    description: 'GET /v1/channels/{channelId}/compliance-requests',
    http: operations.listComplianceRequests,
    access: ['table:read'],
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;

export const functionNames = Object.keys(functions) as FunctionName[];

/** Functions that serve an HTTP route, with their operation. */
export function httpFunctions(): { name: FunctionName; operation: Operation }[] {
  return functionNames.flatMap((name) => {
    const spec: FunctionSpec = functions[name];
    return spec.http ? [{ name, operation: spec.http }] : [];
  });
}
