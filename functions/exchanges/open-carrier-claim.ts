import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';
import { exchangeDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { openCarrierClaim } from '#shared/use-cases/exchanges.ts';

const deps = exchangeDeps();

/** Rule ShipmentExceptionOpensClaim: the ShipmentTrackingUpdated event itself (status `exception`; `lost: true` when the carrier declared the parcel lost). */
const Event = z.object({
  detail: z.object({
    metadata: EventMetadata,
    data: z.object({
      shipmentId: z.string(),
      carrierId: z.string(),
      trackingNumber: z.string(),
      status: z.literal('exception'),
      lost: z.literal(true).optional(),
      occurredAt: z.string(),
      description: z.string().optional(),
    }),
  }),
});

export const handler = taskHandler(
  Event,
  (input) => {
    const { data, metadata } = input.detail;
    return openCarrierClaim(deps, {
      shipmentId: data.shipmentId,
      carrierId: data.carrierId,
      trackingNumber: data.trackingNumber,
      status: data.lost ? 'lost' : 'exception',
      occurredAt: data.occurredAt,
      description: data.description,
      actor: `carrier:${data.carrierId}`,
      correlationId: metadata.correlationId ?? metadata.eventId,
    });
  },
  { correlationId: (input) => input.detail.metadata.correlationId ?? input.detail.metadata.eventId },
);
