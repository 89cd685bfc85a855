import { channelRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { etag, httpHandler, ifMatchVersion } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { putChannel } from '#shared/use-cases/channels.ts';

const deps = { channels: channelRepository(), clock: systemClock };

export const handler = httpHandler(operations.putChannel, async ({ params, body, headers, correlationId, principal }) => {
  const { channel, change } = await putChannel(deps, {
    channelId: params.channelId,
    input: body,
    ifMatch: ifMatchVersion(headers),
    actor: principal.id,
    correlationId,
  });
  return { status: change === 'created' ? 201 : 200, body: channel, headers: etag(channel.version) };
});
