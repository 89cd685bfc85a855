import * as z from 'zod';
import { inventoryRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { sweepLapsedReservations } from '#shared/use-cases/reservations.ts';

const deps = { orders: orderRepository(), inventory: inventoryRepository(), clock: systemClock };

/** Scheduled every 5 minutes: unpaid orders past their reservation time give their stock back. */
export const handler = taskHandler(z.object({ job: z.literal('reservation-expiry') }), async () => sweepLapsedReservations(deps));
