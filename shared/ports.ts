import type { StoredApiKey } from '#shared/domain/identity.ts';
import type { OutboxEvent } from '#events/define.ts';
import type { Channel, ChannelSecrets, ChannelType } from './domain/channel.ts';
import type { Location, LocationReadiness } from './domain/location.ts';
import type { Order, OrderSummary, TimelineEntry } from './domain/order.ts';
import type { MovementContent, PositionChange, SkuPolicy, StockMovement, StockPosition } from './domain/inventory.ts';
import type { Listing, ListingView, PushState } from './domain/listing.ts';
import type { Reservation } from './domain/reservation.ts';
import type { RuleSet } from './domain/routing.ts';
import type { CarrierLabel, Fulfillment } from './domain/fulfillment.ts';
import type { Payment } from './domain/payment.ts';
import type { Invoice } from './domain/invoice.ts';
import type { CreditNote, Refund } from './domain/refund.ts';
import type { Notification } from './domain/notification.ts';
import type { EmailSuppression } from './domain/mail-feedback.ts';
import type { Rate } from './domain/shipping.ts';
import type { Return, ReturnPolicy } from './domain/return.ts';
import type { Claim, ClaimLedger, StoreCredit } from './domain/exchange.ts';
import type { CustomerErasure, CustomerOrderRef, ErasureRecord } from './domain/customer.ts';
import type { ComplianceRequest } from './domain/compliance.ts';
import type { ChannelAction, ChannelReceipt, ChannelSyncRecord } from './domain/channel-writeback.ts';

/**
 * The ports use cases depend on. Adapters: DynamoDB (shared/store), SES
 * (shared/adapters). Tests pass the real adapters against DynamoDB Local or
 * small fakes.
 */

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass it back as `cursor` to read the next page. Absent on the last page. */
  nextCursor?: string;
}

export interface SaveOptions {
  /** `null` creates (fails if the item exists); a number updates only that version. */
  expectedVersion: number | null;
  /** Published through the transactional outbox, in the same transaction as the change. */
  events: OutboxEvent[];
}

/** API keys (shared/domain/identity.ts): stored hashed; revoking keeps the record, for the audit trail. */
export interface ApiKeyRepository {
  get(keyId: string): Promise<StoredApiKey | undefined>;
  list(page: PageRequest): Promise<Page<StoredApiKey>>;
  /** Throws ConflictError if the key id exists. */
  create(key: StoredApiKey): Promise<void>;
  /** Marks the key revoked (once: a key already revoked keeps its first revocation); undefined if there is no such key. */
  revoke(keyId: string, revocation: { at: string; by: string }): Promise<StoredApiKey | undefined>;
}

export interface LocationRepository {
  get(locationId: string): Promise<Location | undefined>;
  list(page: PageRequest): Promise<Page<Location>>;
  /** Throws ConcurrentModificationError when the stored version is not the expected one. */
  save(location: Location, options: SaveOptions): Promise<void>;
  /** Records an assessment if the location is still at the assessed version; false if it moved on. */
  recordReadiness(locationId: string, readiness: LocationReadiness): Promise<boolean>;
}

export interface ChannelRepository {
  get(channelId: string): Promise<Channel | undefined>;
  /** Only for adapters that call the channel (webhook verification, polling, stock push). */
  getSecrets(channelId: string): Promise<ChannelSecrets>;
  /** The channel with its secrets, for the PUT path that merges new secrets into stored ones. */
  getWithSecrets(channelId: string): Promise<{ channel: Channel; secrets: ChannelSecrets } | undefined>;
  list(page: PageRequest): Promise<Page<Channel>>;
  /** `secrets` undefined leaves the stored secrets untouched. */
  save(channel: Channel, secrets: ChannelSecrets | undefined, options: SaveOptions): Promise<void>;
  /**
   * Writes `channel` (conditional on `expectedVersion`, with its events) and deletes its stored secrets, in one
   * transaction: a Shopify shop redaction, which needs no key to seal anything. ConcurrentModificationError on a lost race.
   */
  removeSecrets(channel: Channel, options: SaveOptions & { expectedVersion: number }): Promise<void>;
}

/**
 * Data keys for envelope encryption (channel secrets): KMS GenerateDataKey /
 * Decrypt on AWS, a local master key in the local runtime. The context is
 * bound to the key: decrypting with another context fails.
 */
export interface DataKeyProvider {
  /** A fresh 256-bit data key: its plaintext (used once, then wiped) and its encrypted form (stored). */
  generate(context: Record<string, string>): Promise<{ keyId: string; plaintext: Buffer; encrypted: Uint8Array }>;
  decrypt(encrypted: Uint8Array, context: Record<string, string>): Promise<Buffer>;
}

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  /** Tags that help find the message again (order id, template). */
  tags?: Record<string, string>;
}

export interface Mailer {
  send(message: MailMessage): Promise<{ messageId: string }>;
}

/** One delivery that carried an order into the OMS, kept raw (`GET /v1/orders/{id}/source`). */
export interface OrderSource {
  /** Stable across a channel's retries of the same delivery. */
  deliveryId: string;
  via: 'webhook' | 'eventbridge' | 'poll' | 'api';
  receivedAt: string;
  topic?: string;
  headers: Record<string, string>;
  contentType: string;
  body: string;
}

export interface OrderListFilter {
  channelId?: string | undefined;
  status?: string | undefined;
  /** Placement time window (ISO instants); default: the 90 days before `to`, which defaults to now. */
  from?: string | undefined;
  to?: string | undefined;
}

export interface OrderRepository {
  /** `exists` when the channel order already has an OMS order (nothing is written then). */
  create(order: Order, writes: { timeline: TimelineEntry[]; source: OrderSource; events: OutboxEvent[] }): Promise<'created' | 'exists'>;
  /** Throws ConcurrentModificationError when `previous` is no longer the stored version. */
  update(order: Order, writes: { previous: Order; timeline: TimelineEntry[]; source?: OrderSource | undefined; events: OutboxEvent[] }): Promise<void>;
  get(orderId: string): Promise<Order | undefined>;
  findByChannelRef(channelId: string, externalOrderId: string): Promise<Order | undefined>;
  /** Keeps one more raw delivery; false if this delivery was already kept. */
  addSource(orderId: string, source: OrderSource): Promise<boolean>;
  timeline(orderId: string, page: PageRequest): Promise<Page<TimelineEntry>>;
  sources(orderId: string, page: PageRequest): Promise<Page<OrderSource>>;
  list(filter: OrderListFilter, page: PageRequest): Promise<Page<OrderSummary>>;
}

/**
 * Holds placed and released by a person or the `until` sweep: the order's
 * header (conditional on the version read), its timeline entries, its events
 * and the hold's release date (filed for the sweep while the hold has one),
 * in one transaction.
 */
export interface OrderHoldRepository {
  /** Throws ConcurrentModificationError when `previous` is no longer the stored version. */
  save(order: Order, writes: { previous: Order; timeline: TimelineEntry[]; events: OutboxEvent[] }): Promise<void>;
  /** Holds whose `until` passed, over the last `hoursBack` hours. */
  releasesDue(now: Date, hoursBack: number): Promise<{ orderId: string; until: string }[]>;
  /** Forgets a release date whose hold ended some other way (a cancelled order), if it is still that one. */
  dropReleaseDate(orderId: string, until: string): Promise<void>;
}

/** A channel delivery waiting to be captured (see shared/store/inbox-repository.ts). */
export interface InboxDelivery extends OrderSource {
  channelId: string;
  channelType: ChannelType;
  correlationId?: string;
}

export interface InboxRepository {
  /**
   * `duplicate` when an item with this key was already stored for the channel (a retry): the key is `dedupeKey`
   * when given (a channel webhook's body digest), else the delivery id.
   */
  put(delivery: InboxDelivery, options?: { dedupeKey?: string }): Promise<'stored' | 'duplicate'>;
  get(key: { PK: string; SK: string }): Promise<InboxDelivery | undefined>;
}

/** The first answer to a request, as sent: its status and its JSON body as text (a replay sends the same bytes). */
export interface StoredResponse {
  status: number;
  json: string;
}

/** Replays of `POST /v1/orders` with the same Idempotency-Key. */
export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'completed'; response: StoredResponse }
  | { state: 'in_progress' }
  | { state: 'mismatch' };

export interface IdempotencyRepository {
  /** Claims `key` for a request with this fingerprint, or says what happened to it before. */
  claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>;
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Gives the key up after a failure, so the client can retry. */
  release(scope: string, key: string): Promise<void>;
}

/** One page of a marketplace's changed orders (raw, as the marketplace returned them). */
export interface MarketplacePage {
  orders: { externalOrderId: string; updatedAt: string; body: string }[];
  /** Where the next page of the same window starts; absent on the last page. */
  nextCursor?: string;
}

/** A polled marketplace (Amazon SP-API, eBay Fulfillment API). */
export interface MarketplaceOrders {
  /** Orders changed in [from, to], one page at a time. */
  page(window: { from: string; to: string }, cursor: string | undefined): Promise<MarketplacePage>;
}

/** Where a polled channel has read up to, and what its last run did. */
export interface ChannelSyncState {
  /** The window being read: changes from `windowFrom` up to `windowTo`. */
  windowFrom: string;
  windowTo?: string;
  /** The page to read next within the window. */
  cursor?: string;
  lastRun?: PollSummary;
}

export interface PollSummary {
  trigger: 'schedule' | 'manual';
  startedAt: string;
  finishedAt: string;
  pages: number;
  fetched: number;
  stored: number;
  duplicates: number;
  caughtUp: boolean;
  error?: string;
  /** Orders read but not stored because they cannot be an OMS order (the same check as a webhook's 422), and why (the first 10). */
  refused?: number;
  refusals?: { externalOrderId: string; updatedAt: string; problems: string[] }[];
}

export interface ChannelSyncRepository {
  /** Takes the channel's poll lease unless another poll holds it (until its expiry). */
  acquireLease(channelId: string, owner: string, seconds: number): Promise<boolean>;
  releaseLease(channelId: string, owner: string): Promise<void>;
  getState(channelId: string): Promise<ChannelSyncState | undefined>;
  saveState(channelId: string, state: ChannelSyncState): Promise<void>;
}

/** Starts a poll of a channel in the background (Lambda async invoke). */
export interface PollStarter {
  start(channelId: string): Promise<void>;
}

/** Per-channel poll schedules (EventBridge Scheduler). */
export interface PollSchedules {
  put(channelId: string, everyMinutes: number): Promise<void>;
  remove(channelId: string): Promise<void>;
}

/** A SKU's stock everywhere: its policy and every position (all locations, all shards). */
export interface SkuStock {
  sku: string;
  policy: SkuPolicy;
  /** 0 while the SKU has no stored policy (defaults apply). */
  policyVersion: number;
  positions: StockPosition[];
}

/**
 * One atomic inventory change: position changes (each with its conditions
 * and ledger entry) and what goes with them.
 */
export interface InventoryCommit {
  changes: PositionChange[];
  /** Ledger entries are keyed by this id (plus the change's index). */
  ledgerId: string;
  /** For movements sent by callers: applied at most once. */
  movementId?: string;
  /** What the movement id stands for, kept on its marker, so another movement under the same id is told apart from a retry. */
  movement?: { fingerprint: string; content: MovementContent };
  actor: string;
  at: string;
  reason?: string | undefined;
  reference?: string | undefined;
  reservation?: { record: Reservation; expectedVersion: number | null };
  /** `previousLineCount`: the lines changed too (an order change), so their chunks are rewritten and chunks beyond the new count deleted. */
  order?: { next: Order; expectedVersion: number; previousLineCount?: number };
  /** The payment changes with the stock (an order change moved what it costs): conditional on its version. */
  payment?: { next: Payment; expectedVersion: number };
  timeline?: { orderId: string; entries: TimelineEntry[] };
  waiting?: { add?: { sku: string; placedAt: string; orderId: string }[]; remove?: { sku: string; placedAt: string; orderId: string }[] };
  shipment?: { orderId: string; shipmentId: string; locationId: string; lines: { sku: string; quantity: number }[]; carrier?: string | undefined; trackingNumber?: string | undefined; shippedAt: string };
  /** Fulfillments that change with the stock (shipped, re-routed): conditional on their version. */
  fulfillments?: { record: Fulfillment; expectedVersion: number }[];
  events: OutboxEvent[];
  /** The SKU's reorder point, for positions this commit creates (default 0). */
  reorderPoint?: number;
  /** DynamoDB ClientRequestToken: a retried identical request is applied once. */
  idempotencyToken?: string;
  /** When given, the write units the transaction consumed are added to it (benchmarks). */
  capacity?: { writeUnits: number };
}

/** An applied movement id: when, and what it holds (markers written before movement ids were compared hold no content). */
export interface MovementMarker {
  movementId: string;
  at: string;
  fingerprint?: string;
  content?: MovementContent;
}

/** Why a commit was refused: which of its conditions failed. */
export interface InventoryConflict {
  kind: 'duplicate' | 'position' | 'reservation' | 'order' | 'fulfillment' | 'contention';
  change?: PositionChange | undefined;
}

export interface InventoryRepository {
  stock(sku: string, options?: { consistent?: boolean }): Promise<SkuStock>;
  positionsOf(skus: readonly string[]): Promise<Map<string, SkuStock>>;
  putPolicy(sku: string, policy: SkuPolicy, expectedVersion: number, highestShard: number): Promise<void>;
  positionsAt(locationId: string, page: PageRequest & { lowStock?: boolean }): Promise<Page<StockPosition>>;
  movements(sku: string, shards: number, page: PageRequest): Promise<Page<StockMovement>>;
  /** The marker of an applied movement id, if any. */
  movementMarker(movementId: string): Promise<MovementMarker | undefined>;
  /** The ledger entries `movementId` recorded at `at` in the SKU's shard ledgers (what a marker without content held, when it was this SKU). */
  movementEntries(sku: string, shards: number, movementId: string, at: string): Promise<StockMovement[]>;
  setReorderPoint(positions: readonly { sku: string; locationId: string; shard: number }[], reorderPoint: number): Promise<void>;
  reservation(orderId: string): Promise<Reservation | undefined>;
  waitingOrders(sku: string, limit: number): Promise<{ orderId: string; placedAt: string }[]>;
  lapsedReservations(now: Date, hoursBack: number): Promise<{ orderId: string; paymentDueBy: string }[]>;
  /** Backordered orders whose routing rule's cancel deadline passed (hours back from `now`). */
  shortDeadlinesPassed(now: Date, hoursBack: number): Promise<{ orderId: string; cancelIfShortBy: string }[]>;
  /** Throws an InventoryConflict (with `kind`) when a condition does not hold. */
  commit(commit: InventoryCommit): Promise<void>;
}

/** A listing with its push state, and whether a push holds its lease right now. */
export interface SkuListing {
  listing: Listing;
  push: PushState;
  leased: boolean;
}

export interface ListingRepository {
  get(channelId: string, sku: string): Promise<ListingView | undefined>;
  listByChannel(channelId: string, page: PageRequest): Promise<Page<ListingView>>;
  /** Every channel's listing of a SKU (one Query of the SKU's partition). */
  forSku(sku: string): Promise<SkuListing[]>;
  /** Throws ConcurrentModificationError when the stored version is not the expected one. */
  save(listing: Listing, options: SaveOptions): Promise<void>;
  remove(listing: Listing, events: OutboxEvent[]): Promise<void>;
  /** Takes the listing's push lease until `until` unless another push holds it. */
  acquirePushLease(sku: string, channelId: string, owner: string, now: Date, until: Date): Promise<boolean>;
  /** Records a push's outcome and gives the lease back; false if the lease had passed to another push. */
  recordPush(sku: string, channelId: string, owner: string, state: PushState): Promise<boolean>;
}

/** A channel's stock figure for one listed SKU. */
export interface ListingTarget {
  sku: string;
  /** The channel's identifiers (Listing.ref). */
  ref: Record<string, unknown>;
}

/** Sets available-to-sell figures at one channel. */
export interface StockPusher {
  /** Throws PushError (retryable or not) when the channel did not take the figure. */
  setAvailable(target: ListingTarget, quantity: number, idempotencyKey: string): Promise<void>;
}

export interface RoutingRuleRepository {
  get(ruleSetId: string): Promise<RuleSet | undefined>;
  list(page: PageRequest): Promise<Page<RuleSet>>;
  /** Throws ConcurrentModificationError when the stored version is not the expected one. */
  save(ruleSet: RuleSet, options: SaveOptions): Promise<void>;
}

export interface OrderWrites {
  order?: { next: Order; expectedVersion: number } | undefined;
  timeline: TimelineEntry[];
  events: OutboxEvent[];
}

export interface FulfillmentRepository {
  get(fulfillmentId: string): Promise<Fulfillment | undefined>;
  forOrder(orderId: string): Promise<Fulfillment[]>;
  /** A location's open fulfillments, oldest first. */
  openAt(locationId: string, page: PageRequest): Promise<Page<Fulfillment>>;
  /** Fulfillments still waiting for acceptance whose deadline passed (hours back from `now`). */
  acceptanceOverdue(now: Date, hoursBack: number): Promise<{ fulfillmentId: string; acceptBy: string }[]>;
  byTrackingNumber(carrierId: string, trackingNumber: string): Promise<string | undefined>;
  /** Creates fulfillments (with their tracking numbers) and moves the order, in one transaction; ConcurrentModificationError if the order moved. */
  create(fulfillments: Fulfillment[], writes: OrderWrites): Promise<void>;
  /** Replaces one fulfillment at `expectedVersion` with what goes with it; ConcurrentModificationError if either moved. */
  update(fulfillment: Fulfillment, expectedVersion: number, writes: OrderWrites): Promise<void>;
  payment(orderId: string): Promise<Payment | undefined>;
  savePayment(payment: Payment, expectedVersion: number | null, writes: OrderWrites): Promise<void>;
}

/** A shipment as recorded with its sale (the reconciler checks each has its invoice). */
export interface RecordedShipment {
  orderId: string;
  shipmentId: string;
  locationId: string;
  lines: { sku: string; quantity: number }[];
  shippedAt: string;
}

/** What the reconciler reads besides the order list by status, and the `recovered` entries it writes (shared/use-cases/reconcile.ts). */
export interface ReconcileRepository {
  /** Shipments shipped between `from` and `to` (ISO instants), read by the hour they shipped: a bounded query per hour, never a scan. */
  shippedBetween(from: string, to: string): Promise<RecordedShipment[]>;
  /** Appends an entry to the order's timeline (what the reconciler found stuck and what it did; the step it re-ran wrote its own change). */
  recordRecovery(orderId: string, entry: TimelineEntry): Promise<void>;
}

/**
 * Messages of the capture queue that failed every receive (its dead-letter
 * queue): acknowledged channel deliveries that never became orders. The
 * reconciler captures them again and removes what it captured.
 */
export interface CaptureDeadLetters {
  /** Up to `max` dead-lettered messages, hidden from other readers for `hideSeconds`: each a stored delivery's key. */
  receive(max: number, hideSeconds: number): Promise<{ receipt: string; body: string }[]>;
  /** Removes a message that was captured (or whose delivery no longer exists). */
  remove(receipt: string): Promise<void>;
}

export interface InvoiceRepository {
  get(invoiceId: string): Promise<Invoice | undefined>;
  forOrder(orderId: string): Promise<Invoice[]>;
  /** The invoice already issued for this subject, if any. */
  issuedFor(orderId: string, subject: string): Promise<Invoice | undefined>;
  /**
   * Takes the series' next number and stores the invoice with it, once per
   * subject: `exists` when the subject already has one (nothing written).
   */
  issue(draft: Omit<Invoice, 'invoiceId' | 'number'>, subject: string, writes: { timeline: (invoice: Invoice) => TimelineEntry[]; events: (invoice: Invoice) => OutboxEvent[] }): Promise<{ outcome: 'issued' | 'exists'; invoice: Invoice }>;
}

/** What a refund's write changes on the payment: its refunded totals, at the version read (the limit is checked by the write's condition). */
export interface RefundPaymentChange {
  next: Payment;
  expectedVersion: number;
  /** The payment attribute the refunded total must not exceed (`captured`, or `amount` for cash on delivery). */
  limit: 'captured' | 'amount';
}

/** What goes with a refund's write: its credit note (numbered in the same transaction), timeline entries and events. */
export interface RefundWrites {
  creditNote?: { series: string; draft: Omit<CreditNote, 'creditNoteId' | 'number' | 'series'> } | undefined;
  timeline: (refund: Refund, creditNote: CreditNote | undefined) => TimelineEntry[];
  events: (refund: Refund, creditNote: CreditNote | undefined) => OutboxEvent[];
  /** A refund issued as store credit: the credit, stored in the same transaction (its code once). */
  storeCredit?: ((refund: Refund, creditNote: CreditNote | undefined) => StoreCredit) | undefined;
}

export interface RefundRepository {
  /** The refund recorded under this key for the order, if any. */
  byKey(orderId: string, key: string): Promise<Refund | undefined>;
  /** The order's refunds, oldest first. */
  forOrder(orderId: string): Promise<Refund[]>;
  /**
   * Records a new refund (once per key: `exists` with the first one when the
   * key was used), with the payment's refunded total in the same
   * transaction. Throws ConcurrentModificationError when the payment moved
   * or its limit would be exceeded (read again and decide).
   */
  record(refund: Refund, payment: RefundPaymentChange | undefined, writes: RefundWrites): Promise<{ outcome: 'recorded' | 'exists'; refund: Refund; creditNote?: CreditNote | undefined }>;
  /** Finishes a pending refund (provider refunds done): ConcurrentModificationError if it is no longer pending. */
  complete(refund: Refund, writes: RefundWrites): Promise<{ refund: Refund; creditNote?: CreditNote | undefined }>;
  /**
   * Ends a pending refund the provider refused for good (status `failed`), with the payment giving the refused amount back to the
   * refundable total (conditional on its version), its timeline entries and events, in one transaction:
   * ConcurrentModificationError if the refund is no longer pending or the payment moved.
   */
  fail(refund: Refund, payment: RefundPaymentChange | undefined, writes: RefundWrites): Promise<{ refund: Refund }>;
  /** Pending provider refunds due for the sweep by `now` (GSI2 `REFUNDPENDING#<hour>`, the last `hoursBack` hours): their entry exists only while they are pending. */
  pendingDue(now: Date, hoursBack: number): Promise<Refund[]>;
  /** Files a pending refund the sweep could not finish under a later due time; false when it is no longer pending. */
  postpone(refund: Refund, dueAt: string): Promise<boolean>;
  creditNote(creditNoteId: string): Promise<CreditNote | undefined>;
  creditNotesOf(orderId: string): Promise<CreditNote[]>;
}

export interface NotificationRepository {
  /** Claims the message before it is sent: `claimed`, or what happened to it before. */
  claim(notification: Notification, staleAfterMs: number, now: Date): Promise<'claimed' | 'sent' | 'in_progress'>;
  finish(notification: Notification, events: OutboxEvent[]): Promise<void>;
  forOrder(orderId: string): Promise<Notification[]>;
}

/**
 * SES feedback (bounces, complaints) and the addresses it suppressed
 * (shared/store/mail-feedback-repository.ts).
 */
export interface MailFeedbackRepository {
  /** The suppression of an address (any case), if it is suppressed. */
  suppression(email: string): Promise<EmailSuppression | undefined>;
  /** The customer message SES sent with this message id (recorded when it was sent). */
  sentMessage(sesMessageId: string): Promise<{ orderId: string; template: string; notificationId: string } | undefined>;
  /**
   * Records one SNS notification once (conditional on its MessageId): the
   * timeline entries of its order and the suppressions, in one transaction.
   */
  record(snsMessageId: string, writes: { orderId?: string | undefined; timeline: TimelineEntry[]; suppressions: EmailSuppression[] }): Promise<'recorded' | 'duplicate'>;
}

export interface SmsSender {
  send(message: { to: string; text: string; tags?: Record<string, string> }): Promise<{ messageId: string }>;
}

/**
 * Tells a channel what happened to one of its orders: a shipment with its
 * tracking, a cancellation, a refund (shared/adapters/channel-writeback.ts,
 * one client per channel type). Safe to call again with the same action —
 * after a crash or a timeout the client finds what it already did (Amazon's
 * packageReferenceId, Shopify's remaining quantities and `@idempotent` key,
 * eBay's and WooCommerce's existing fulfillments, notes and refunds) rather
 * than confirming, cancelling or refunding twice. Throws WritebackError.
 */
export interface ChannelWriter {
  send(action: ChannelAction): Promise<ChannelReceipt>;
}

/** Write-back actions of orders (`channelSync`), one item per order and action. */
export interface ChannelSyncActionRepository {
  forOrder(orderId: string): Promise<ChannelSyncRecord[]>;
  get(orderId: string, actionId: string): Promise<ChannelSyncRecord | undefined>;
  /**
   * Takes the action before calling the channel: creates it (pending) or takes
   * a pending one nobody holds (or whose holder's lease ran out), for
   * `leaseMs`, counting the attempt. Otherwise what it is: `sent`, `failed`
   * (only a person's retry sends it again) or `in_progress` (held by another
   * delivery).
   */
  claim(record: Pick<ChannelSyncRecord, 'orderId' | 'actionId' | 'kind' | 'channelId' | 'summary' | 'action'>, now: Date, leaseMs: number): Promise<
    { outcome: 'claimed'; record: ChannelSyncRecord } | { outcome: 'sent' | 'failed' | 'in_progress'; record: ChannelSyncRecord }
  >;
  /**
   * Records how the call went (sent, failed, or pending with its error for the
   * next try), with the order's timeline entries, in one transaction,
   * conditional on still holding the claim (ConcurrentModificationError if
   * another delivery took over). `settled`: a refund the channel made, now
   * `refunded` (written only from `to_refund_at_channel`).
   */
  finish(record: ChannelSyncRecord, claimedUntil: string, timeline: TimelineEntry[], settled?: { refund: Refund } | undefined): Promise<void>;
  /** A failed action back to pending (a person's retry), with its timeline entry and the event that queues it; false if it is not failed. */
  retry(record: ChannelSyncRecord, now: string, writes: { timeline: TimelineEntry[]; events: OutboxEvent[] }): Promise<boolean>;
  /** Failed actions, newest failure first. */
  failed(page: PageRequest): Promise<Page<{ orderId: string; actionId: string; failedAt: string }>>;
}

/** A payment provider, every call idempotent by key. */
export interface PaymentProvider {
  authorize(request: { amount: number; currency: string; paymentMethod: string; reference: string; idempotencyKey: string }): Promise<
    { status: 'authorized'; authorizationId: string; amount: number } | { status: 'declined'; declineCode: string; message: string }
  >;
  /**
   * Partial captures allowed, up to the authorized amount in total. `final`:
   * no capture follows (a provider releases what is left); `upTo`: all the
   * order still owes, including this share. The answer's `amount` is what the
   * provider captured: more than asked when it can capture an authorization
   * only once (Stripe without multicapture takes `upTo` at the first share).
   */
  capture(request: { authorizationId: string; amount: number; idempotencyKey: string; final?: boolean | undefined; upTo?: number | undefined }): Promise<{ captureId: string; amount: number }>;
  void(request: { authorizationId: string; idempotencyKey: string }): Promise<void>;
  refund(request: { captureId: string; amount: number; idempotencyKey: string }): Promise<{ refundId: string }>;
}

/** An address on a label: where the parcel leaves from, or where it goes. */
export interface LabelAddress {
  name?: string | undefined;
  lines: string[];
  city?: string | undefined;
  /** State or province (EasyPost's `state`; US and Canadian labels need it). */
  region?: string | undefined;
  postalCode?: string | undefined;
  country: string;
  phone?: string | undefined;
  email?: string | undefined;
}

/**
 * What a rate is asked for. The sandbox prices by zone and weight; a real
 * carrier platform (EasyPost) rates the addresses and the parcel, and with
 * `idempotencyKey` keys the shipment it rated so the label step buys that one.
 */
export interface RateRequest {
  zone: number;
  weightGrams: number;
  currency: string;
  shipDate: Date;
  from?: LabelAddress | undefined;
  to?: LabelAddress | undefined;
  /** The parcel's outer dimensions; a configured default box when absent. */
  dimensionsCm?: { length: number; width: number; height: number } | undefined;
  /** A return label: `from` is the customer, `to` the receiving location. */
  isReturn?: boolean | undefined;
  reference?: string | undefined;
  /** The key the label will be bought with (the same as the LabelRequest's). */
  idempotencyKey?: string | undefined;
}

export interface LabelRequest {
  carrierId: string;
  serviceLevel: string;
  from: LabelAddress & { name: string };
  to: LabelAddress;
  zone: number;
  weightGrams: number;
  dimensionsCm?: { length: number; width: number; height: number } | undefined;
  /** A return label: `from` is the customer, `to` the receiving location. */
  isReturn?: boolean | undefined;
  currency: string;
  shipDate: Date;
  reference: string;
  idempotencyKey: string;
}

/** Parcel carriers: rates, labels, voids. Tracking updates come back through the carrier webhook. */
export interface CarrierGateway {
  carrierIds(): string[];
  rates(request: RateRequest): Promise<Rate[]>;
  buyLabel(request: LabelRequest): Promise<CarrierLabel>;
  /** `shipmentId`: the platform's shipment of the label (CarrierLabel.shipmentId), which a real platform refunds. */
  voidLabel(carrierId: string, trackingNumber: string, shipmentId?: string): Promise<void>;
}

/** A stored document (a label's ZPL or PDF) as read back. */
export interface StoredDocument {
  body: Uint8Array;
  contentType: string;
}

/**
 * Where documents too large for a table item live (label files): S3 on AWS,
 * files under the local runtime's data directory locally. A document is put
 * under a key of the caller's (putting the same key again replaces it, so a
 * retried step is harmless) and read back by the reference `put` answered,
 * which names no bucket or directory and so survives moving the store.
 */
export interface DocumentStore {
  put(key: string, body: string | Uint8Array, contentType: string): Promise<string>;
  /** undefined when nothing is stored under the reference. */
  get(reference: string): Promise<StoredDocument | undefined>;
}

/**
 * What a carrier platform's adapter remembers: the platform shipment rated or
 * bought under an OMS idempotency key (EasyPost has no idempotency header, so
 * a retried label step finds and re-reads its shipment instead of buying a
 * second one), and the webhook events already handled.
 */
export interface CarrierRecordRepository {
  shipmentFor(idempotencyKey: string): Promise<string | undefined>;
  /** Files `shipmentId` under the key unless one is filed already; answers the one filed (the first wins). */
  claimShipment(idempotencyKey: string, shipmentId: string): Promise<string>;
  /** Records a webhook event id; false when it was recorded before (a redelivery). */
  firstDelivery(provider: string, eventId: string): Promise<boolean>;
  /** Forgets an event id whose handling failed, so the provider's retry is handled. */
  forgetDelivery(provider: string, eventId: string): Promise<void>;
}

export interface ReturnPolicyRepository {
  get(policyId: string): Promise<ReturnPolicy | undefined>;
  list(page: PageRequest): Promise<Page<ReturnPolicy>>;
  /** Throws ConcurrentModificationError when the stored version is not the expected one. */
  save(policy: ReturnPolicy, options: SaveOptions): Promise<void>;
}

/** What an order's returns hold: units per order line (requested, approved, received or closed returns) and how many returns it has had. */
export interface OrderReturns {
  count: number;
  held: Record<string, number>;
  version: number;
}

export interface ReturnWrites {
  /** The order's return ledger, conditional on the version read (null: it must not exist yet). */
  ledger?: { next: OrderReturns; expectedVersion: number | null } | undefined;
  /** A return label's tracking number, so the carrier webhook finds the return. */
  trackingNumber?: { carrierId: string; trackingNumber: string } | undefined;
  /** The return label's document, written once in an item of its own (the return item keeps the label's summary). */
  labelDocument?: string | undefined;
  /** A carrier scan of the return's label, put once (a repeat cancels the transaction: ConcurrentModificationError). */
  scan?: ReturnScan | undefined;
  timeline: TimelineEntry[];
  events: OutboxEvent[];
}

/** A carrier's scan of a return label, as the return's tracking history shows it. */
export type ReturnScan = NonNullable<Return['tracking']>['events'][number];

export interface ClaimRepository {
  get(orderId: string, claimId: string): Promise<Claim | undefined>;
  forOrder(orderId: string): Promise<Claim[]>;
  /** The order's claims ledger (units held per line, the claim of each shipment), or undefined before its first claim since ledgers exist. */
  ledger(orderId: string): Promise<ClaimLedger | undefined>;
  /**
   * Creates (`expectedVersion` null) or replaces a claim with its order's timeline entries and events, in one transaction;
   * with `ledger`, the order's claims ledger too, conditional on the version read (null: it must not exist yet). ConcurrentModificationError if either moved.
   */
  save(claim: Claim, expectedVersion: number | null, writes: { timeline: TimelineEntry[]; events: OutboxEvent[]; ledger?: { next: ClaimLedger; expectedVersion: number | null } | undefined }): Promise<void>;
}

export interface StoreCreditRepository {
  get(code: string): Promise<StoreCredit | undefined>;
  /** A customer's store credit, oldest first. */
  forEmail(email: string): Promise<StoreCredit[]>;
}

export interface ReturnListFilter {
  orderId?: string | undefined;
  status?: string | undefined;
  /** Request time window (ISO instants); default: the 90 days before `to`, which defaults to now. */
  from?: string | undefined;
  to?: string | undefined;
}

export interface ReturnRepository {
  /** The return item: no label document, an empty `timeline` (what the steps need). */
  get(returnId: string): Promise<Return | undefined>;
  /** The whole return (GET /v1/returns/{returnId}): with its label document and its history from the order's timeline. */
  details(returnId: string): Promise<Return | undefined>;
  forOrder(orderId: string): Promise<Return[]>;
  ledger(orderId: string): Promise<OrderReturns | undefined>;
  byTrackingNumber(carrierId: string, trackingNumber: string): Promise<string | undefined>;
  /** Creates (`expectedVersion` null) or replaces a return with what goes with it, in one transaction; ConcurrentModificationError if anything moved. */
  save(record: Return, expectedVersion: number | null, writes: ReturnWrites): Promise<void>;
  /**
   * A carrier scan that changes nothing on the return: the scan's own item
   * (conditional: once) and its timeline entries, without writing the return
   * item. False when this scan (status and time) was recorded already.
   */
  recordScan(orderId: string, returnId: string, scan: ReturnScan, timeline: TimelineEntry[]): Promise<boolean>;
  /** Approved returns whose `receiveBy` passed (hours back from `now`). */
  overdue(now: Date, hoursBack: number): Promise<{ returnId: string; receiveBy: string }[]>;
  list(filter: ReturnListFilter, page: PageRequest): Promise<Page<Return>>;
}

/** One raw item of an order's partition (what erasure rewrites), by its sort key. */
export interface OrderItem {
  sortKey: string;
  item: Record<string, unknown>;
}

/** The customer index (orders by customer id) and the erasure audit trail (shared/store/customer-repository.ts). */
export interface CustomerRepository {
  /** The customer's orders, newest first. */
  orders(customerId: string, page: PageRequest): Promise<Page<CustomerOrderRef>>;
  erasures(customerId: string): Promise<ErasureRecord | undefined>;
  /** Appends one erasure; ConcurrentModificationError when `previous` is no longer the stored record. */
  recordErasure(customerId: string, erasure: CustomerErasure, previous: ErasureRecord | undefined): Promise<ErasureRecord>;
  /** Every item of an order's partition, raw. */
  orderItems(orderId: string): Promise<OrderItem[]>;
  /**
   * Replaces items (versioned ones only if unchanged: ConcurrentModificationError otherwise), deletes others (sort keys),
   * and empties the inbox items stored under these delivery keys (delivery id or body digest): body and headers go, the
   * key stays until it expires, so the same body sent again is still a duplicate.
   */
  rewriteOrderItems(orderId: string, writes: { put: OrderItem[]; remove: string[]; inbox: { channelId: string; deliveryId: string }[] }): Promise<void>;
}

/** A channel's compliance requests (Shopify privacy webhooks; shared/store/compliance-repository.ts). */
export interface ComplianceRepository {
  /** `duplicate` when the request (same topic and body) was stored already. */
  put(request: ComplianceRequest): Promise<'stored' | 'duplicate'>;
  get(key: { PK: string; SK: string }): Promise<ComplianceRequest | undefined>;
  /** Replaces the request if it is still at `previousVersion`; ConcurrentModificationError otherwise. */
  save(request: ComplianceRequest, previousVersion: number): Promise<void>;
  list(channelId: string, page: PageRequest): Promise<Page<ComplianceRequest>>;
}
