import type * as z from 'zod';
import { ChannelChanged } from './channel-changed.ts';
import type { EventDefinition } from './define.ts';
import { ListingChanged } from './listing-changed.ts';
import { LocationChanged } from './location-changed.ts';
import { AvailabilityChanged } from './availability-changed.ts';
import { OrderBackordered } from './order-backordered.ts';
import { OrderCancelled } from './order-cancelled.ts';
import { OrderLinesCancelled } from './order-lines-cancelled.ts';
import { OrderEdited } from './order-edited.ts';
import { OrderReceived } from './order-received.ts';
import { OrderUpdated } from './order-updated.ts';
import { ShipmentShipped } from './shipment-shipped.ts';
import { StockReleased } from './stock-released.ts';
import { StockReserved } from './stock-reserved.ts';
import { OrderRouted } from './order-routed.ts';
import { FulfillmentReported } from './fulfillment-reported.ts';
import { FulfillmentCreated } from './fulfillment-created.ts';
import { FulfillmentStatusChanged } from './fulfillment-status-changed.ts';
import { ShipmentTrackingUpdated } from './shipment-tracking-updated.ts';
import { ShipmentDelivered } from './shipment-delivered.ts';
import { PaymentAuthorized } from './payment-authorized.ts';
import { PaymentFailed } from './payment-failed.ts';
import { PaymentCaptured } from './payment-captured.ts';
import { InvoiceIssued } from './invoice-issued.ts';
import { RefundIssued } from './refund-issued.ts';
import { RefundFailed } from './refund-failed.ts';
import { CreditNoteIssued } from './credit-note-issued.ts';
import { NotificationSent } from './notification-sent.ts';
import { RoutingRulesChanged } from './routing-rules-changed.ts';
import { ReturnRequested } from './return-requested.ts';
import { ReturnApproved } from './return-approved.ts';
import { ReturnRejected } from './return-rejected.ts';
import { ReturnReceived } from './return-received.ts';
import { ReturnClosed } from './return-closed.ts';
import { OrderHeld } from './order-held.ts';
import { OrderReleased } from './order-released.ts';
import { ChannelSyncRetryRequested } from './channel-sync-retry-requested.ts';
import { ExchangeCreated } from './exchange-created.ts';
import { ClaimCreated } from './claim-created.ts';
import { ClaimResolved } from './claim-resolved.ts';

/** Every event the OMS publishes. The outbox pipe refuses anything not listed here. */
export const eventCatalog: readonly EventDefinition<z.ZodType>[] = [
  LocationChanged,
  ChannelChanged,
  OrderReceived,
  OrderUpdated,
  OrderCancelled,
  OrderLinesCancelled,
  OrderEdited,
  StockReserved,
  StockReleased,
  OrderBackordered,
  AvailabilityChanged,
  ShipmentShipped,
  ListingChanged,
  OrderRouted,
  FulfillmentCreated,
  FulfillmentStatusChanged,
  ShipmentTrackingUpdated,
  ShipmentDelivered,
  PaymentAuthorized,
  PaymentFailed,
  PaymentCaptured,
  InvoiceIssued,
  RefundIssued,
  RefundFailed,
  CreditNoteIssued,
  NotificationSent,
  RoutingRulesChanged,
  ReturnRequested,
  ReturnApproved,
  ReturnRejected,
  ReturnReceived,
  ReturnClosed,
  OrderHeld,
  OrderReleased,
  ChannelSyncRetryRequested,
  ExchangeCreated,
  ClaimCreated,
  ClaimResolved,
];

/** Events other systems send to the OMS bus (never published by the OMS; the outbox refuses them). */
export const inboundEvents: readonly EventDefinition<z.ZodType>[] = [FulfillmentReported];

export function findEvent(source: string, detailType: string): EventDefinition<z.ZodType> | undefined {
  return eventCatalog.find((e) => e.source === source && e.detailType === detailType);
}
