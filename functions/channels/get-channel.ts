import { channelRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getChannel } from '#shared/use-cases/channels.ts';

const deps = { channels: channelRepository() };

export const handler = httpHandler(operations.getChannel, async ({ params }) => {
  const channel = await getChannel(deps, params.channelId);
  return { status: 200, body: channel, headers: etag(channel.version) };
});
