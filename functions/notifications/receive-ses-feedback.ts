import { mailFeedbackDeps } from '#shared/adapters/dependencies.ts';
import { logger } from '#shared/observability/powertools.ts';
import { queueHandler } from '#shared/tasks/handler.ts';
import { recordMailFeedback } from '#shared/use-cases/mail-feedback.ts';

const deps = mailFeedbackDeps();

/**
 * Consumer of the mail feedback queue: SES bounces and complaints, published
 * to SNS and delivered to the queue by its subscription. A body that is not
 * SES feedback fails (and ends in the dead-letter queue with an alarm) rather
 * than being dropped.
 */
export const handler = queueHandler(async (body) => {
  const result = await recordMailFeedback(deps, body);
  if (result.outcome === 'recorded' && !result.orderId) logger.warn('SES feedback about a message of no known order: only the suppression was recorded', { ...result });
  else logger.info('SES feedback', { ...result });
});
