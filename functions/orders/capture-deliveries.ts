import * as z from 'zod';
import { inboxRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { logger, setCorrelationId } from '#shared/observability/powertools.ts';
import { queueHandler } from '#shared/tasks/handler.ts';
import { captureDelivery } from '#shared/use-cases/capture-delivery.ts';

const deps = { inbox: inboxRepository(), orders: orderRepository(), clock: systemClock };

/** The inbox pipe's message: the key of the stored delivery (bodies can be larger than a queue message). */
const DeliveryKey = z.object({ PK: z.string().min(1), SK: z.string().min(1) });

/** Consumer of the capture queue: stored deliveries → canonical orders, exactly once. */
export const handler = queueHandler(async (body) => {
  const key = DeliveryKey.parse(JSON.parse(body));
  const result = await captureDelivery(deps, key, { onCorrelationId: setCorrelationId });
  logger.info('Delivery captured', { ...result });
});
