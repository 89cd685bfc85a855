import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChannelSyncRepository, ChannelSyncState } from '#shared/ports.ts';
import { keys } from './keys.ts';
import { table } from './table.ts';

/** The checkpoint of a polled channel, and the lease that keeps two polls of it from running at once. */
export class DynamoChannelSyncRepository implements ChannelSyncRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async acquireLease(channelId: string, owner: string, seconds: number): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...keys.pollLease(channelId), [table.entityAttribute]: 'PollLease', owner, until: now + seconds, [table.ttlAttribute]: now + seconds + 3600 },
          ConditionExpression: `attribute_not_exists(${table.partitionKey}) OR #until < :now`,
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseLease(channelId: string, owner: string): Promise<void> {
    await this.#db
      .send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: keys.pollLease(channelId),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async getState(channelId: string): Promise<ChannelSyncState | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.channelCheckpoint(channelId), ConsistentRead: true }));
    return Item ? (Item['state'] as ChannelSyncState) : undefined;
  }

  async saveState(channelId: string, state: ChannelSyncState): Promise<void> {
    await this.#db.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: { ...keys.channelCheckpoint(channelId), [table.entityAttribute]: 'ChannelCheckpoint', state },
      }),
    );
  }
}
