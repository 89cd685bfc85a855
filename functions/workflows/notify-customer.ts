import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';
import { notificationDeps } from '#shared/adapters/dependencies.ts';
import { NotificationTemplate } from '#shared/domain/notification.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { notificationForEvent, notifyCustomer, withShipment } from '#shared/use-cases/notifications.ts';

const deps = notificationDeps();

/** From a workflow: a template about the order (or one shipment of it). */
const Step = z.object({ template: NotificationTemplate, orderId: z.string(), shipmentId: z.string().optional(), metadata: EventMetadata });
/** From a rule: the event itself. */
const Event = z.object({ 'detail-type': z.string(), detail: z.object({ metadata: EventMetadata, data: z.record(z.string(), z.unknown()) }) });

export const handler = taskHandler(z.union([Step, Event]), async (input) => {
  if ('template' in input) {
    const context = await withShipment(deps, input.shipmentId ? { shipmentId: input.shipmentId } : {});
    const about = input.shipmentId ?? input.orderId;
    return notifyCustomer(deps, { orderId: input.orderId, template: input.template, about, context, actor: 'workflow' });
  }
  const wanted = notificationForEvent({ detailType: input['detail-type'], eventId: input.detail.metadata.eventId, data: input.detail.data });
  if (!wanted) {
    logger.info('Nothing to tell the customer about this event', { detailType: input['detail-type'] });
    return { sent: 0, skipped: 0 };
  }
  return notifyCustomer(deps, { ...wanted, context: await withShipment(deps, wanted.context), actor: `event:${input['detail-type']}` });
}, { correlationId: (input) => ('template' in input ? input.metadata : input.detail.metadata).correlationId });
