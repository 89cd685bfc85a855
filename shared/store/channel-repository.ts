import { BatchGetCommand, GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { Channel, type ChannelSecrets } from '#shared/domain/channel.ts';
import type { ChannelRepository, DataKeyProvider, Page, PageRequest, SaveOptions } from '#shared/ports.ts';
import { conditionFailedAt, entityOf, queryIndexPage, versionCondition } from './items.ts';
import { keys } from './keys.ts';
import { outboxPut } from './outbox.ts';
import { developmentDataKeys, openSecrets, sealSecrets, type SealedSecrets } from './sealed-secrets.ts';
import { table } from './table.ts';

const ENTITY = 'Channel';
const SECRETS_ENTITY = 'ChannelSecrets';

/**
 * Channels, and their secrets in an item of their own (CHANNEL#id / SECRETS)
 * that holds only `sealed`: the secrets encrypted under a data key of
 * `dataKeys` (shared/store/sealed-secrets.ts), never plain attributes, so the
 * table stream, backups and exports carry no secret. Items written before
 * encryption (a plain `secrets` map) still read, and are sealed by the
 * channel's next save.
 */
export class DynamoChannelRepository implements ChannelRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #dataKeys: DataKeyProvider;

  /** `dataKeys`: KMS on AWS (shared/adapters/dependencies.ts); the published development key when omitted (tests). */
  constructor(db: DynamoDBDocumentClient, tableName: string, dataKeys: DataKeyProvider = developmentDataKeys) {
    this.#db = db;
    this.#tableName = tableName;
    this.#dataKeys = dataKeys;
  }

  /** The secrets a stored item holds: sealed (opened here), plain (written before encryption), or none. */
  #secretsOf(channelId: string, item: Record<string, unknown> | undefined): Promise<ChannelSecrets> {
    if (item?.['sealed']) return openSecrets(this.#dataKeys, channelId, item['sealed'] as SealedSecrets);
    return Promise.resolve((item?.['secrets'] as ChannelSecrets | undefined) ?? {});
  }

  async #secretsPut(channelId: string, secrets: ChannelSecrets) {
    return {
      Put: {
        TableName: this.#tableName,
        // A Put replaces the whole item: a plain `secrets` attribute of an older item goes with it.
        Item: {
          ...keys.channelSecrets(channelId),
          [table.entityAttribute]: SECRETS_ENTITY,
          sealed: await sealSecrets(this.#dataKeys, channelId, secrets),
        },
      },
    };
  }

  async get(channelId: string): Promise<Channel | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.channel(channelId), ConsistentRead: true }),
    );
    return Item ? Channel.parse(entityOf(Item)) : undefined;
  }

  async getSecrets(channelId: string): Promise<ChannelSecrets> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.channelSecrets(channelId), ConsistentRead: true }),
    );
    return this.#secretsOf(channelId, Item);
  }

  /** The channel and its secrets in one round trip, for the PUT path that merges secrets. */
  async getWithSecrets(channelId: string): Promise<{ channel: Channel; secrets: ChannelSecrets } | undefined> {
    const { Responses } = await this.#db.send(
      new BatchGetCommand({
        RequestItems: {
          [this.#tableName]: { Keys: [keys.channel(channelId), keys.channelSecrets(channelId)], ConsistentRead: true },
        },
      }),
    );
    const items = Responses?.[this.#tableName] ?? [];
    const channelItem = items.find((item) => item[table.entityAttribute] === ENTITY);
    if (!channelItem) return undefined;
    const secretsItem = items.find((item) => item[table.entityAttribute] === SECRETS_ENTITY);
    return { channel: Channel.parse(entityOf(channelItem)), secrets: await this.#secretsOf(channelId, secretsItem) };
  }

  list(page: PageRequest): Promise<Page<Channel>> {
    return queryIndexPage(this.#db, {
      ...page,
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.channelListPartition,
      parse: (entity) => Channel.parse(entity),
      itemKey: (channelId) => ({ ...keys.channel(channelId), ...keys.channelList(channelId) }),
    });
  }


  async save(channel: Channel, secrets: ChannelSecrets | undefined, { expectedVersion, events }: SaveOptions) {
    const condition = versionCondition(expectedVersion);
    // Unchanged secrets stay as stored, unless they are still plain (written before encryption): then they are sealed now.
    // The channel's version condition orders this against a concurrent PUT that changes them.
    const toSeal = secrets ?? (await this.#plainSecrets(channel.channelId));
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
                Item: {
                  ...keys.channel(channel.channelId),
                  ...keys.channelList(channel.channelId),
                  [table.entityAttribute]: ENTITY,
                  ...channel,
                },
                ...condition,
              },
            },
            ...(toSeal ? [await this.#secretsPut(channel.channelId, toSeal)] : []),
            ...events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) {
        throw new ConcurrentModificationError(`Channel ${channel.channelId} was changed by another request`);
      }
      throw error;
    }
  }

  /** A Shopify shop redaction: the channel as given (version-checked) and its events, and the secrets item deleted. */
  async removeSecrets(channel: Channel, { expectedVersion, events }: SaveOptions & { expectedVersion: number }): Promise<void> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
                Item: { ...keys.channel(channel.channelId), ...keys.channelList(channel.channelId), [table.entityAttribute]: ENTITY, ...channel },
                ...versionCondition(expectedVersion),
              },
            },
            { Delete: { TableName: this.#tableName, Key: keys.channelSecrets(channel.channelId) } },
            ...events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new ConcurrentModificationError(`Channel ${channel.channelId} changed while its secrets were being removed`);
      throw error;
    }
  }

  /** The stored secrets when they are still a plain attribute; undefined when sealed or absent. */
  async #plainSecrets(channelId: string): Promise<ChannelSecrets | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.channelSecrets(channelId), ConsistentRead: true }),
    );
    return Item && !Item['sealed'] && Item['secrets'] ? (Item['secrets'] as ChannelSecrets) : undefined;
  }
}
