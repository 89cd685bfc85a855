import { channelRepository, complianceRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listComplianceRequests } from '#shared/use-cases/compliance.ts';

const deps = { compliance: complianceRepository(), channels: channelRepository() };

export const handler = httpHandler(operations.listComplianceRequests, async ({ params, query }) => ({
  status: 200,
  body: await listComplianceRequests(deps, params.channelId, { limit: query.limit, cursor: query.cursor }),
}));
