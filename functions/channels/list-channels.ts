import { channelRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listChannels } from '#shared/use-cases/channels.ts';

const deps = { channels: channelRepository() };

export const handler = httpHandler(operations.listChannels, async ({ query }) => ({
  status: 200,
  body: await listChannels(deps, query),
}));
