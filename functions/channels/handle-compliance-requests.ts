import * as z from 'zod';
import { channelRepository, complianceRepository, customerDeps } from '#shared/adapters/dependencies.ts';
import { logger } from '#shared/observability/powertools.ts';
import { queueHandler } from '#shared/tasks/handler.ts';
import { handleComplianceRequest } from '#shared/use-cases/compliance.ts';

const deps = { ...customerDeps(), compliance: complianceRepository(), channels: channelRepository() };

/** The compliance pipe's message: the key of the stored request. */
const RequestKey = z.object({ PK: z.string().startsWith('COMPLIANCE#'), SK: z.string().startsWith('REQUEST#') });

/** Consumer of the compliance queue: Shopify's privacy requests acted on (a shop redaction one page of orders per message). */
export const handler = queueHandler(async (body) => {
  const result = await handleComplianceRequest(deps, RequestKey.parse(JSON.parse(body)));
  logger.info('Compliance request handled', { ...result });
});
