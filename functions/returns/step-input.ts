import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';

/** What the return workflows pass to their task states: the return the event is about, and the event's metadata (correlation id). */
export const ReturnStep = z.object({ returnId: z.string(), metadata: EventMetadata });

export const returnStepActor = (workflow: string, input: z.output<typeof ReturnStep>) => ({
  actor: `workflow:${workflow}`,
  correlationId: input.metadata.correlationId ?? input.metadata.eventId,
});

export const returnCorrelation = (input: z.output<typeof ReturnStep>) => input.metadata.correlationId ?? input.metadata.eventId;
