import type { Channel, ChannelSecrets } from '#shared/domain/channel.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { draftFromDelivery } from '#shared/channels/deliveries.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { ChannelId } from '#shared/domain/channel.ts';
import type { ChannelRepository, ChannelSyncRepository, ChannelSyncState, InboxRepository, MarketplaceOrders, PollStarter, PollSummary } from '#shared/ports.ts';

export const POLLED_CHANNEL_TYPES = ['amazon', 'ebay'] as const;
/** Marketplaces reject windows that end less than two minutes ago (SP-API documents it). */
const WINDOW_LAG_MS = 2 * 60 * 1000;
/** A new channel starts reading changes from a day before it was connected. */
const FIRST_WINDOW_LOOKBACK_MS = 24 * 3600 * 1000;
const LEASE_SECONDS = 15 * 60;
const MAX_REFUSALS_KEPT = 10;

/** Why a polled order cannot be captured (each problem as `field: message`), or undefined when it can. */
function refusal(channel: Channel, body: string): string[] | undefined {
  try {
    draftFromDelivery({ channelId: channel.channelId, channelType: channel.type, body });
    return undefined;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.details.length > 0 ? error.details.slice(0, 5).map((d) => `${d.path}: ${d.message}`.slice(0, 300)) : [error.message];
  }
}

export interface PollDeps {
  channels: Pick<ChannelRepository, 'getWithSecrets'>;
  sync: ChannelSyncRepository;
  inbox: InboxRepository;
  clock: Clock;
  marketplaceFor(channel: Channel, secrets: ChannelSecrets): MarketplaceOrders;
}

/**
 * Polls a marketplace channel for orders changed since its checkpoint. Each
 * page's orders are stored in the inbox (deduplicated by order and change
 * time) and only then is the checkpoint advanced, so a crash mid-poll neither
 * loses nor duplicates orders: the next run resumes from the last stored
 * page, and anything read twice is the same delivery. Capture then runs from
 * the inbox exactly as for webhooks. One poll per channel at a time (lease).
 * An order that cannot be an OMS order (the check a webhook gets before its
 * 200) is not stored, where it would only fail capture: it is counted in the
 * run's summary with its problems, and a later change of it is read again.
 */
export async function pollChannel(
  deps: PollDeps,
  command: { channelId: string; trigger: PollSummary['trigger']; owner: string; deadline: number },
): Promise<PollSummary | { skipped: 'already_polling' | 'inactive' }> {
  const found = await deps.channels.getWithSecrets(command.channelId);
  if (!found) throw new NotFoundError(`Channel ${command.channelId} does not exist`);
  if (!found.channel.active) return { skipped: 'inactive' };
  if (!(await deps.sync.acquireLease(command.channelId, command.owner, LEASE_SECONDS))) return { skipped: 'already_polling' };

  const startedAt = deps.clock.now();
  const summary: PollSummary = { trigger: command.trigger, startedAt: startedAt.toISOString(), finishedAt: '', pages: 0, fetched: 0, stored: 0, duplicates: 0, caughtUp: false };
  const pollFrom = found.channel.settings['pollFrom'];
  let state: ChannelSyncState = (await deps.sync.getState(command.channelId)) ?? {
    windowFrom:
      typeof pollFrom === 'string'
        ? new Date(pollFrom).toISOString()
        : new Date(Date.parse(found.channel.createdAt) - FIRST_WINDOW_LOOKBACK_MS).toISOString(),
  };
  try {
    const marketplace = deps.marketplaceFor(found.channel, found.secrets);
    const windowTo = state.windowTo ?? new Date(deps.clock.now().getTime() - WINDOW_LAG_MS).toISOString();
    state = { ...state, windowTo };
    while (Date.now() < command.deadline) {
      if (state.windowFrom >= windowTo) {
        summary.caughtUp = true;
        break;
      }
      let page;
      try {
        page = await marketplace.page({ from: state.windowFrom, to: windowTo }, state.cursor);
      } catch (error) {
        // A paging token can expire between runs: read the window again from its start (deliveries deduplicate).
        if (!state.cursor || !(error instanceof Error && 'status' in error && error.status === 400)) throw error;
        state = { ...state, cursor: undefined };
        continue;
      }
      summary.pages++;
      summary.fetched += page.orders.length;
      for (const order of page.orders) {
        const problems = refusal(found.channel, order.body);
        if (problems) {
          summary.refused = (summary.refused ?? 0) + 1;
          if ((summary.refusals ??= []).length < MAX_REFUSALS_KEPT) summary.refusals.push({ externalOrderId: order.externalOrderId, updatedAt: order.updatedAt, problems });
          continue;
        }
        const result = await deps.inbox.put({
          channelId: found.channel.channelId,
          channelType: found.channel.type,
          deliveryId: `poll:${order.externalOrderId}:${order.updatedAt}`,
          via: 'poll',
          receivedAt: deps.clock.now().toISOString(),
          headers: {},
          contentType: 'application/json',
          body: order.body,
        });
        if (result === 'stored') summary.stored++;
        else summary.duplicates++;
      }
      // The page is stored: only now does the checkpoint move past it.
      state = page.nextCursor ? { windowFrom: state.windowFrom, windowTo, cursor: page.nextCursor } : { windowFrom: windowTo };
      await deps.sync.saveState(command.channelId, { ...state, lastRun: { ...summary, finishedAt: deps.clock.now().toISOString() } });
      if (!page.nextCursor) {
        summary.caughtUp = true;
        break;
      }
    }
  } catch (error) {
    summary.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    summary.finishedAt = deps.clock.now().toISOString();
    await deps.sync.saveState(command.channelId, { ...state, lastRun: summary });
    await deps.sync.releaseLease(command.channelId, command.owner);
  }
  return summary;
}

/** `POST /v1/channels/{id}/sync`: starts a poll now, in the background. */
export async function requestChannelSync(
  deps: { channels: Pick<ChannelRepository, 'get'>; polls: PollStarter },
  channelId: string,
): Promise<{ channelId: string; status: 'started' }> {
  const channel = ChannelId.safeParse(channelId).success ? await deps.channels.get(channelId) : undefined;
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  if (!(POLLED_CHANNEL_TYPES as readonly string[]).includes(channel.type)) {
    throw new ConflictError(`Channel ${channelId} is a ${channel.type} channel; only ${POLLED_CHANNEL_TYPES.join(' and ')} channels are polled`, 'not_polled');
  }
  if (!channel.active) throw new ConflictError(`Channel ${channelId} is inactive`, 'channel_inactive');
  await deps.polls.start(channelId);
  return { channelId, status: 'started' };
}

/** `GET /v1/channels/{id}/sync`: the checkpoint and the last run. */
export async function getChannelSync(
  deps: { channels: Pick<ChannelRepository, 'get'>; sync: Pick<ChannelSyncRepository, 'getState'> },
  channelId: string,
): Promise<{ channelId: string; state: ChannelSyncState | null }> {
  const channel = ChannelId.safeParse(channelId).success ? await deps.channels.get(channelId) : undefined;
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  return { channelId, state: (await deps.sync.getState(channelId)) ?? null };
}

/** Keeps a polled channel's schedule in step with the channel (on ChannelChanged). */
export async function syncPollSchedule(
  deps: { schedules: { put(channelId: string, everyMinutes: number): Promise<void>; remove(channelId: string): Promise<void> } },
  channel: Pick<Channel, 'channelId' | 'type' | 'active' | 'settings'>,
): Promise<'scheduled' | 'removed' | 'not_polled'> {
  if (!(POLLED_CHANNEL_TYPES as readonly string[]).includes(channel.type)) return 'not_polled';
  if (!channel.active) {
    await deps.schedules.remove(channel.channelId);
    return 'removed';
  }
  await deps.schedules.put(channel.channelId, Number(channel.settings['pollIntervalMinutes'] ?? 5));
  return 'scheduled';
}
