import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { ChannelSyncRetryRequested } from '#events/channel-sync-retry-requested.ts';
import { OrderCancelled } from '#events/order-cancelled.ts';
import { OrderLinesCancelled } from '#events/order-lines-cancelled.ts';
import { RefundIssued } from '#events/refund-issued.ts';
import { ShipmentShipped } from '#events/shipment-shipped.ts';
import { channelWriterFor } from '#shared/adapters/channel-writeback.ts';
import { writebackDeps } from '#shared/adapters/dependencies.ts';
import { WRITEBACK_DELIVERIES, cancelledLines } from '#shared/domain/channel-writeback.ts';
import { logger, metrics, setCorrelationId } from '#shared/observability/powertools.ts';
import { queueHandler } from '#shared/tasks/handler.ts';
import { WritebackRetryLater, writeBack, type WritebackTrigger } from '#shared/use-cases/channel-writeback.ts';

const deps = {
  ...writebackDeps(),
  writerFor: channelWriterFor,
  onFailed: () => metrics.addMetric('ChannelSyncFailed', MetricUnit.Count, 1),
};

/** The queue carries whole events (the rules' `message: 'event'`): the detail-type says which. */
const Message = z.object({ 'detail-type': z.string(), detail: z.unknown() });

function triggerOf(detailType: string, detail: unknown): { trigger: WritebackTrigger; actor: string; correlationId?: string | undefined } {
  switch (detailType) {
    case ShipmentShipped.detailType: {
      const { metadata, data } = ShipmentShipped.parse(detail);
      return {
        trigger: { kind: 'shipment', orderId: data.orderId, shipmentId: data.shipmentId, lines: data.lines, carrier: data.carrier, trackingNumber: data.trackingNumber, completesOrder: data.orderStatus === 'shipped' },
        actor: 'writeback',
        correlationId: metadata.correlationId,
      };
    }
    case OrderCancelled.detailType: {
      const { metadata, data } = OrderCancelled.parse(detail);
      return { trigger: { kind: 'cancellation', orderId: data.order.orderId, reason: data.reason }, actor: metadata.actor, correlationId: metadata.correlationId };
    }
    case OrderLinesCancelled.detailType: {
      const { metadata, data } = OrderLinesCancelled.parse(detail);
      return {
        trigger: { kind: 'cancellation', orderId: data.orderId, reason: data.change.reason, changeId: data.change.changeId, lines: cancelledLines(data.change.lines) },
        actor: metadata.actor,
        correlationId: metadata.correlationId,
      };
    }
    case RefundIssued.detailType: {
      const { metadata, data } = RefundIssued.parse(detail);
      return { trigger: { kind: 'refund', orderId: data.orderId, refundId: data.refundId, status: data.status }, actor: 'writeback', correlationId: metadata.correlationId };
    }
    case ChannelSyncRetryRequested.detailType: {
      const { metadata, data } = ChannelSyncRetryRequested.parse(detail);
      return { trigger: { kind: 'retry', orderId: data.orderId, actionId: data.actionId }, actor: metadata.actor, correlationId: metadata.correlationId };
    }
    default:
      throw new Error(`The write-back queue does not handle ${detailType} events`);
  }
}

/**
 * Consumer of the write-back queue, one message at a time. A transient
 * channel failure leaves the action pending and the message returns to the
 * queue; on its last delivery (WRITEBACK_DELIVERIES) the use case records the
 * action failed instead, so nothing is lost in the dead-letter queue unseen.
 */
export const handler = queueHandler(async (body, record) => {
  const message = Message.parse(JSON.parse(body));
  const { trigger, actor, correlationId } = triggerOf(message['detail-type'], message.detail);
  if (correlationId) setCorrelationId(correlationId);
  const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
  try {
    const outcome = await writeBack(deps, trigger, { finalAttempt: receives >= WRITEBACK_DELIVERIES, actor, correlationId });
    logger.info('Write-back', { orderId: trigger.orderId, ...outcome });
  } catch (error) {
    if (error instanceof WritebackRetryLater) logger.warn(error.message, { orderId: trigger.orderId, receives });
    throw error;
  }
});
