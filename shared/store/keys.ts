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

import { createHash } from 'node:crypto';

/** How many shards each order list index partition is spread over (one index partition takes ~1,000 writes/s). */
export const ORDER_INDEX_SHARDS = 4;
export const ORDER_LINES_PER_ITEM = 50;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Shard of an order: from the last (random) character of its ULID, so shards fill evenly. */
export function orderShard(orderId: string): number {
  return Math.max(0, CROCKFORD.indexOf(orderId.at(-1)?.toUpperCase() ?? '0')) % ORDER_INDEX_SHARDS;
}

function stockPartition(sku: string, shard: number): string {
  return shard === 0 ? `STOCK#${sku}` : `STOCK#${sku}#S${shard}`;
}

/** Short stable digest for caller-supplied values used inside keys. */
export function hash(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 32);
}

export interface ItemKey {
  PK: string;
  SK: string;
}


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

  /** An API key: its hash, scopes and limits (never the secret). */
  apiKey: (keyId: string): ItemKey => ({ PK: `APIKEY#${keyId}`, SK: 'APIKEY' }),
  /** GSI1: all API keys, by id (a few per till, WMS and person, written by administrators). */
  apiKeyList: (keyId: string) => ({ GSI1PK: 'APIKEYS', GSI1SK: keyId }),
  apiKeyListPartition: 'APIKEYS',

  /** The order aggregate: header, line chunks, reservations, shipments, timeline and sources share one partition. */
  order: (orderId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: 'ORDER' }),
  orderPartition: (orderId: string): string => `ORDER#${orderId}`,
  /** Lines in chunks of ORDER_LINES_PER_ITEM, so a status change rewrites only the small header. */
  orderLines: (orderId: string, chunk: number): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `LINES#${String(chunk).padStart(4, '0')}`,
  }),
  /** Header and line chunks sort together (`LINES#…` < `ORDER`): one Query reads the order. */
  orderBodyRange: { from: 'LINES#', to: 'ORDER' },
  timelineEntry: (orderId: string, at: string, entryId: string): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `TIMELINE#${at}#${entryId}`,
  }),
  timelinePrefix: 'TIMELINE#',
  /** Every delivery (webhook, poll, API call) that carried this order, raw. */
  orderSource: (orderId: string, receivedAt: string, deliveryHash: string): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `SOURCE#${receivedAt}#${deliveryHash}`,
  }),
  sourcePrefix: 'SOURCE#',
  shipment: (orderId: string, shipmentId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `SHIPMENT#${shipmentId}` }),
  /** GSI2 of a shipment: the reconciler reads shipments by the hour they shipped (shipped but never invoiced), never scanning. */
  shipmentShipped: (shippedAt: string, orderId: string, shipmentId: string) => ({ GSI2PK: `SHIPPED#${shippedAt.slice(0, 13)}`, GSI2SK: `${shippedAt}#${orderId}#${shipmentId}` }),
  /** The GSI2 partition of the shipments shipped in `hour` (`YYYY-MM-DDTHH`). */
  shippedPartition: (hour: string): string => `SHIPPED#${hour}`,
  /**
   * GSI1/GSI2/GSI3 of an order header: all orders, a channel's orders, orders
   * in a status; each bucketed by the month the order was placed and spread
   * over ORDER_INDEX_SHARDS shards, sorted by placement time.
   */
  orderIndexes: (order: { orderId: string; channelId: string; status: string; placedAt: string }) => {
    const sortKey = `${order.placedAt}#${order.orderId}`;
    const bucket = `${order.placedAt.slice(0, 7)}#${orderShard(order.orderId)}`;
    return {
      GSI1PK: `ORDERS#${bucket}`,
      GSI1SK: sortKey,
      GSI2PK: `CHANNEL#${order.channelId}#ORDERS#${bucket}`,
      GSI2SK: sortKey,
      GSI3PK: `STATUS#${order.status}#${bucket}`,
      GSI3SK: sortKey,
    };
  },
  /** The index partition that lists orders (optionally of one channel or status) placed in `month`, in `shard`. */
  orderListPartition: (filter: { channelId?: string | undefined; status?: string | undefined }, month: string, shard: number) => {
    const bucket = `${month}#${shard}`;
    if (filter.channelId) return { index: 'GSI2' as const, partition: `CHANNEL#${filter.channelId}#ORDERS#${bucket}` };
    if (filter.status) return { index: 'GSI3' as const, partition: `STATUS#${filter.status}#${bucket}` };
    return { index: 'GSI1' as const, partition: `ORDERS#${bucket}` };
  },

  /** One item per channel order: its conditional put is what makes capture exactly-once. */
  channelOrder: (channelId: string, externalOrderId: string): ItemKey => ({
    PK: `CHANNELORDER#${channelId}#${externalOrderId}`,
    SK: 'CHANNELORDER',
  }),

  /**
   * Stock of one SKU at one location. Shard 0 lives in the SKU's partition
   * (with its policy), so one Query reads a SKU's stock everywhere; in hot-SKU
   * mode shard k > 0 is a partition of its own (`STOCK#<sku>#S<k>`).
   */
  stockPosition: (sku: string, locationId: string, shard: number): ItemKey => ({
    PK: stockPartition(sku, shard),
    SK: `LOCATION#${locationId}`,
  }),
  stockPartition: (sku: string, shard: number): string => stockPartition(sku, shard),
  skuPolicy: (sku: string): ItemKey => ({ PK: stockPartition(sku, 0), SK: 'POLICY' }),
  /** GSI1: every SKU (and shard) stocked at a location, by SKU. */
  stockByLocation: (sku: string, locationId: string, shard: number) => ({
    GSI1PK: `LOCATIONSTOCK#${locationId}`,
    GSI1SK: `${sku}#${String(shard).padStart(2, '0')}`,
  }),
  stockByLocationPartition: (locationId: string): string => `LOCATIONSTOCK#${locationId}`,
  /** The append-only ledger, one partition per SKU shard (a hot SKU's ledger is as spread as its stock). */
  stockMovement: (sku: string, shard: number, at: string, movementId: string): ItemKey => ({
    PK: `MOVEMENTS#${sku}#${shard}`,
    SK: `${at}#${hash(movementId)}`,
  }),
  movementPartition: (sku: string, shard: number): string => `MOVEMENTS#${sku}#${shard}`,
  /** Ledger entries of one SKU shard recorded at `at` (then one per movement id and change). */
  movementsAtPrefix: (at: string): string => `${at}#`,
  /** One item per applied movement id: a retried movement is applied once. */
  movementApplied: (movementId: string): ItemKey => ({ PK: `MOVEMENT#${hash(movementId)}`, SK: 'MOVEMENT' }),

  /** What an order holds: allocations per position, backordered units, sold units. */
  reservation: (orderId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: 'RESERVATION' }),
  /** GSI2 of an unpaid order's reservation: the sweep finds lapsed ones by hour. */
  reservationExpiry: (orderId: string, paymentDueBy: string) => ({
    GSI2PK: `RESEXPIRY#${paymentDueBy.slice(0, 13)}`,
    GSI2SK: `${paymentDueBy}#${orderId}`,
  }),
  reservationExpiryPartition: (hour: string): string => `RESEXPIRY#${hour}`,
  /** Orders waiting for stock of a SKU, oldest first: receipts serve them in order. */
  waitingOrder: (sku: string, placedAt: string, orderId: string): ItemKey => ({ PK: `WAITING#${sku}`, SK: `${placedAt}#${orderId}` }),
  waitingPartition: (sku: string): string => `WAITING#${sku}`,
  /**
   * A channel's listing of a SKU, in the SKU's stock partition: the Query that
   * reads a SKU's stock also returns who sells it and what each was last sent.
   */
  listing: (sku: string, channelId: string): ItemKey => ({ PK: stockPartition(sku, 0), SK: `CHANNEL#${channelId}` }),
  /** The push state of a listing (last figure pushed, failures, lease): apart from the listing, so pushes never rewrite its index entry. */
  availabilityPush: (sku: string, channelId: string): ItemKey => ({ PK: stockPartition(sku, 0), SK: `CHANNEL#${channelId}#ATS` }),
  listingPrefix: 'CHANNEL#',
  /** GSI1: a channel's listings, by SKU. */
  listingByChannel: (channelId: string, sku: string) => ({ GSI1PK: `LISTINGS#${channelId}`, GSI1SK: sku }),
  listingByChannelPartition: (channelId: string): string => `LISTINGS#${channelId}`,

  /** A routing rule set (`default` or a channel id). */
  routingRuleSet: (ruleSetId: string): ItemKey => ({ PK: `ROUTING#${ruleSetId}`, SK: 'RULESET' }),
  /** GSI1: all rule sets, by id. */
  routingRuleSetList: (ruleSetId: string) => ({ GSI1PK: 'ROUTINGRULES', GSI1SK: ruleSetId }),
  routingRuleSetListPartition: 'ROUTINGRULES',
  /** GSI3 of a reservation whose routing rule cancels the order if still short by a deadline: the sweep finds them by hour. */
  shortDeadline: (orderId: string, cancelIfShortBy: string) => ({
    GSI3PK: `SHORTDUE#${cancelIfShortBy.slice(0, 13)}`,
    GSI3SK: `${cancelIfShortBy}#${orderId}`,
  }),
  shortDeadlinePartition: (hour: string): string => `SHORTDUE#${hour}`,

  /** What one location ships of an order (one parcel), in the order's partition. */
  fulfillment: (orderId: string, fulfillmentId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `FULFILLMENT#${fulfillmentId}` }),
  fulfillmentPrefix: 'FULFILLMENT#',
  /** GSI1 of an open fulfillment: a location's work queue, oldest first (removed once shipped, rejected, timed out or cancelled; a delivered one has long left). */
  openFulfillment: (locationId: string, createdAt: string, fulfillmentId: string) => ({
    GSI1PK: `OPENFULFILLMENTS#${locationId}`,
    GSI1SK: `${createdAt}#${fulfillmentId}`,
  }),
  openFulfillmentPartition: (locationId: string): string => `OPENFULFILLMENTS#${locationId}`,
  /** GSI2 of a fulfillment not yet accepted: the timeout sweep finds those past their deadline by hour. */
  acceptDue: (acceptBy: string, fulfillmentId: string) => ({ GSI2PK: `ACCEPTDUE#${acceptBy.slice(0, 13)}`, GSI2SK: `${acceptBy}#${fulfillmentId}` }),
  acceptDuePartition: (hour: string): string => `ACCEPTDUE#${hour}`,
  /** A carrier's tracking number → the fulfillment it labels (carrier webhooks name only the number). */
  trackingNumber: (carrierId: string, trackingNumber: string): ItemKey => ({ PK: `TRACKING#${carrierId}#${hash(trackingNumber)}`, SK: 'TRACKING' }),

  /** A return policy (`default` or a channel id). */
  returnPolicy: (policyId: string): ItemKey => ({ PK: `RETURNPOLICY#${policyId}`, SK: 'POLICY' }),
  /** GSI1: all return policies, by id. */
  returnPolicyList: (policyId: string) => ({ GSI1PK: 'RETURNPOLICIES', GSI1SK: policyId }),
  returnPolicyListPartition: 'RETURNPOLICIES',
  /** A return (RMA), in its order's partition (`RETURN#` sorts after `ORDER`, outside the order body range). */
  return: (orderId: string, returnId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `RETURN#${returnId}` }),
  returnPrefix: 'RETURN#',
  /** A return's label document (ZPL), written once beside the return (`RETURNLABEL#` sorts outside `begins_with RETURN#` and the order body range). */
  returnLabel: (orderId: string, returnId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `RETURNLABEL#${returnId}` }),
  /** One carrier scan of a return's label, put once (conditional: a repeated scan is a duplicate); `RETURNSCAN#` sorts outside `begins_with RETURN#` and the order body range. */
  returnScan: (orderId: string, returnId: string, occurredAt: string, status: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `RETURNSCAN#${returnId}#${occurredAt}#${status}` }),
  returnScanPrefix: (returnId: string): string => `RETURNSCAN#${returnId}#`,
  /** What an order's returns hold, per line, and how many returns it has: every return request is conditional on its version. */
  orderReturns: (orderId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: 'RETURNS' }),
  /**
   * GSI1/GSI3 of a return: all returns and returns in a status, bucketed by
   * the month they were requested and spread over the order's shard, sorted
   * by request time (like the order lists).
   */
  returnIndexes: (record: { orderId: string; returnId: string; status: string; requestedAt: string }) => {
    const sortKey = `${record.requestedAt}#${record.returnId}`;
    const bucket = `${record.requestedAt.slice(0, 7)}#${orderShard(record.orderId)}`;
    return { GSI1PK: `RETURNS#${bucket}`, GSI1SK: sortKey, GSI3PK: `RETURNSTATUS#${record.status}#${bucket}`, GSI3SK: sortKey };
  },
  /** The index partition listing returns (optionally in one status) requested in `month`, in `shard`. */
  returnListPartition: (status: string | undefined, month: string, shard: number) =>
    status ? { index: 'GSI3' as const, partition: `RETURNSTATUS#${status}#${month}#${shard}` } : { index: 'GSI1' as const, partition: `RETURNS#${month}#${shard}` },
  /** GSI2 of an approved return: the expiry sweep finds those not sent back by `receiveBy`, by hour. */
  returnDue: (receiveBy: string, returnId: string) => ({ GSI2PK: `RETURNDUE#${receiveBy.slice(0, 13)}`, GSI2SK: `${receiveBy}#${returnId}` }),
  returnDuePartition: (hour: string): string => `RETURNDUE#${hour}`,

  /**
   * An order's hold that ends by itself (`until`): one item per order, in its
   * partition, written and deleted in the transaction that places or releases
   * the hold. GSI2 files it by the hour it is due, so the sweep finds holds to
   * release with a query per hour, never a scan.
   */
  holdRelease: (orderId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: 'HOLDUNTIL' }),
  holdReleaseDue: (until: string, orderId: string) => ({ GSI2PK: `HOLDUNTIL#${until.slice(0, 13)}`, GSI2SK: `${until}#${orderId}` }),
  holdReleaseDuePartition: (hour: string): string => `HOLDUNTIL#${hour}`,

  /** How an order is paid: authorization, captures, or the channel's reference. */
  payment: (orderId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: 'PAYMENT' }),

  /** The next number of an invoice series: incremented in the transaction that stores the invoice (gap-free). */
  invoiceCounter: (series: string): ItemKey => ({ PK: `COUNTER#INVOICE#${series}`, SK: 'COUNTER' }),
  invoice: (invoiceId: string): ItemKey => ({ PK: `INVOICE#${invoiceId}`, SK: 'INVOICE' }),
  /** GSI1: an order's invoices, by id. */
  invoiceByOrder: (orderId: string, invoiceId: string) => ({ GSI1PK: `ORDERINVOICES#${orderId}`, GSI1SK: invoiceId }),
  invoiceByOrderPartition: (orderId: string): string => `ORDERINVOICES#${orderId}`,
  /** One invoice per subject (a shipment, or the whole order): its conditional put makes issuing exactly-once. */
  invoiceFor: (orderId: string, subject: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `INVOICEFOR#${subject}` }),

  /** A refund, in its order's partition, keyed by its idempotency key (`return:<id>`, `goodwill:<Idempotency-Key>`…): its conditional put makes a key refund once. */
  refund: (orderId: string, key: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `REFUND#${hash(key)}` }),
  refundPrefix: 'REFUND#',
  /** While a provider refund is pending (only then): filed by the hour the sweep should finish it (GSI2 `REFUNDPENDING#<hour>`, like ACCEPTDUE/HOLDUNTIL). */
  pendingRefundDue: (dueAt: string, orderId: string, refundId: string) => ({ GSI2PK: `REFUNDPENDING#${dueAt.slice(0, 13)}`, GSI2SK: `${dueAt}#${orderId}#${refundId}` }),
  pendingRefundDuePartition: (hour: string): string => `REFUNDPENDING#${hour}`,
  /** The next number of a credit note series (gap-free, its own counter beside the invoices'). */
  creditNoteCounter: (series: string): ItemKey => ({ PK: `COUNTER#CREDITNOTE#${series}`, SK: 'COUNTER' }),
  creditNote: (creditNoteId: string): ItemKey => ({ PK: `CREDITNOTE#${creditNoteId}`, SK: 'CREDITNOTE' }),
  /** GSI1: an order's credit notes, by id. */
  creditNoteByOrder: (orderId: string, creditNoteId: string) => ({ GSI1PK: `ORDERCREDITNOTES#${orderId}`, GSI1SK: creditNoteId }),
  creditNoteByOrderPartition: (orderId: string): string => `ORDERCREDITNOTES#${orderId}`,
  /** Store credit (a return's resolution `store_credit`), by its code; written in its refund's transaction (`attribute_not_exists`). */
  storeCredit: (code: string): ItemKey => ({ PK: `STORECREDIT#${code}`, SK: 'STORECREDIT' }),
  /** GSI1 of store credit: a customer's credits by e-mail (hashed, lower case), oldest first. */
  storeCreditByEmail: (email: string, issuedAt: string, code: string) => ({ GSI1PK: `STORECREDITS#${hash(email.toLowerCase())}`, GSI1SK: `${issuedAt}#${code}` }),
  storeCreditByEmailPartition: (email: string): string => `STORECREDITS#${hash(email.toLowerCase())}`,
  /** A channel write-back action of an order (its `channelSync` state), in the order's partition (`CHANNELSYNC#` sorts before `LINES#`, outside the order body range). */
  channelSyncAction: (orderId: string, actionId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `CHANNELSYNC#${actionId}` }),
  channelSyncPrefix: 'CHANNELSYNC#',
  /** GSI1 while a write-back action is failed (only then): GET /v1/orders?channelSync=failed, newest failure first. */
  channelSyncFailed: (failedAt: string, orderId: string, actionId: string) => ({ GSI1PK: 'CHANNELSYNCFAILED', GSI1SK: `${failedAt}#${orderId}#${actionId}` }),
  channelSyncFailedPartition: 'CHANNELSYNCFAILED',
  /** A claim (damaged or lost in transit), in its order's partition (`CLAIM#` sorts before `LINES#`, outside the order body range). */
  claim: (orderId: string, claimId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: `CLAIM#${claimId}` }),
  claimPrefix: 'CLAIM#',
  /** An order's claims ledger: units held per line and the claim each shipment's carrier scan opened; every claim is conditional on its version (`CLAIMS` sorts before `LINES#`, outside the order body range, and outside `begins_with CLAIM#`). */
  claimLedger: (orderId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: 'CLAIMS' }),

  /**
   * One customer message per (template, what it is about, channel): claimed
   * before sending, so it is sent once. (`TOCUSTOMER#` sorts after `ORDER`,
   * outside the order body range read by every order fetch.)
   */
  notification: (orderId: string, template: string, about: string, channel: string): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `TOCUSTOMER#${template}#${hash(about)}#${channel}`,
  }),
  notificationPrefix: 'TOCUSTOMER#',
  /** A customer message's recipient, subject and body, apart from its claim so they expire (TTL, NOTIFICATION_BODY_RETENTION_DAYS) while the claim stays; read with the claim (same prefix). */
  notificationBody: (orderId: string, template: string, about: string, channel: string): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `TOCUSTOMER#${template}#${hash(about)}#${channel}#BODY`,
  }),
  /** An e-mail SES accepted, by its SES message id: which order and message a bounce or complaint is about (written with the sent message, expires after a year). */
  sentMail: (sesMessageId: string): ItemKey => ({ PK: `SESMAIL#${hash(sesMessageId)}`, SK: 'SENT' }),
  /** An address customer messages no longer go to (a permanent bounce or a complaint), by its lower-case address. */
  emailSuppression: (email: string): ItemKey => ({ PK: `SUPPRESSED#${hash(email.toLowerCase())}`, SK: 'EMAIL' }),
  /** One SNS notification of SES feedback, recorded once (SNS redelivers with the same MessageId); expires after 30 days. */
  mailFeedback: (snsMessageId: string): ItemKey => ({ PK: `SESFEEDBACK#${hash(snsMessageId)}`, SK: 'FEEDBACK' }),

  /** The sandbox payment provider's own records, authorizations and captures by id (it stands in for a remote provider). */
  sandboxAuthorization: (id: string): ItemKey => ({ PK: `SANDBOXPAY#${id}`, SK: 'RECORD' }),
  sandboxIdempotency: (key: string): ItemKey => ({ PK: `SANDBOXPAY#IDEM#${hash(key)}`, SK: 'IDEMPOTENCY' }),

  /** The carrier platform's shipment (EasyPost `shp_…`) rated or bought under an OMS idempotency key: a retried label step re-reads it instead of buying twice. */
  carrierShipment: (idempotencyKey: string): ItemKey => ({ PK: `CARRIERSHIP#${hash(idempotencyKey)}`, SK: 'SHIPMENT' }),
  /** A carrier platform's webhook event (EasyPost `evt_…`) already handled: a redelivery is answered without acting again. */
  carrierEvent: (provider: string, eventId: string): ItemKey => ({ PK: `CARRIEREVENT#${provider}#${hash(eventId)}`, SK: 'EVENT' }),

  /**
   * A customer's orders (customer id: a digest of the normalised e-mail, see
   * shared/domain/customer.ts), in the customer's own partition, newest last;
   * written with the order, so the index is never a scan.
   */
  customerOrder: (customerId: string, placedAt: string, orderId: string): ItemKey => ({ PK: `CUSTOMER#${customerId}`, SK: `ORDER#${placedAt}#${orderId}` }),
  customerPartition: (customerId: string): string => `CUSTOMER#${customerId}`,
  customerOrderPrefix: 'ORDER#',
  /** The audit trail of a customer's erasures (ids and times only), beside their index. */
  customerErasure: (customerId: string): ItemKey => ({ PK: `CUSTOMER#${customerId}`, SK: 'ERASURE' }),
  /**
   * A channel's privacy request (Shopify compliance webhook), by a digest of its topic and body, in the channel's
   * compliance partition: written by the public webhook, its stream record feeds the compliance queue.
   */
  complianceRequest: (channelId: string, requestId: string): ItemKey => ({ PK: `COMPLIANCE#${channelId}`, SK: `REQUEST#${requestId}` }),
  compliancePartition: (channelId: string): string => `COMPLIANCE#${channelId}`,
  complianceRequestPrefix: 'REQUEST#',

  /** Transactional outbox: one item per event, in its own partition, deleted by TTL after publication. */
  outboxEvent: (eventId: string): ItemKey => ({ PK: `EVENT#${eventId}`, SK: 'EVENT' }),

  /** Idempotency-Key records of the REST API; the key is hashed, so any header value is safe in a key. */
  idempotency: (scope: string, key: string): ItemKey => ({ PK: `IDEMPOTENCY#${scope}#${hash(key)}`, SK: 'IDEMPOTENCY' }),

  /** A channel delivery (webhook) stored before it is acknowledged; its stream record feeds the capture queue. */
  inboxDelivery: (channelId: string, deliveryKey: string): ItemKey => ({
    PK: `INBOX#${channelId}#${hash(deliveryKey)}`,
    SK: 'DELIVERY',
  }),
  /** Only one poll of a channel runs at a time: a lease with an expiry. */
  pollLease: (channelId: string): ItemKey => ({ PK: `CHANNEL#${channelId}`, SK: 'POLL_LEASE' }),
} as const;

/**
 * Partition key patterns for IAM `dynamodb:LeadingKeys` conditions (`*` a
 * wildcard): the topology limits public webhook functions to them
 * (infra/topology/functions.ts `tableKeys`, docs/security.md).
 */
export const leadingKeyPatterns = {
  /** A channel, its sealed secrets, checkpoint and poll lease. */
  channel: 'CHANNEL#*',
  /** Inbox deliveries of every channel. */
  inbox: 'INBOX#*',
  /** Compliance requests (Shopify privacy webhooks) of every channel. */
  compliance: 'COMPLIANCE#*',
} as const;
