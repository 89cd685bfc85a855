import { writebackDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { channelSyncOf } from '#shared/use-cases/channel-writeback.ts';

const deps = writebackDeps();

export const handler = httpHandler(operations.getOrderChannelSync, async ({ params }) => ({ status: 200, body: { items: await channelSyncOf(deps, params.orderId) } }));
