import { channelRepository, complianceRepository, inboxRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { receiveWebhook } from '#shared/use-cases/receive-webhook.ts';

const deps = { channels: channelRepository(), inbox: inboxRepository(), compliance: complianceRepository(), clock: systemClock };

export const handler = httpHandler(operations.receiveWebhook, async ({ params, headers, rawBody, correlationId }) => ({
  status: 200,
  body: await receiveWebhook(deps, { channelId: params.channelId, headers, rawBody, correlationId }),
}));
