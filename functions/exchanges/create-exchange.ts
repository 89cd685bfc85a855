import * as z from 'zod';
import { EventMetadata } from '#events/define.ts';
import { exchangeDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { createExchange } from '#shared/use-cases/exchanges.ts';

const deps = exchangeDeps();

/** Rule ReturnApprovedCreatesExchange: the ReturnApproved event itself. */
const Event = z.object({ detail: z.object({ metadata: EventMetadata, data: z.object({ returnId: z.string() }) }) });

export const handler = taskHandler(
  Event,
  (input) => createExchange(deps, { returnId: input.detail.data.returnId, actor: 'event:ReturnApproved', correlationId: input.detail.metadata.correlationId ?? input.detail.metadata.eventId }),
  { correlationId: (input) => input.detail.metadata.correlationId ?? input.detail.metadata.eventId },
);
