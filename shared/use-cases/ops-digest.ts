import type { Channel } from '#shared/domain/channel.ts';
import type { Clock } from '#shared/domain/clock.ts';
import type { Location } from '#shared/domain/location.ts';
import type { ChannelRepository, LocationRepository, MailMessage, Mailer } from '#shared/ports.ts';
import { collectPages } from './pages.ts';

/**
 * The daily operations digest: a morning e-mail with the state of the
 * network (locations routing can use, channels feeding orders). Later issues
 * add order, stock and exception figures to it.
 */
export function composeOpsDigest(input: { locations: Location[]; channels: Channel[]; now: Date; to: string[] }): MailMessage {
  const day = input.now.toISOString().slice(0, 10);
  const ready = input.locations.filter((l) => l.active && l.readiness?.status === 'ready');
  const attention = input.locations.filter((l) => l.active && l.readiness?.status !== 'ready');
  const inactive = input.locations.filter((l) => !l.active);
  const activeChannels = input.channels.filter((c) => c.active);
  const byType = Object.entries(
    activeChannels.reduce<Record<string, number>>((counts, c) => ({ ...counts, [c.type]: (counts[c.type] ?? 0) + 1 }), {}),
  )
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  const lines = [
    `OMS operations digest for ${day}`,
    '',
    `Locations: ${input.locations.length} (${ready.length} ready, ${attention.length} need attention, ${inactive.length} inactive)`,
    ...attention.map(
      (l) => `  - ${l.locationId}: ${l.readiness ? l.readiness.problems.map((p) => p.code).join(', ') : 'not assessed yet'}`,
    ),
    `Channels: ${activeChannels.length} active${byType ? ` (${byType})` : ''}, ${input.channels.length - activeChannels.length} inactive`,
  ];
  return {
    to: input.to,
    subject: `OMS digest ${day}: ${ready.length}/${input.locations.length} locations ready, ${activeChannels.length} channels active`,
    text: `${lines.join('\n')}\n`,
    tags: { template: 'ops-digest' },
  };
}

export async function sendOpsDigest(deps: {
  locations: LocationRepository;
  channels: ChannelRepository;
  mailer: Mailer;
  clock: Clock;
  opsRecipients: string[];
}): Promise<{ messageId: string; subject: string }> {
  const [locations, channels] = await Promise.all([
    collectPages((page) => deps.locations.list(page)),
    collectPages((page) => deps.channels.list(page)),
  ]);
  const message = composeOpsDigest({ locations, channels, now: deps.clock.now(), to: deps.opsRecipients });
  const { messageId } = await deps.mailer.send(message);
  return { messageId, subject: message.subject };
}
