import { AvailabilityChanged } from '#events/availability-changed.ts';
import * as z from 'zod';
import { reservationDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { reserveWaitingOrders } from '#shared/use-cases/reservations.ts';

const deps = reservationDeps();

/** Rule target of AvailabilityChanged (increased): backordered and held orders for the SKU are served, oldest first. */
export const handler = taskHandler(z.object({ detail: AvailabilityChanged.detail }), async ({ detail }) =>
  reserveWaitingOrders(deps, { sku: detail.data.sku, actor: 'inventory', correlationId: detail.metadata.eventId }),
);
