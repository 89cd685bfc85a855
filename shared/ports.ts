import type { OutboxEvent } from '#events/define.ts';
import type { Channel, ChannelSecrets } from './domain/channel.ts';
import type { Location, LocationReadiness } from './domain/location.ts';

/**
 * The ports use cases depend on. Adapters: DynamoDB (shared/store), SES
 * (shared/adapters). Tests pass the real adapters against DynamoDB Local or
 * small fakes.
 */

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass it back as `cursor` to read the next page. Absent on the last page. */
  nextCursor?: string;
}

export interface SaveOptions {
  /** `null` creates (fails if the item exists); a number updates only that version. */
  expectedVersion: number | null;
  /** Published through the transactional outbox, in the same transaction as the change. */
  events: OutboxEvent[];
}

export interface LocationRepository {
  get(locationId: string): Promise<Location | undefined>;
  list(page: PageRequest): Promise<Page<Location>>;
  /** Throws ConcurrentModificationError when the stored version is not the expected one. */
  save(location: Location, options: SaveOptions): Promise<void>;
  /** Records an assessment if the location is still at the assessed version; false if it moved on. */
  recordReadiness(locationId: string, readiness: LocationReadiness): Promise<boolean>;
}

export interface ChannelRepository {
  get(channelId: string): Promise<Channel | undefined>;
  /** Only for adapters that call the channel (webhook verification, polling, stock push). */
  getSecrets(channelId: string): Promise<ChannelSecrets>;
  /** The channel with its secrets, for the PUT path that merges new secrets into stored ones. */
  getWithSecrets(channelId: string): Promise<{ channel: Channel; secrets: ChannelSecrets } | undefined>;
  list(page: PageRequest): Promise<Page<Channel>>;
  /** `secrets` undefined leaves the stored secrets untouched. */
  save(channel: Channel, secrets: ChannelSecrets | undefined, options: SaveOptions): Promise<void>;
}

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html?: string;
  /** Tags that help find the message again (order id, template). */
  tags?: Record<string, string>;
}

export interface Mailer {
  send(message: MailMessage): Promise<{ messageId: string }>;
}
