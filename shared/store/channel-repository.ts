import { BatchGetCommand, GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { Channel, type ChannelSecrets } from '#shared/domain/channel.ts';
import type { ChannelRepository, Page, PageRequest, SaveOptions } from '#shared/ports.ts';
import { conditionFailedAt, entityOf, queryIndexPage, versionCondition } from './items.ts';
import { keys } from './keys.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

const ENTITY = 'Channel';
const SECRETS_ENTITY = 'ChannelSecrets';

export class DynamoChannelRepository implements ChannelRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
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
    return (Item?.['secrets'] as ChannelSecrets | undefined) ?? {};
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
    return { channel: Channel.parse(entityOf(channelItem)), secrets: (secretsItem?.['secrets'] as ChannelSecrets) ?? {} };
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
            ...(secrets
              ? [
                  {
                    Put: {
                      TableName: this.#tableName,
                      Item: {
                        ...keys.channelSecrets(channel.channelId),
                        [table.entityAttribute]: SECRETS_ENTITY,
                        secrets,
                      },
                    },
                  },
                ]
              : []),
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
}
