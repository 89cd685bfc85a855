import { setTimeout as sleep } from 'node:timers/promises';
import { AvailabilityChanged } from '#events/availability-changed.ts';
import type { OutboxEvent } from '#events/define.ts';
import { ListingChanged } from '#events/listing-changed.ts';
import { STOCK_SYNC_TYPES, stockSyncSettings, type Channel, type ChannelSecrets } from '#shared/domain/channel.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { NotFoundError, PreconditionFailedError, ValidationError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import { NEVER_PUSHED, PushError, availableToSell, type ListingInput, type Listing, type ListingView, type PushState } from '#shared/domain/listing.ts';
import type { Location } from '#shared/domain/location.ts';
import { channelBuffer, type StockPosition } from '#shared/domain/inventory.ts';
import { Sku } from '#shared/domain/order.ts';
import type { ChannelRepository, InventoryRepository, ListingRepository, Page, PageRequest, SkuListing, SkuStock, StockPusher } from '#shared/ports.ts';
import type { Change } from '#shared/domain/common.ts';
import { actorOf } from './actor.ts';
import { retryOnConcurrentModification } from './retry.ts';

/**
 * Available-to-sell, pushed to every channel that lists a SKU.
 *
 * A push is triggered by AvailabilityChanged (or a listing change) through a
 * queue, but never carries the figure from the event: it reads the SKU's
 * stock when it runs, so however many changes a batch holds, one push sends
 * the latest figure. Pushes of one (SKU, channel) are serialized by a lease
 * on its push state, taken before stock is read: a push always reads stock
 * after the previous one did, so a channel never receives an older figure
 * after a newer one. A listing already showing the figure is not pushed.
 */

export interface AvailabilityDeps {
  inventory: Pick<InventoryRepository, 'stock'>;
  listings: ListingRepository;
  channels: Pick<ChannelRepository, 'get' | 'getSecrets'>;
  activeLocations: () => Promise<Location[]>;
  pusherFor: (channel: Channel, secrets: ChannelSecrets) => StockPusher;
  clock: Clock;
  /** Longer than the pushing function can run, so a live push never loses its lease. */
  leaseSeconds?: number;
  /** Waits before trying a listing whose lease another push holds again (then the message is retried by the queue). */
  busyWaitsMs?: number[];
}

export type PushOutcome =
  | { channelId: string; status: 'pushed'; quantity: number }
  | { channelId: string; status: 'in_sync'; quantity: number }
  | { channelId: string; status: 'busy' }
  | { channelId: string; status: 'skipped'; reason: string }
  | { channelId: string; status: 'failed'; quantity: number; retryable: boolean; error: string };

type PositionFigures = Pick<StockPosition, 'sku' | 'locationId' | 'shard' | 'available' | 'onHand' | 'reserved'>;

/**
 * The AvailabilityChanged a position change announces: one when `available`
 * moved (a new position counts as moving from 0), none otherwise — a change
 * of on hand and reserved together (a sale) leaves what can be sold as it was.
 */
export function availabilityChange(now: PositionFigures, before: Partial<PositionFigures> | undefined, context: { occurredAt: Date; eventId: string }): OutboxEvent | undefined {
  const previousAvailable = before?.available ?? 0;
  if (now.available === previousAvailable) return undefined;
  const { sku, locationId, shard, available, onHand, reserved } = now;
  return AvailabilityChanged.create(
    { sku, locationId, shard, available, onHand, reserved, previousAvailable, change: available > previousAvailable ? 'increased' : 'decreased' },
    { occurredAt: context.occurredAt, actor: 'inventory', eventId: context.eventId },
  );
}

/** A push run that should be tried again later: a listing was busy, or the channel failed in a way retrying can fix. */
export function worthRetrying(outcomes: readonly PushOutcome[]): boolean {
  return outcomes.some((o) => o.status === 'busy' || (o.status === 'failed' && o.retryable));
}

/** How a channel's figure is computed: which locations serve it and how much is held back. */
function channelFigure(channel: Channel, stock: SkuStock, locations: readonly Location[]): number {
  const sync = stockSyncSettings(channel);
  const active = new Map(locations.map((l) => [l.locationId, l]));
  const serves = (locationId: string) => {
    const location = active.get(locationId);
    if (!location) return false;
    return sync.stockLocationIds ? sync.stockLocationIds.includes(locationId) : location.capabilities.includes('ship');
  };
  return availableToSell(stock.positions, serves, sync.stockBuffer + channelBuffer(stock.policy, channel.channelId));
}

/** Pushes the SKU's current figure to every active listing that does not show it yet. */
export async function pushAvailability(deps: AvailabilityDeps, sku: string): Promise<PushOutcome[]> {
  const waits = deps.busyWaitsMs ?? [100, 400, 1_000];
  const channels = new Map<string, Promise<Channel | undefined>>();
  const channelOf = (channelId: string) => {
    if (!channels.has(channelId)) channels.set(channelId, deps.channels.get(channelId));
    return channels.get(channelId) as Promise<Channel | undefined>;
  };
  let outcomes = await pushRound(deps, sku, channelOf, undefined);
  for (const wait of waits) {
    const busy = new Set(outcomes.filter((o) => o.status === 'busy').map((o) => o.channelId));
    if (busy.size === 0) break;
    await sleep(wait);
    outcomes = [...outcomes.filter((o) => !busy.has(o.channelId)), ...(await pushRound(deps, sku, channelOf, busy))];
  }
  return outcomes;
}

async function pushRound(
  deps: AvailabilityDeps,
  sku: string,
  channelOf: (channelId: string) => Promise<Channel | undefined>,
  only: Set<string> | undefined,
): Promise<PushOutcome[]> {
  const listings = (await deps.listings.forSku(sku)).filter((l) => !only || only.has(l.listing.channelId));
  if (listings.length === 0) return [];
  const [stock, locations] = await Promise.all([deps.inventory.stock(sku), deps.activeLocations()]);
  const outcomes: PushOutcome[] = [];
  const due: { entry: SkuListing; channel: Channel }[] = [];
  for (const entry of listings) {
    const channelId = entry.listing.channelId;
    const channel = await channelOf(channelId);
    if (!entry.listing.active) outcomes.push({ channelId, status: 'skipped', reason: 'listing inactive' });
    else if (!channel) outcomes.push({ channelId, status: 'skipped', reason: 'channel deleted' });
    else if (!channel.active) outcomes.push({ channelId, status: 'skipped', reason: 'channel inactive' });
    else if (!entry.leased && entry.push.status === 'in_sync' && entry.push.pushed === channelFigure(channel, stock, locations)) {
      outcomes.push({ channelId, status: 'in_sync', quantity: entry.push.pushed });
    } else due.push({ entry, channel });
  }
  if (due.length === 0) return outcomes;

  const owner = newId();
  const now = deps.clock.now();
  const until = new Date(now.getTime() + (deps.leaseSeconds ?? 300) * 1000);
  const held: { entry: SkuListing; channel: Channel }[] = [];
  for (const item of due) {
    if (await deps.listings.acquirePushLease(sku, item.channel.channelId, owner, now, until)) held.push(item);
    else outcomes.push({ channelId: item.channel.channelId, status: 'busy' });
  }
  if (held.length === 0) return outcomes;

  // Read again under the leases: this read is later than any earlier push's, so the figure is never older.
  const [fresh, pushStates] = await Promise.all([deps.inventory.stock(sku), deps.listings.forSku(sku)]);
  const pushed = await Promise.all(
    held.map(async ({ entry, channel }): Promise<PushOutcome> => {
      const channelId = channel.channelId;
      const previous = pushStates.find((l) => l.listing.channelId === channelId)?.push ?? entry.push;
      const quantity = channelFigure(channel, fresh, locations);
      const at = deps.clock.now().toISOString();
      if (previous.status === 'in_sync' && previous.pushed === quantity) {
        await deps.listings.recordPush(sku, channelId, owner, previous);
        return { channelId, status: 'in_sync', quantity };
      }
      try {
        const pusher = deps.pusherFor(channel, await deps.channels.getSecrets(channelId));
        await pusher.setAvailable({ sku, ref: entry.listing.ref }, quantity, `oms-ats-${owner}-${channelId}`);
        await deps.listings.recordPush(sku, channelId, owner, { status: 'in_sync', pushed: quantity, pushedAt: at, lastAttemptAt: at, failures: 0 });
        return { channelId, status: 'pushed', quantity };
      } catch (error) {
        const retryable = error instanceof PushError ? error.retryable : true;
        const message = (error as Error).message.slice(0, 500);
        const failed: PushState = { ...previous, status: 'failing', lastAttemptAt: at, lastError: message, failures: previous.failures + 1 };
        await deps.listings.recordPush(sku, channelId, owner, failed);
        return { channelId, status: 'failed', quantity, retryable, error: message };
      }
    }),
  );
  return [...outcomes, ...pushed];
}

export interface ListingDeps {
  listings: ListingRepository;
  channels: Pick<ChannelRepository, 'get'>;
  clock: Clock;
}

function checkSku(sku: string): void {
  const valid = Sku.safeParse(sku);
  if (!valid.success) throw new ValidationError('Not a valid SKU', [{ in: 'path', path: 'sku', message: valid.error.issues[0]?.message ?? 'Not a valid SKU' }]);
  if (valid.data !== sku) throw new ValidationError('Not a valid SKU', [{ in: 'path', path: 'sku', message: 'SKUs are stored in Unicode NFC' }]);
}

async function stockChannel(deps: Pick<ListingDeps, 'channels'>, channelId: string): Promise<Channel> {
  const channel = await deps.channels.get(channelId);
  if (!channel) throw new NotFoundError(`Channel ${channelId} does not exist`);
  return channel;
}

/** `PUT /v1/channels/{channelId}/listings/{sku}`: create or change a listing; the channel then receives the current figure. */
export async function putListing(
  deps: ListingDeps,
  command: { channelId: string; sku: string; input: ListingInput; ifMatch?: number | undefined; actor: string; correlationId?: string | undefined },
): Promise<{ listing: ListingView; change: Change }> {
  checkSku(command.sku);
  const channel = await stockChannel(deps, command.channelId);
  if (!(STOCK_SYNC_TYPES as readonly string[]).includes(channel.type)) {
    throw new ValidationError(`${channel.type} channels take no stock pushes`, [
      { in: 'path', path: 'channelId', message: `Listings are for ${STOCK_SYNC_TYPES.join(', ')} channels` },
    ]);
  }
  if (command.input.type !== channel.type) {
    throw new ValidationError('The listing does not match the channel', [
      { in: 'body', path: 'type', message: `Channel ${channel.channelId} is a ${channel.type} channel` },
    ]);
  }
  const { type, active, ...ref } = command.input;
  return retryOnConcurrentModification(async () => {
    const existing = await deps.listings.get(command.channelId, command.sku);
    if (command.ifMatch !== undefined && command.ifMatch !== existing?.version) {
      throw new PreconditionFailedError(`The listing is at version ${existing?.version ?? 'none'}, not ${command.ifMatch}`);
    }
    if (existing && existing.active === active && canonicalJson(existing.ref) === canonicalJson(ref)) return { listing: existing, change: 'unchanged' as const };
    const now = deps.clock.now();
    const at = now.toISOString();
    const listing: Listing = existing
      ? { channelId: existing.channelId, sku: existing.sku, type, active, ref, version: existing.version + 1, createdAt: existing.createdAt, updatedAt: at }
      : { channelId: command.channelId, sku: command.sku, type, active, ref, version: 1, createdAt: at, updatedAt: at };
    const change = existing ? ('updated' as const) : ('created' as const);
    await deps.listings.save(listing, {
      expectedVersion: existing?.version ?? null,
      events: [ListingChanged.create({ change, listing }, { occurredAt: now, ...actorOf(command) })],
    });
    return { listing: { ...listing, push: existing?.push ?? NEVER_PUSHED }, change };
  }, command.ifMatch === undefined ? 3 : 1);
}

export async function getListing(deps: Pick<ListingDeps, 'listings'>, channelId: string, sku: string): Promise<ListingView> {
  // The SKU as it is stored (NFC); one that could never be stored has no listing.
  const stored = Sku.safeParse(sku);
  const listing = stored.success ? await deps.listings.get(channelId, stored.data) : undefined;
  if (!listing) throw new NotFoundError(`Channel ${channelId} has no listing of ${sku}`);
  return listing;
}

export async function listListings(deps: Pick<ListingDeps, 'listings' | 'channels'>, channelId: string, page: PageRequest): Promise<Page<ListingView>> {
  await stockChannel(deps, channelId);
  return deps.listings.listByChannel(channelId, page);
}

export async function deleteListing(
  deps: ListingDeps,
  command: { channelId: string; sku: string; actor: string; correlationId?: string | undefined },
): Promise<void> {
  const existing = await getListing(deps, command.channelId, command.sku);
  const { push: _push, ...listing } = existing;
  await deps.listings.remove(listing, [
    ListingChanged.create({ change: 'removed', listing }, { occurredAt: deps.clock.now(), ...actorOf(command) }),
  ]);
}

/** What each listing of a SKU should show and what it was last sent (for `GET /v1/inventory/{sku}`). */
export async function channelStatus(
  deps: Pick<AvailabilityDeps, 'listings' | 'channels' | 'activeLocations'>,
  stock: SkuStock,
): Promise<{ channelId: string; active: boolean; available: number | null; push: PushState }[]> {
  const listings = await deps.listings.forSku(stock.sku);
  const locations = listings.length > 0 ? await deps.activeLocations() : [];
  return Promise.all(
    listings.map(async ({ listing, push }) => {
      const channel = await deps.channels.get(listing.channelId);
      return {
        channelId: listing.channelId,
        active: listing.active && channel?.active === true,
        available: channel ? channelFigure(channel, stock, locations) : null,
        push,
      };
    }),
  );
}
