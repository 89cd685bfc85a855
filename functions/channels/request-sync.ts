import { channelRepository, pollStarter } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { requestChannelSync } from '#shared/use-cases/poll-channel.ts';

const deps = { channels: channelRepository(), polls: pollStarter() };

export const handler = httpHandler(operations.requestChannelSync, async ({ params }) => ({
  status: 202,
  body: await requestChannelSync(deps, params.channelId),
}));
