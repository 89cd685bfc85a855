import { channelRepository, channelSyncRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getChannelSync } from '#shared/use-cases/poll-channel.ts';

const deps = { channels: channelRepository(), sync: channelSyncRepository() };

export const handler = httpHandler(operations.getChannelSync, async ({ params }) => ({
  status: 200,
  body: await getChannelSync(deps, params.channelId),
}));
