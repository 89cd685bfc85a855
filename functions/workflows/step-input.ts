import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';

/**
 * What the order workflows pass to their task states: the order (and
 * shipment) the triggering event is about, and the event's metadata for the
 * correlation id.
 */
export const StepInput = z.object({
  orderId: z.string(),
  shipmentId: z.string().optional(),
  metadata: EventMetadata,
});

export const stepActor = (workflow: string, input: z.output<typeof StepInput>) => ({
  actor: `workflow:${workflow}`,
  correlationId: input.metadata.correlationId ?? input.metadata.eventId,
});

export const correlationOf = (input: { metadata: z.output<typeof EventMetadata> }) => input.metadata.correlationId ?? input.metadata.eventId;
