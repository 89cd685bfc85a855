import { OrderCancelled } from '#events/order-cancelled.ts';
import * as z from 'zod';
import { inventoryRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { releaseOrder } from '#shared/use-cases/reservations.ts';

const deps = { orders: orderRepository(), inventory: inventoryRepository(), clock: systemClock };

/** Rule target of OrderCancelled: the order's reserved stock goes back to available. */
export const handler = taskHandler(
  z.object({ detail: OrderCancelled.detail }),
  async ({ detail }) =>
    releaseOrder(deps, { orderId: detail.data.order.orderId, reason: 'cancelled', actor: 'inventory', correlationId: detail.metadata.correlationId ?? detail.metadata.eventId }),
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
