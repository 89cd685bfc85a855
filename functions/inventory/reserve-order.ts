import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';
import { reservationDeps } from '#shared/adapters/dependencies.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { reserveOrder } from '#shared/use-cases/reservations.ts';

const deps = reservationDeps();

/** Rule target of OrderReceived (and OrderUpdated back to received): reserve the order's stock. */
export const handler = taskHandler(
  z.object({ detail: z.object({ metadata: EventMetadata, data: z.object({ order: z.object({ orderId: z.string() }) }) }) }),
  async ({ detail }) => {
    const result = await reserveOrder(deps, {
      orderId: detail.data.order.orderId,
      actor: 'inventory',
      correlationId: detail.metadata.correlationId ?? detail.metadata.eventId,
    });
    logger.info('Reservation', { ...result });
    return result;
  },
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
