import * as z from 'zod';
import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { expireUnacceptedFulfillments } from '#shared/use-cases/fulfillment.ts';

const deps = fulfillmentDeps();

/**
 * Scheduled: fulfillments not accepted by their deadline time out. `asOf`
 * (optional) sweeps as of another instant — operations use it to release
 * work from a location that is known to be closed.
 */
export const handler = taskHandler(z.object({ job: z.literal('fulfillment-timeouts'), asOf: z.iso.datetime().optional() }), async (input) => {
  const result = await expireUnacceptedFulfillments(deps, input.asOf ? new Date(input.asOf) : undefined);
  logger.info('Fulfillment timeouts', { timedOut: result.timedOut.length });
  return result;
});
