import * as z from 'zod';
import { inventoryRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { cancelOverdueBackorders, sweepLapsedReservations } from '#shared/use-cases/reservations.ts';

const deps = { orders: orderRepository(), inventory: inventoryRepository(), clock: systemClock };

/**
 * Scheduled every 5 minutes: unpaid orders past their reservation time give
 * their stock back; backorders past their routing rule's deadline are cancelled.
 */
export const handler = taskHandler(z.object({ job: z.literal('reservation-expiry') }), async () => ({
  ...(await sweepLapsedReservations(deps)),
  ...(await cancelOverdueBackorders(deps)),
}));
