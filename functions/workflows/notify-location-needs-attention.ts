import * as z from 'zod';
import { mailer, opsRecipients } from '#shared/adapters/dependencies.ts';
import { Location, LocationReadiness } from '#shared/domain/location.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { notifyLocationNeedsAttention } from '#shared/use-cases/location-readiness.ts';

const deps = { mailer: mailer(), opsRecipients: opsRecipients() };

/** Task `NotifyOperations` of the location-readiness workflow. */
export const handler = taskHandler(
  z.object({ location: Location, readiness: LocationReadiness, correlationId: z.string() }),
  async ({ location, readiness }) => notifyLocationNeedsAttention(deps, { location, readiness }),
  { correlationId: (input) => input.correlationId },
);
