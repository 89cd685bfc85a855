import * as z from 'zod';
import { returnDeps } from '#shared/adapters/dependencies.ts';
import { logger } from '#shared/observability/powertools.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { expireReturns } from '#shared/use-cases/returns.ts';

const deps = returnDeps();

/** Scheduled: approved returns not sent back by their deadline expire. */
export const handler = taskHandler(z.object({ job: z.literal('return-expiry') }), async () => {
  const result = await expireReturns(deps, { actor: 'schedule:return-expiry' });
  logger.info('Return expiry', { expired: result.expired.length });
  return result;
});
