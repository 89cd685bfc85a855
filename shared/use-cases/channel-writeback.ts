import { ChannelSyncRetryRequested } from '#events/channel-sync-retry-requested.ts';
import type { Channel, ChannelSecrets } from '#shared/domain/channel.ts';
import {
  WRITEBACK_TYPES,
  WritebackError,
  cancelReasonOf,
  carrierName,
  shipmentLines,
  type ChannelAction,
  type ChannelLineRef,
  type ChannelOrderRef,
  type ChannelSyncRecord,
} from '#shared/domain/channel-writeback.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import { formatMoney } from '#shared/domain/money.ts';
import type { Order, TimelineEntry } from '#shared/domain/order.ts';
import { paymentModeOf } from '#shared/domain/payment.ts';
import type { Refund } from '#shared/domain/refund.ts';
import type {
  ChannelRepository,
  ChannelSyncActionRepository,
  ChannelWriter,
  FulfillmentRepository,
  OrderRepository,
  RefundRepository,
} from '#shared/ports.ts';
import type { Actor } from './actor.ts';

/**
 * Channel write-back: the OMS tells the channel an order came from what
 * happened to it here — each shipment with its lines, carrier and tracking;
 * a cancellation made in the OMS; a refund owed at the channel. One action
 * per (order, what happened), claimed before the call so two deliveries of
 * one event never both call the channel, recorded on the order
 * (`channelSync`) with the channel's answer, and on its timeline.
 *
 * Transient failures (429, 5xx, network) leave the action pending and are
 * retried by the queue with back-off; on the last delivery, or when the
 * channel refuses for good (401 revoked token, 404 order gone, 422), the
 * action is `failed` with the channel's message, counted by the
 * ChannelSyncFailed metric (alarmed), listed at
 * GET /v1/orders?channelSync=failed, and sent again only by a person's retry.
 */

export interface WritebackDeps {
  orders: OrderRepository;
  fulfillments: FulfillmentRepository;
  refunds: RefundRepository;
  channels: ChannelRepository;
  actions: ChannelSyncActionRepository;
  writerFor: (channel: Channel, secrets: ChannelSecrets) => ChannelWriter;
  clock: Clock;
  /** Counts actions that end failed (a metric the deployed stack alarms on). */
  onFailed?: ((record: ChannelSyncRecord) => void) | undefined;
}

/** What happened to an order that its channel may need to hear about (from the event that said so). */
export type WritebackTrigger =
  | { kind: 'shipment'; orderId: string; shipmentId: string; lines: { sku: string; quantity: number }[]; carrier?: string | undefined; trackingNumber?: string | undefined; completesOrder: boolean }
  | { kind: 'cancellation'; orderId: string; reason: string; changeId?: string | undefined; lines?: { lineId: string; sku: string; quantity: number }[] | undefined }
  | { kind: 'refund'; orderId: string; refundId: string; status: string }
  | { kind: 'retry'; orderId: string; actionId: string };

export type WritebackOutcome =
  | { outcome: 'sent'; actionId: string; reference?: string | undefined }
  | { outcome: 'failed'; actionId: string; message: string }
  | { outcome: 'already'; actionId: string; status: 'sent' | 'failed' }
  | { outcome: 'skipped'; reason: string };

/** How long one delivery holds an action while it calls the channel (longer than the consumer's timeout). */
const LEASE_MS = 5 * 60_000;

/** A delivery that should be tried again later (transient channel failure, or another delivery holds the action). */
export class WritebackRetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WritebackRetryLater';
  }
}

const TYPE_NAMES: Record<string, string> = { shopify: 'Shopify', woocommerce: 'WooCommerce', amazon: 'Amazon', ebay: 'eBay' };

export async function writeBack(
  deps: WritebackDeps,
  trigger: WritebackTrigger,
  options: { finalAttempt: boolean } & Actor,
): Promise<WritebackOutcome> {
  const order = await deps.orders.get(trigger.orderId);
  if (!order) return { outcome: 'skipped', reason: `order ${trigger.orderId} does not exist` };
  if (!(WRITEBACK_TYPES as readonly string[]).includes(order.channel.channelType)) return { outcome: 'skipped', reason: `${order.channel.channelType} orders are not written back` };
  const found = await deps.channels.getWithSecrets(order.channel.channelId);
  if (!found) return { outcome: 'skipped', reason: `channel ${order.channel.channelId} no longer exists` };
  const { channel, secrets } = found;
  const settings = channel.settings as { writeBack?: boolean; notifyCustomer?: boolean };
  if (settings.writeBack === false) return { outcome: 'skipped', reason: `write-back is off for channel ${channel.channelId}` };
  const missing = missingCredentials(channel, secrets);
  if (missing) return { outcome: 'skipped', reason: `channel ${channel.channelId} has no ${missing} secret: nothing can be sent` };

  let action: ChannelAction;
  let summary: string;
  if (trigger.kind === 'retry') {
    const record = await deps.actions.get(order.orderId, trigger.actionId);
    if (!record) return { outcome: 'skipped', reason: `no write-back ${trigger.actionId} on order ${order.orderId}` };
    action = record.action;
    summary = record.summary;
  } else {
    const built = await buildAction(deps, order, trigger, settings.notifyCustomer !== false, options.actor);
    if ('skip' in built) return { outcome: 'skipped', reason: built.skip };
    ({ action, summary } = built);
  }

  const claim = await deps.actions.claim(
    { orderId: order.orderId, actionId: action.actionId, kind: action.kind, channelId: channel.channelId, summary, action },
    deps.clock.now(),
    LEASE_MS,
  );
  if (claim.outcome === 'in_progress') throw new WritebackRetryLater(`Write-back ${action.actionId} of order ${order.orderId} is being sent by another delivery`);
  if (claim.outcome !== 'claimed') return { outcome: 'already', actionId: action.actionId, status: claim.outcome };
  const claimed = claim.record;
  const claimedUntil = claimed.claimedUntil as string;
  const channelName = TYPE_NAMES[channel.type] ?? channel.type;
  const entry = (at: string, type: string, message: string, data: Record<string, unknown>): TimelineEntry => ({
    at,
    type,
    actor: options.actor,
    message,
    ...(options.correlationId ? { correlationId: options.correlationId } : {}),
    data: { actionId: action.actionId, channelId: channel.channelId, ...data },
  });

  try {
    const receipt = await deps.writerFor(channel, secrets).send(action);
    const at = deps.clock.now().toISOString();
    if (receipt.manual) {
      const message = receipt.note ?? `${channelName} offers no API for this: do it at the channel`;
      const manual: ChannelSyncRecord = { ...claimed, status: 'failed', updatedAt: at, failedAt: at, lastError: { message, retryable: false, at } };
      await deps.actions.finish(manual, claimedUntil, [entry(at, 'channel_sync_manual', `${channelName} must be told by a person: ${summary}. ${message}`, { manual: true })]);
      return { outcome: 'failed', actionId: action.actionId, message };
    }
    const sent: ChannelSyncRecord = {
      ...claimed,
      status: 'sent',
      updatedAt: at,
      sentAt: at,
      ...(receipt.reference ? { reference: receipt.reference } : {}),
      ...(receipt.note ? { channelNote: receipt.note } : {}),
    };
    delete sent.lastError;
    const settled = action.kind === 'refund' ? await settledRefund(deps, action.order.orderId, action.refundId, at, receipt.reference) : undefined;
    await deps.actions.finish(sent, claimedUntil, [
      entry(at, 'channel_synced', `${channelName} told: ${summary}${receipt.reference ? ` (${receipt.reference})` : ''}${receipt.note ? `. ${receipt.note}` : ''}`, {
        ...(receipt.reference ? { reference: receipt.reference } : {}),
      }),
    ], settled);
    return { outcome: 'sent', actionId: action.actionId, reference: receipt.reference };
  } catch (error) {
    const at = deps.clock.now().toISOString();
    const retryable = !(error instanceof WritebackError) || error.retryable;
    const status = error instanceof WritebackError ? error.status : undefined;
    const message = (error as Error).message;
    const lastError = { message, retryable, at, ...(status !== undefined ? { status } : {}) };
    if (retryable && !options.finalAttempt) {
      await deps.actions.finish({ ...claimed, status: 'pending', updatedAt: at, lastError }, claimedUntil, []);
      throw new WritebackRetryLater(`${channelName} did not take ${action.actionId} of order ${order.orderId} yet: ${message}`);
    }
    const failed: ChannelSyncRecord = { ...claimed, status: 'failed', updatedAt: at, failedAt: at, lastError };
    await deps.actions.finish(failed, claimedUntil, [
      entry(at, 'channel_sync_failed', `${channelName} was not told: ${summary}. ${retryable ? `Still failing after ${claimed.attempts} attempts` : 'The channel refused it'}: ${message}`, {
        ...(status !== undefined ? { status } : {}),
        retryable,
      }),
    ]);
    deps.onFailed?.(failed);
    return { outcome: 'failed', actionId: action.actionId, message };
  }
}

/** A person sends a failed action again: it is pending, and its ChannelSyncRetryRequested event puts it back on the write-back queue. */
export async function retryWriteback(
  deps: Pick<WritebackDeps, 'actions' | 'clock'>,
  command: { orderId: string; actionId: string } & Actor,
): Promise<ChannelSyncRecord> {
  const record = await deps.actions.get(command.orderId, command.actionId);
  if (!record) throw new NotFoundError(`Order ${command.orderId} has no write-back ${command.actionId}`);
  if (record.status !== 'failed') throw new ConflictError(`Write-back ${command.actionId} is ${record.status}; only a failed one can be retried`, 'not_failed');
  const now = deps.clock.now();
  const at = now.toISOString();
  const retried = await deps.actions.retry(record, at, {
    timeline: [
      {
        at,
        type: 'channel_sync_retried',
        actor: command.actor,
        message: `Retry asked: ${record.summary}`,
        ...(command.correlationId ? { correlationId: command.correlationId } : {}),
        data: { actionId: record.actionId, channelId: record.channelId },
      },
    ],
    events: [
      ChannelSyncRetryRequested.create(
        { orderId: record.orderId, actionId: record.actionId, channelId: record.channelId, kind: record.kind },
        { occurredAt: now, actor: command.actor, ...(command.correlationId ? { correlationId: command.correlationId } : {}) },
      ),
    ],
  });
  if (!retried) throw new ConflictError(`Write-back ${command.actionId} changed meanwhile; read it again`, 'not_failed');
  const next: ChannelSyncRecord = { ...record, status: 'pending', updatedAt: at };
  delete next.failedAt;
  return next;
}

/** The secret a channel needs to be told anything, when it is missing (the optional API credentials of webhook channels). */
function missingCredentials(channel: Channel, secrets: ChannelSecrets): string | undefined {
  if (channel.type === 'shopify' && !secrets['adminAccessToken']) return 'adminAccessToken';
  if (channel.type === 'woocommerce' && (!secrets['consumerKey'] || !secrets['consumerSecret'])) return 'consumerKey/consumerSecret';
  return undefined;
}

async function buildAction(
  deps: WritebackDeps,
  order: Order,
  trigger: Exclude<WritebackTrigger, { kind: 'retry' }>,
  notifyCustomer: boolean,
  actor: string,
): Promise<{ action: ChannelAction; summary: string } | { skip: string }> {
  const ref = orderRef(order);
  if (trigger.kind === 'shipment') {
    if (!trigger.trackingNumber) return { skip: `shipment ${trigger.shipmentId} has no tracking number (a pickup or hand-over): nothing to confirm` };
    const fulfillments = await deps.fulfillments.forOrder(order.orderId);
    const self = fulfillments.find((f) => f.fulfillmentId === trigger.shipmentId);
    const earlier = fulfillments.filter(
      (f) =>
        f.fulfillmentId !== trigger.shipmentId &&
        f.shippedAt !== undefined &&
        (self?.shippedAt === undefined || f.shippedAt < self.shippedAt || (f.shippedAt === self.shippedAt && f.fulfillmentId < trigger.shipmentId)),
    );
    const lines = shipmentLines(order.lines, earlier.flatMap((f) => f.lines), trigger.lines);
    if (!lines.length) return { skip: `shipment ${trigger.shipmentId} matches no line of order ${order.orderId}` };
    const carrierId = trigger.carrier ?? self?.carrier?.carrierId ?? 'other';
    const trackingUrl = self?.carrier && self.carrier.trackingNumber === trigger.trackingNumber ? self.carrier.trackingUrl : undefined;
    const units = lines.reduce((sum, line) => sum + line.quantity, 0);
    return {
      action: {
        kind: 'shipment',
        actionId: `shipment:${trigger.shipmentId}`,
        order: ref,
        shipmentId: trigger.shipmentId,
        lines,
        carrier: { id: carrierId, name: carrierName(carrierId) },
        trackingNumber: trigger.trackingNumber,
        ...(trackingUrl ? { trackingUrl } : {}),
        shippedAt: self?.shippedAt ?? deps.clock.now().toISOString(),
        completesOrder: trigger.completesOrder,
        notifyCustomer,
      },
      summary: `shipment ${trigger.shipmentId} (${units} unit${units === 1 ? '' : 's'}, ${carrierName(carrierId)} ${trigger.trackingNumber})`,
    };
  }
  if (trigger.kind === 'cancellation') {
    const paidAtChannel = paymentModeOf(order) === 'channel';
    const lines = trigger.lines?.filter((line) => line.quantity > 0);
    if (trigger.lines && !lines?.length) return { skip: 'the change cancelled no units' };
    const units = lines?.reduce((sum, line) => sum + line.quantity, 0);
    return {
      action: {
        kind: 'cancellation',
        actionId: trigger.changeId ? `cancel:${trigger.changeId}` : 'cancel',
        order: ref,
        reason: cancelReasonOf(trigger.reason, actor),
        ...(lines ? { lines } : {}),
        note: trigger.reason,
        paidAtChannel,
      },
      summary: lines ? `cancellation of ${units} unit${units === 1 ? '' : 's'} (${trigger.reason})` : `cancellation of the order (${trigger.reason})`,
    };
  }
  if (trigger.status !== 'to_refund_at_channel') return { skip: `refund ${trigger.refundId} is ${trigger.status}: nothing for the channel to pay back` };
  const refund = (await deps.refunds.forOrder(order.orderId)).find((r) => r.refundId === trigger.refundId);
  if (!refund) return { skip: `refund ${trigger.refundId} does not exist` };
  if (refund.amount <= 0) return { skip: `refund ${trigger.refundId} gives nothing back` };
  return {
    action: refundAction(order, ref, refund),
    summary: `refund ${refund.refundId} of ${formatMoney(refund.amount, refund.currency)} (${refund.reason})`,
  };
}

function orderRef(order: Order): ChannelOrderRef {
  return {
    orderId: order.orderId,
    channelId: order.channel.channelId,
    channelType: order.channel.channelType,
    externalOrderId: order.channel.externalOrderId,
    currency: order.currency,
    ...(order.channel.marketplaceId ? { marketplaceId: order.channel.marketplaceId } : {}),
  };
}

function refundAction(order: Order, ref: ChannelOrderRef, refund: Refund): ChannelAction {
  const taxesIncluded = order.totals.taxesIncluded;
  const lines: (ChannelLineRef & { amount: number; tax: number })[] = refund.lines.map((line) => ({
    lineId: line.lineId,
    sku: line.sku,
    quantity: line.quantity,
    amount: line.amount,
    tax: line.tax,
  }));
  const shipping = refund.shipping ? refund.shipping.amount + (taxesIncluded ? 0 : refund.shipping.tax) : 0;
  return {
    kind: 'refund',
    actionId: `refund:${refund.refundId}`,
    order: ref,
    refundId: refund.refundId,
    amount: refund.amount,
    lines,
    shipping,
    reason: refund.kind === 'return' ? 'return' : refund.kind === 'cancellation' ? 'cancellation' : refund.kind === 'goodwill' ? 'goodwill' : refund.kind === 'claim' ? 'claim' : 'other',
    ...(refund.note ? { note: refund.note } : { note: refund.reason }),
    restock: false,
  };
}

/** GET /v1/orders/{orderId}/channel-sync: 404 for an unknown order. */
export async function channelSyncOf(deps: Pick<WritebackDeps, 'orders' | 'actions'>, orderId: string): Promise<ChannelSyncRecord[]> {
  const [order, records] = await Promise.all([deps.orders.get(orderId), deps.actions.forOrder(orderId)]);
  if (!order) throw new NotFoundError(`Order ${orderId} does not exist`);
  return records;
}

/** A refund owed at the channel that the channel just made: `refunded`, with the channel's id for it. */
async function settledRefund(deps: Pick<WritebackDeps, 'refunds'>, orderId: string, refundId: string, at: string, reference: string | undefined): Promise<{ refund: Refund } | undefined> {
  const refund = (await deps.refunds.forOrder(orderId)).find((r) => r.refundId === refundId);
  if (refund?.status !== 'to_refund_at_channel') return undefined;
  return { refund: { ...refund, status: 'refunded', refundedAtChannel: { at, ...(reference ? { reference } : {}) }, updatedAt: at, completedAt: at } };
}
