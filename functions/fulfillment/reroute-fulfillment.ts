import { FulfillmentStatusChanged } from '#events/fulfillment-status-changed.ts';
import * as z from 'zod';
import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { rerouteFulfillment } from '#shared/use-cases/fulfillment.ts';

const deps = fulfillmentDeps();

/** Rule target of FulfillmentStatusChanged (rejected, timed_out): route the lines again without that location. */
export const handler = taskHandler(
  z.object({ detail: FulfillmentStatusChanged.detail }),
  async ({ detail }) => {
    const result = await rerouteFulfillment(deps, { fulfillmentId: detail.data.fulfillmentId, actor: 'routing', correlationId: detail.metadata.correlationId ?? detail.metadata.eventId });
    logger.info('Re-route', { fulfillmentId: detail.data.fulfillmentId, ...result });
    return result;
  },
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
