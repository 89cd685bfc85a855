import * as z from 'zod';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { applyWmsReport } from '#shared/use-cases/fulfillment.ts';

const deps = fulfillmentDeps();

/** Rule target of FulfillmentReported (source `wms`): the WMS's report, applied like the API's; refusals are logged. */
export const handler = taskHandler(
  z.object({ detail: FulfillmentReported.detail }),
  async ({ detail }) => {
    const result = await applyWmsReport(deps, {
      fulfillmentId: detail.data.fulfillmentId,
      event: detail.data.report,
      actor: detail.metadata.actor.startsWith('wms') ? detail.metadata.actor : `wms:${detail.metadata.actor}`,
      correlationId: detail.metadata.correlationId ?? detail.metadata.eventId,
    });
    if (result.outcome === 'refused') logger.warn('WMS report refused', { fulfillmentId: detail.data.fulfillmentId, report: detail.data.report.type, reason: result.reason });
    return result;
  },
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
