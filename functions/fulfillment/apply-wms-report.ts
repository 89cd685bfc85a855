import * as z from 'zod';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { wmsLocationsFrom } from '#shared/domain/wms.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { applyWmsReport } from '#shared/use-cases/fulfillment.ts';

const deps = fulfillmentDeps();
// Each WMS's locations (OMS_WMS_LOCATIONS, set from the CDK context `wms`); a malformed value fails the cold start.
const wms = wmsLocationsFrom(process.env);

/**
 * Rule target of FulfillmentReported (source `wms.<wmsId>`): the WMS's
 * report, applied like the API's for that WMS's own locations; refusals are
 * logged, nothing is written.
 */
export const handler = taskHandler(
  z.object({ source: z.string(), detail: FulfillmentReported.detail }),
  async ({ source, detail }) => {
    const result = await applyWmsReport(deps, {
      source,
      wms,
      fulfillmentId: detail.data.fulfillmentId,
      event: detail.data.report,
      correlationId: detail.metadata.correlationId ?? detail.metadata.eventId,
    });
    if (result.outcome === 'refused') logger.warn('WMS report refused', { source, fulfillmentId: detail.data.fulfillmentId, report: detail.data.report.type, reason: result.reason });
    return result;
  },
  { correlationId: ({ detail }) => detail.metadata.correlationId ?? detail.metadata.eventId },
);
