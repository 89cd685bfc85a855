import * as z from 'zod';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { applyFulfillmentEvent } from '#shared/use-cases/fulfillment.ts';

const deps = fulfillmentDeps();

/**
 * Rule target of FulfillmentReported (source `wms`): the WMS's report,
 * applied like the API's. A report that cannot apply (unknown fulfillment,
 * a step back) is refused and logged, not retried: retrying would not
 * change the answer.
 */
export const handler = taskHandler(
  z.object({ detail: FulfillmentReported.detail }),
  async ({ detail }) => {
    try {
      const result = await applyFulfillmentEvent(deps, {
        fulfillmentId: detail.data.fulfillmentId,
        event: detail.data.report,
        actor: detail.metadata.actor.startsWith('wms') ? detail.metadata.actor : `wms:${detail.metadata.actor}`,
        correlationId: detail.metadata.correlationId ?? detail.metadata.eventId,
      });
      return { outcome: result.outcome, orderStatus: result.orderStatus };
    } catch (error) {
      if (!(error instanceof ConflictError || error instanceof NotFoundError) || error.code === 'concurrent_modification') throw error;
      logger.warn('WMS report refused', { fulfillmentId: detail.data.fulfillmentId, report: detail.data.report.type, reason: error.message });
      return { outcome: 'refused', reason: error.message };
    }
  },
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
