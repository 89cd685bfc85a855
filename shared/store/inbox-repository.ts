import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ChannelType } from '#shared/domain/channel.ts';
import { PayloadTooLargeError } from '#shared/domain/errors.ts';
import type { InboxDelivery, InboxRepository } from '#shared/ports.ts';
import { keys, type ItemKey } from './keys.ts';
import { table } from './table.ts';

export const INBOX_ENTITY = 'InboxDelivery';
/**
 * What an inbox item becomes when the customer whose order it carried is
 * erased: the key (and so the de-duplication) stays until the item expires,
 * the body and headers are gone. Not an INSERT, so the inbox pipe ignores it.
 */
export const INBOX_ERASED_ENTITY = 'InboxErased';
/** Deliveries are captured within seconds; the inbox keeps them a week for investigation. */
const INBOX_RETENTION_SECONDS = 7 * 24 * 3600;
const MAX_STORED_BYTES = 300 * 1024;

/**
 * The inbox: every channel delivery (webhook, partner event, poll result) is
 * written here before it is acknowledged. The put is conditional on the
 * item's key — the delivery id, or the `dedupeKey` the caller names (channel
 * webhooks: the body's digest, so a signed body replayed under a new
 * delivery id is a duplicate too) — so a delivery is stored once; the table
 * stream carries each new delivery to the capture queue (the inbox pipe).
 * Bodies are gzipped: DynamoDB items are at most 400 KB.
 */
export class DynamoInboxRepository implements InboxRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async put(delivery: InboxDelivery, options: { dedupeKey?: string } = {}): Promise<'stored' | 'duplicate'> {
    const body = gzipSync(Buffer.from(delivery.body, 'utf8'));
    if (body.length > MAX_STORED_BYTES) {
      throw new PayloadTooLargeError(`The payload is ${body.length} bytes compressed; the OMS keeps at most ${MAX_STORED_BYTES}`);
    }
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...keys.inboxDelivery(delivery.channelId, options.dedupeKey ?? delivery.deliveryId),
            [table.entityAttribute]: INBOX_ENTITY,
            channelId: delivery.channelId,
            channelType: delivery.channelType,
            deliveryId: delivery.deliveryId,
            via: delivery.via,
            ...(delivery.topic ? { topic: delivery.topic } : {}),
            receivedAt: delivery.receivedAt,
            headers: delivery.headers,
            contentType: delivery.contentType,
            ...(delivery.correlationId ? { correlationId: delivery.correlationId } : {}),
            body,
            [table.ttlAttribute]: Math.floor(Date.parse(delivery.receivedAt) / 1000) + INBOX_RETENTION_SECONDS,
          },
          ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
        }),
      );
      return 'stored';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'duplicate';
      throw error;
    }
  }

  async get(key: ItemKey): Promise<InboxDelivery | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }));
    if (!Item || Item[table.entityAttribute] !== INBOX_ENTITY) return undefined;
    return {
      channelId: String(Item['channelId']),
      channelType: Item['channelType'] as ChannelType,
      deliveryId: String(Item['deliveryId']),
      via: Item['via'] as InboxDelivery['via'],
      ...(Item['topic'] ? { topic: String(Item['topic']) } : {}),
      receivedAt: String(Item['receivedAt']),
      headers: (Item['headers'] as Record<string, string>) ?? {},
      contentType: String(Item['contentType']),
      ...(Item['correlationId'] ? { correlationId: String(Item['correlationId']) } : {}),
      body: gunzipSync(Item['body'] as Uint8Array).toString('utf8'),
    };
  }
}
