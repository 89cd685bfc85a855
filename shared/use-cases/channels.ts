import { ChannelChanged } from '#events/channel-changed.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { NotFoundError, PreconditionFailedError } from '#shared/domain/errors.ts';
import { ChannelId, applyChannelInput, type Channel, type ChannelInput } from '#shared/domain/channel.ts';
import type { Change } from '#shared/domain/common.ts';
import type { ChannelRepository, Page, PageRequest } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { retryOnConcurrentModification } from './retry.ts';

export interface ChannelDeps {
  channels: ChannelRepository;
  clock: Clock;
}

/**
 * Create or replace a channel. Secrets merge into the stored ones and are
 * saved in their own item, in the same transaction as the channel and its
 * ChannelChanged event (which names the configured secrets, never their values).
 */
export async function putChannel(
  deps: ChannelDeps,
  command: { channelId: string; input: ChannelInput; ifMatch?: number | undefined } & Actor,
): Promise<{ channel: Channel; change: Change }> {
  return retryOnConcurrentModification(async () => {
    const existing = await deps.channels.getWithSecrets(command.channelId);
    if (command.ifMatch !== undefined && existing?.channel.version !== command.ifMatch) {
      throw new PreconditionFailedError(
        `Channel ${command.channelId} is at version ${existing?.channel.version ?? 'none'}, not ${command.ifMatch}`,
      );
    }
    const now = deps.clock.now();
    const { channel, secrets, change } = applyChannelInput(existing, command.channelId, command.input, now);
    if (change === 'unchanged') return { channel, change };
    const event = ChannelChanged.create({ change, channel }, { occurredAt: now, ...actorOf(command) });
    await deps.channels.save(channel, secrets, { expectedVersion: existing?.channel.version ?? null, events: [event] });
    return { channel, change };
  }, command.ifMatch === undefined ? 3 : 1);
}

export async function getChannel(deps: Pick<ChannelDeps, 'channels'>, channelId: string): Promise<Channel> {
  // An id that could never have been created is simply not found (and never reaches DynamoDB).
  const channel = ChannelId.safeParse(channelId).success ? await deps.channels.get(channelId) : undefined;
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  return channel;
}

export function listChannels(deps: Pick<ChannelDeps, 'channels'>, page: PageRequest): Promise<Page<Channel>> {
  return deps.channels.list(page);
}
