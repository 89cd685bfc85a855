import { ChannelChanged } from '#events/channel-changed.ts';
import { AvailabilityChanged } from '#events/availability-changed.ts';
import { ListingChanged } from '#events/listing-changed.ts';
import { LocationChanged } from '#events/location-changed.ts';
import { OrderCancelled } from '#events/order-cancelled.ts';
import { OrderEdited } from '#events/order-edited.ts';
import { OrderLinesCancelled } from '#events/order-lines-cancelled.ts';
import { OrderReceived } from '#events/order-received.ts';
import { OrderUpdated } from '#events/order-updated.ts';
import { OrderBackordered } from '#events/order-backordered.ts';
import { StockReserved } from '#events/stock-reserved.ts';
import { ShipmentShipped } from '#events/shipment-shipped.ts';
import { FulfillmentStatusChanged } from '#events/fulfillment-status-changed.ts';
import { ShipmentTrackingUpdated } from '#events/shipment-tracking-updated.ts';
import { ShipmentDelivered } from '#events/shipment-delivered.ts';
import { RefundIssued } from '#events/refund-issued.ts';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { OrderReleased } from '#events/order-released.ts';
import { ReturnApproved } from '#events/return-approved.ts';
import { ReturnReceived } from '#events/return-received.ts';
import { ChannelSyncRetryRequested } from '#events/channel-sync-retry-requested.ts';
import { WRITEBACK_TYPES } from '#shared/domain/channel-writeback.ts';
import type { EventPattern } from '#events/define.ts';
import type { FunctionName } from './functions.ts';
import type { QueueName } from './queues.ts';
import type { WorkflowName } from './workflows.ts';

/**
 * Rules of the OMS event bus: which events go where. CDK creates one
 * EventBridge rule per entry; the local bus matches the same patterns and
 * delivers to the same targets with the same retry budget, then dead-letters.
 */
export interface RuleSpec {
  id: string;
  description: string;
  pattern: EventPattern;
  /** A queue target receives the event's `detail` as the message body, or the whole event (`message: 'event'`: with its detail-type, for consumers of several events). */
  target: { workflow: WorkflowName } | { function: FunctionName } | { queue: QueueName; message?: 'detail' | 'event' };
  /** Delivery attempts after the first before the event goes to the dead-letter queue. */
  retryAttempts: number;
  maxEventAgeSeconds: number;
}

export const rules: RuleSpec[] = [
  {
    id: 'LocationChangedStartsReadiness',
    description: 'Every location change is assessed for routing readiness',
    pattern: LocationChanged.pattern(),
    target: { workflow: 'locationReadiness' },
    retryAttempts: 8,
    maxEventAgeSeconds: 3600,
  },
  {
    id: 'ChannelChangedSchedulesPolls',
    description: 'Polled channels (Amazon, eBay) get a schedule at their poll interval while active',
    pattern: ChannelChanged.pattern(),
    target: { function: 'schedulePolls' },
    retryAttempts: 8,
    maxEventAgeSeconds: 3600,
  },
  {
    id: 'OrderReceivedReservesStock',
    description: 'Every new order is reserved against stock',
    pattern: OrderReceived.pattern(),
    target: { function: 'reserveOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'OrderReleasedFromHoldReservesStock',
    description: 'An order back to received (payment confirmed after a hold) is reserved again',
    pattern: OrderUpdated.pattern({ data: { order: { status: ['received'] } } }),
    target: { function: 'reserveOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'HoldReleasedReservesStock',
    description: 'An order a person released from money review (back to received) is reserved',
    pattern: OrderReleased.pattern({ data: { resumes: ['reservation'] } }),
    target: { function: 'reserveOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'HoldReleasedStartsFulfillment',
    description: 'A reserved order released from a hold gets payment confirmed and fulfillments at its locations',
    pattern: OrderReleased.pattern({ data: { resumes: ['fulfillment'] } }),
    target: { workflow: 'fulfillOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'OrderCancelledReleasesStock',
    description: 'A cancelled order gives its reserved stock back',
    pattern: OrderCancelled.pattern(),
    target: { function: 'releaseOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'StockIncreasedServesBackorders',
    description: 'When a SKU becomes more available, waiting orders are served oldest first',
    pattern: AvailabilityChanged.pattern({ data: { change: ['increased'] } }),
    target: { function: 'reserveWaitingOrders' },
    retryAttempts: 8,
    maxEventAgeSeconds: 3600,
  },
  {
    id: 'AvailabilityChangedPushesChannels',
    description: 'Every change of available stock is pushed to the channels that list the SKU (coalesced by the queue)',
    pattern: AvailabilityChanged.pattern(),
    target: { queue: 'availability' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'ListingChangedPushesChannel',
    description: 'A new or changed listing receives the current available-to-sell figure',
    pattern: ListingChanged.pattern({ data: { change: ['created', 'updated'] } }),
    target: { queue: 'availability' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'OrderReservedStartsFulfillment',
    description: 'A fully reserved order (new, backorder filled, or re-routed) gets payment confirmed and fulfillments at its locations',
    pattern: StockReserved.pattern({ data: { status: ['reserved'] } }),
    target: { workflow: 'fulfillOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'LinesCancelledRefulfills',
    description: 'Units left without a fulfillment by a partial cancellation (their parcel was cancelled) get a new one',
    pattern: OrderLinesCancelled.pattern({ data: { change: { refulfill: [true] } } }),
    target: { workflow: 'fulfillOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'LinesCancelledReservesStock',
    description: 'A held order that lost lines (back to received) is routed and reserved again',
    pattern: OrderLinesCancelled.pattern({ data: { order: { status: ['received'] } } }),
    target: { function: 'reserveOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'OrderEditedRefulfills',
    description: 'Units an edit added, or whose parcel it cancelled (new address, changed lines), get a fulfillment with a new label',
    pattern: OrderEdited.pattern({ data: { change: { refulfill: [true] } } }),
    target: { workflow: 'fulfillOrder' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'LinesCancelledRefundsAtChannel',
    description: 'A channel-paid order whose units were cancelled owes the customer their value: recorded as a refund to make at the channel',
    // Also a card order whose provider captured ahead of shipping (Stripe without multicapture): refundOrderChange refunds what was captured beyond the new total.
    pattern: OrderLinesCancelled.pattern({ data: { change: { money: { action: ['refund_at_channel', 'captures_follow_lines'] } } } }),
    target: { function: 'refundOrderChange' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'OrderEditedRefundsAtChannel',
    description: 'A channel-paid order an edit made cheaper owes the customer the difference: recorded as a refund to make at the channel',
    pattern: OrderEdited.pattern({ data: { change: { money: { action: ['refund_at_channel', 'captures_follow_lines'] } } } }),
    target: { function: 'refundOrderChange' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'ShipmentShippedCompletesShipment',
    description: 'A shipped parcel is captured, invoiced and announced to the customer',
    pattern: ShipmentShipped.pattern(),
    target: { workflow: 'completeShipment' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'FulfillmentLostReroutes',
    description: 'Lines a location rejected or did not accept in time are routed again without it',
    pattern: FulfillmentStatusChanged.pattern({ data: { status: ['rejected', 'timed_out'] } }),
    target: { function: 'rerouteFulfillment' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'WmsReportsFulfillment',
    description: 'A WMS reports fulfillment progress on the bus instead of the API',
    pattern: FulfillmentReported.pattern(),
    target: { function: 'applyWmsReport' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'OrderCancelledCancelsFulfillments',
    description: 'A cancelled order: open fulfillments are cancelled, labels and the authorization voided',
    pattern: OrderCancelled.pattern(),
    target: { function: 'cancelFulfillments' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'ReturnApprovedSendsLabel',
    description: 'An approved return gets its label, e-mailed to the customer',
    pattern: ReturnApproved.pattern(),
    target: { workflow: 'returnApproved' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'ReturnApprovedCreatesExchange',
    description: 'An approved exchange gets its replacement order (held until the return is received when the policy ships on receipt)',
    pattern: ReturnApproved.pattern({ data: { resolution: ['exchange'] } }),
    target: { function: 'createExchange' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'ShipmentExceptionOpensClaim',
    description: 'A parcel the carrier scanned exception or lost opens one claim for staff to review (no reship or refund until they resolve it)',
    pattern: ShipmentTrackingUpdated.pattern({ data: { status: ['exception'] } }),
    target: { function: 'openCarrierClaim' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  {
    id: 'ReturnReceivedSettlesReturn',
    description: 'A received return is restocked or written off, refunded and closed, and the customer told',
    pattern: ReturnReceived.pattern(),
    target: { workflow: 'returnReceived' },
    retryAttempts: 185,
    maxEventAgeSeconds: 86_400,
  },
  ...(
    [
      ['ShipmentWritesBackToChannel', 'A shipment with its tracking is confirmed to the channel the order came from', ShipmentShipped.pattern({ data: { channelType: [...WRITEBACK_TYPES] } })],
      [
        'CancellationWritesBackToChannel',
        'An order cancelled in the OMS (not at the channel) is cancelled at its channel',
        OrderCancelled.pattern({ metadata: { actor: [{ 'anything-but': { prefix: 'channel:' } }] }, data: { order: { channel: { channelType: [...WRITEBACK_TYPES] } } } }),
      ],
      [
        'LineCancellationWritesBackToChannel',
        'Lines cancelled in the OMS are cancelled at the channel',
        OrderLinesCancelled.pattern({ data: { order: { channel: { channelType: [...WRITEBACK_TYPES] } } } }),
      ],
      ['ChannelRefundWritesBackToChannel', 'A refund owed at the channel is sent to the channel', RefundIssued.pattern({ data: { status: ['to_refund_at_channel'] } })],
      ['RetriedWritebackGoesBackOnQueue', 'A failed write-back a person retries is sent again', ChannelSyncRetryRequested.pattern()],
    ] as const
  ).map(
    ([id, description, pattern]): RuleSpec => ({ id, description, pattern, target: { queue: 'writeback', message: 'event' }, retryAttempts: 185, maxEventAgeSeconds: 86_400 }),
  ),
  ...(
    [
      ['BackorderNotifiesCustomer', 'A customer whose order waits for stock is told so', OrderBackordered.pattern({ data: { held: [false] } })],
      ['CancellationNotifiesCustomer', 'A customer whose order the merchant (not the channel) cancelled is told so', OrderCancelled.pattern({ metadata: { actor: [{ 'anything-but': { prefix: 'channel:' } }] } })],
      ['OutForDeliveryNotifiesCustomer', 'A parcel out for delivery is announced', ShipmentTrackingUpdated.pattern({ data: { status: ['out_for_delivery'] } })],
      ['DeliveryNotifiesCustomer', 'A delivered parcel is confirmed to the customer', ShipmentDelivered.pattern()],
      ['RefundNotifiesCustomer', 'A refund (through the provider, at the channel or by hand) is announced to the customer once', RefundIssued.pattern()],
    ] as const
  ).map(
    ([id, description, pattern]): RuleSpec => ({ id, description, pattern, target: { function: 'notifyCustomer' }, retryAttempts: 185, maxEventAgeSeconds: 86_400 }),
  ),
];
