import { BatchGetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { Listing, NEVER_PUSHED, PushState, type ListingView } from '#shared/domain/listing.ts';
import type { ListingRepository, Page, PageRequest, SaveOptions, SkuListing } from '#shared/ports.ts';
import type { OutboxEvent } from '#events/define.ts';
import { conditionFailedAt, entityOf, queryIndexPage, versionCondition } from './items.ts';
import { keys } from './keys.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

const ENTITY = 'Listing';
const PUSH_ENTITY = 'ListingPush';

/**
 * Channel listings and their push state. Both live in the SKU's stock
 * partition (one Query reads a SKU's stock, listings and push states); the
 * listing is also in GSI1 under its channel. The push state is a separate
 * item so that the frequent push bookkeeping never rewrites an index entry.
 */
export class DynamoListingRepository implements ListingRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(channelId: string, sku: string): Promise<ListingView | undefined> {
    const { Responses } = await this.#db.send(
      new BatchGetCommand({
        RequestItems: { [this.#tableName]: { Keys: [keys.listing(sku, channelId), keys.availabilityPush(sku, channelId)], ConsistentRead: true } },
      }),
    );
    const items = Responses?.[this.#tableName] ?? [];
    const listing = items.find((item) => item[table.entityAttribute] === ENTITY);
    if (!listing) return undefined;
    const push = items.find((item) => item[table.entityAttribute] === PUSH_ENTITY);
    return { ...Listing.parse(entityOf(listing)), push: push ? pushStateOf(push) : NEVER_PUSHED };
  }

  async listByChannel(channelId: string, page: PageRequest): Promise<Page<ListingView>> {
    const listings = await queryIndexPage(this.#db, {
      ...page,
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.listingByChannelPartition(channelId),
      parse: (entity) => Listing.parse(entity),
      itemKey: (sku) => ({ ...keys.listing(sku, channelId), ...keys.listingByChannel(channelId, sku) }),
    });
    const pushes = new Map<string, PushState>();
    if (listings.items.length > 0) {
      const { Responses } = await this.#db.send(
        new BatchGetCommand({
          RequestItems: { [this.#tableName]: { Keys: listings.items.map((l) => keys.availabilityPush(l.sku, channelId)) } },
        }),
      );
      for (const item of Responses?.[this.#tableName] ?? []) pushes.set(String(item['sku']), pushStateOf(item));
    }
    return { ...listings, items: listings.items.map((l) => ({ ...l, push: pushes.get(l.sku) ?? NEVER_PUSHED })) };
  }

  async forSku(sku: string): Promise<SkuListing[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.#db.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
          ExpressionAttributeValues: { ':pk': keys.stockPartition(sku, 0), ':prefix': keys.listingPrefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(result.Items ?? []));
      start = result.LastEvaluatedKey;
    } while (start);
    const pushes = new Map(items.filter((i) => i[table.entityAttribute] === PUSH_ENTITY).map((i) => [String(i['channelId']), i]));
    const now = Date.now();
    return items
      .filter((i) => i[table.entityAttribute] === ENTITY)
      .map((i) => {
        const listing = Listing.parse(entityOf(i));
        const push = pushes.get(listing.channelId);
        return { listing, push: push ? pushStateOf(push) : NEVER_PUSHED, leased: Number(push?.['leaseUntil'] ?? 0) > now };
      });
  }

  async save(listing: Listing, { expectedVersion, events }: SaveOptions): Promise<void> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
                Item: {
                  ...keys.listing(listing.sku, listing.channelId),
                  ...keys.listingByChannel(listing.channelId, listing.sku),
                  [table.entityAttribute]: ENTITY,
                  ...listing,
                },
                ...versionCondition(expectedVersion),
              },
            },
            ...events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new ConcurrentModificationError(`The listing of ${listing.sku} on ${listing.channelId} was changed by another request`);
      throw error;
    }
  }

  async remove(listing: Listing, events: OutboxEvent[]): Promise<void> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.#tableName,
                Key: keys.listing(listing.sku, listing.channelId),
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': listing.version },
              },
            },
            { Delete: { TableName: this.#tableName, Key: keys.availabilityPush(listing.sku, listing.channelId) } },
            ...events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new ConcurrentModificationError(`The listing of ${listing.sku} on ${listing.channelId} was changed by another request`);
      throw error;
    }
  }

  async acquirePushLease(sku: string, channelId: string, owner: string, now: Date, until: Date): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.availabilityPush(sku, channelId),
          UpdateExpression:
            'SET #entity = :entity, sku = :sku, channelId = :channelId, leaseOwner = :owner, leaseUntil = :until, #status = if_not_exists(#status, :pending), failures = if_not_exists(failures, :zero)',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
          ExpressionAttributeNames: { '#entity': table.entityAttribute, '#status': 'status' },
          ExpressionAttributeValues: {
            ':entity': PUSH_ENTITY,
            ':sku': sku,
            ':channelId': channelId,
            ':owner': owner,
            ':until': until.getTime(),
            ':now': now.getTime(),
            ':pending': 'pending',
            ':zero': 0,
          },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async recordPush(sku: string, channelId: string, owner: string, state: PushState): Promise<boolean> {
    const fields = Object.entries(PushState.parse(state)).filter(([, value]) => value !== undefined);
    const cleared = (['pushed', 'pushedAt', 'lastAttemptAt', 'lastError'] as const).filter((name) => state[name] === undefined);
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.availabilityPush(sku, channelId),
          UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :v${i}`).join(', ')} REMOVE leaseOwner, leaseUntil${cleared.map((name) => `, ${name}`).join('')}`,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeNames: Object.fromEntries(fields.map(([name], i) => [`#f${i}`, name])),
          ExpressionAttributeValues: { ':owner': owner, ...Object.fromEntries(fields.map(([, value], i) => [`:v${i}`, value])) },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

function pushStateOf(item: Record<string, unknown>): PushState {
  const { status, pushed, pushedAt, lastAttemptAt, lastError, failures } = item;
  return PushState.parse({ status, pushed, pushedAt, lastAttemptAt, lastError, failures });
}
