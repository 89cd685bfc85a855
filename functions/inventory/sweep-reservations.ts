import * as z from 'zod';
import { inventoryRepository, orderHoldRepository, orderRepository, refundDeps } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { releaseDueHolds } from '#shared/use-cases/holds.ts';
import { finishPendingRefunds } from '#shared/use-cases/refunds.ts';
import { cancelOverdueBackorders, sweepLapsedReservations } from '#shared/use-cases/reservations.ts';

const deps = { orders: orderRepository(), inventory: inventoryRepository(), holds: orderHoldRepository(), clock: systemClock };

/**
 * Scheduled every 5 minutes: unpaid orders past their reservation time give
 * their stock back; backorders past their routing rule's deadline are
 * cancelled; holds past their `until` are released; provider refunds still
 * pending a minute after they were recorded are finished (or marked failed).
 * (One function for the order deadlines: no function, schedule or alarm more
 * per kind of deadline.)
 */
export const handler = taskHandler(z.object({ job: z.literal('reservation-expiry') }), async () => ({
  ...(await sweepLapsedReservations(deps)),
  ...(await cancelOverdueBackorders(deps)),
  holdsReleased: (await releaseDueHolds(deps)).released,
  refunds: await finishPendingRefunds(refundDeps()),
}));
