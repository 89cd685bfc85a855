import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';
import { reservationDeps } from '#shared/adapters/dependencies.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { reserveOrder } from '#shared/use-cases/reservations.ts';

const deps = reservationDeps();

/** Rule target of OrderReceived (and OrderUpdated back to received, OrderReleased to reservation): reserve the order's stock. */
export const handler = taskHandler(
  z.object({
    detail: z.object({
      metadata: EventMetadata,
      // Order events carry the order; OrderReleased carries its id.
      data: z.union([z.object({ order: z.object({ orderId: z.string() }) }), z.object({ orderId: z.string() })]),
    }),
  }),
  async ({ detail }) => {
    const result = await reserveOrder(deps, {
      orderId: 'order' in detail.data ? detail.data.order.orderId : detail.data.orderId,
      actor: 'inventory',
      correlationId: detail.metadata.correlationId ?? detail.metadata.eventId,
    });
    logger.info('Reservation', { ...result });
    return result;
  },
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
