import * as z from 'zod';
import { readConfig, configVars } from '#shared/config.ts';
import { systemClock } from '#shared/domain/clock.ts';
import type { Location } from '#shared/domain/location.ts';
import { collectPages } from '#shared/use-cases/pages.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { documentClient } from '#shared/store/client.ts';
import { DynamoChannelSyncRepository } from '#shared/store/channel-sync-repository.ts';
import { DynamoIdempotencyRepository } from '#shared/store/idempotency-repository.ts';
import { DynamoInventoryRepository } from '#shared/store/inventory-repository.ts';
import { DynamoListingRepository } from '#shared/store/listing-repository.ts';
import { DynamoInboxRepository } from '#shared/store/inbox-repository.ts';
import { DynamoLocationRepository } from '#shared/store/location-repository.ts';
import { DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { LambdaPollStarter, SchedulerPollSchedules } from './aws-polling.ts';
import { SesMailer } from './ses-mailer.ts';

/**
 * The composition root: adapters are created once per process, on first use,
 * with configuration read (and checked) at that moment. Handlers call these at
 * module load so a misconfigured function fails its cold start.
 */
function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}

const tableName = once(() => readConfig({ TABLE_NAME: configVars.TABLE_NAME }).TABLE_NAME);

export const locationRepository = once(() => new DynamoLocationRepository(documentClient(), tableName()));
export const channelRepository = once(() => new DynamoChannelRepository(documentClient(), tableName()));
export const mailer = once(() => new SesMailer(readConfig({ MAIL_FROM: configVars.MAIL_FROM }).MAIL_FROM));
export const opsRecipients = once(() => readConfig({ OPS_EMAIL: configVars.OPS_EMAIL }).OPS_EMAIL);
export const orderRepository = once(() => new DynamoOrderRepository(documentClient(), tableName()));
export const inboxRepository = once(() => new DynamoInboxRepository(documentClient(), tableName()));
export const idempotencyRepository = once(() => new DynamoIdempotencyRepository(documentClient(), tableName()));
export const channelSyncRepository = once(() => new DynamoChannelSyncRepository(documentClient(), tableName()));
export const pollStarter = once(() => new LambdaPollStarter());
export const pollSchedules = once(() => new SchedulerPollSchedules());
export const inventoryRepository = once(() => new DynamoInventoryRepository(documentClient(), tableName()));
export const listingRepository = once(() => new DynamoListingRepository(documentClient(), tableName()));

/** How long an unpaid order keeps its stock (UNPAID_RESERVATION_MINUTES, default 60). */
export const unpaidReservationMinutes = once(
  () => readConfig({ UNPAID_RESERVATION_MINUTES: z.coerce.number().int().min(1).max(30 * 24 * 60).default(60) }).UNPAID_RESERVATION_MINUTES,
);

/** Active locations, read at most every 30 seconds per container: configuration changes rarely, orders often. */
export const activeLocations = once(() => {
  let cached: { at: number; locations: Promise<Location[]> } | undefined;
  return (): Promise<Location[]> => {
    if (!cached || Date.now() - cached.at > 30_000) {
      const locations = collectPages((page) => locationRepository().list(page)).then((all) => all.filter((l) => l.active));
      cached = { at: Date.now(), locations };
      locations.catch(() => (cached = undefined));
    }
    return cached.locations;
  };
});

/** What reserving needs: reservations of new orders and of waiting ones. */
export const reservationDeps = once(() => ({
  orders: orderRepository(),
  inventory: inventoryRepository(),
  activeLocations: activeLocations(),
  clock: systemClock,
  unpaidReservationMinutes: unpaidReservationMinutes(),
}));
