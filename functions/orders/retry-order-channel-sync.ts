import { writebackDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { retryWriteback } from '#shared/use-cases/channel-writeback.ts';

const deps = writebackDeps();

export const handler = httpHandler(operations.retryOrderChannelSync, async ({ params, correlationId, principal }) => ({
  status: 202,
  body: await retryWriteback(deps, { orderId: params.orderId, actionId: params.actionId, actor: principal.id, correlationId }),
}));
