import { AvailabilityChanged } from '#events/availability-changed.ts';
import * as z from 'zod';
import { activeLocations, inventoryRepository, orderRepository, unpaidReservationMinutes } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { reserveWaitingOrders } from '#shared/use-cases/reservations.ts';

const deps = {
  orders: orderRepository(),
  inventory: inventoryRepository(),
  activeLocations: activeLocations(),
  clock: systemClock,
  unpaidReservationMinutes: unpaidReservationMinutes(),
};

/** Rule target of AvailabilityChanged (increased): backordered and held orders for the SKU are served, oldest first. */
export const handler = taskHandler(z.object({ detail: AvailabilityChanged.detail }), async ({ detail }) =>
  reserveWaitingOrders(deps, { sku: detail.data.sku, actor: 'inventory', correlationId: detail.metadata.eventId }),
);
