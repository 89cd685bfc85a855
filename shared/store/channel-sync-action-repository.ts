import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OutboxEvent } from '#events/define.ts';
import { ChannelSyncRecord } from '#shared/domain/channel-writeback.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import type { TimelineEntry } from '#shared/domain/order.ts';
import type { Refund } from '#shared/domain/refund.ts';
import type { ChannelSyncActionRepository, Page, PageRequest } from '#shared/ports.ts';
import { conditionFailedAt, entityOf, queryIndexPage, queryOrderItems } from './items.ts';
import { keys } from './keys.ts';
import { timelinePut } from './order-repository.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

const ENTITY = 'ChannelSyncAction';
const FAILED_INDEX = 'GSI1' as const;

/**
 * Write-back actions in their order's partition. The claim is one conditional
 * update (create, or take a pending action nobody holds); the outcome is one
 * transaction with the order's timeline, conditional on the claim, so two
 * deliveries of one event never both call the channel, and a delivery whose
 * lease ran out cannot overwrite the one that took over. A failed action
 * carries the sparse GSI1 key that lists it (GET /v1/orders?channelSync=failed).
 */
export class DynamoChannelSyncActionRepository implements ChannelSyncActionRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async forOrder(orderId: string): Promise<ChannelSyncRecord[]> {
    const items = await queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.channelSyncPrefix);
    return items.map((item) => ChannelSyncRecord.parse(withoutClaim(entityOf(item))));
  }

  async get(orderId: string, actionId: string): Promise<ChannelSyncRecord | undefined> {
    const result = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.channelSyncAction(orderId, actionId), ConsistentRead: true }));
    return result.Item ? ChannelSyncRecord.parse(entityOf(result.Item)) : undefined;
  }

  async claim(
    record: Pick<ChannelSyncRecord, 'orderId' | 'actionId' | 'kind' | 'channelId' | 'summary' | 'action'>,
    now: Date,
    leaseMs: number,
  ): Promise<{ outcome: 'claimed'; record: ChannelSyncRecord } | { outcome: 'sent' | 'failed' | 'in_progress'; record: ChannelSyncRecord }> {
    const at = now.toISOString();
    try {
      const result = await this.#db.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.channelSyncAction(record.orderId, record.actionId),
          UpdateExpression:
            'SET #entity = :entity, orderId = :orderId, actionId = :actionId, kind = :kind, channelId = :channelId, summary = :summary, #action = if_not_exists(#action, :action), #status = :pending, ' +
            'attempts = if_not_exists(attempts, :zero) + :one, claimedUntil = :until, createdAt = if_not_exists(createdAt, :now), updatedAt = :now',
          ConditionExpression: `attribute_not_exists(${table.partitionKey}) OR (#status = :pending AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now))`,
          ExpressionAttributeNames: { '#entity': table.entityAttribute, '#status': 'status', '#action': 'action' },
          ExpressionAttributeValues: {
            ':entity': ENTITY,
            ':action': record.action,
            ':orderId': record.orderId,
            ':actionId': record.actionId,
            ':kind': record.kind,
            ':channelId': record.channelId,
            ':summary': record.summary,
            ':pending': 'pending',
            ':zero': 0,
            ':one': 1,
            ':until': new Date(now.getTime() + leaseMs).toISOString(),
            ':now': at,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'claimed', record: ChannelSyncRecord.parse(entityOf(result.Attributes ?? {})) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The failed condition's item comes back in the low-level attribute format: read it again, consistently.
      const held = ChannelSyncRecord.parse(entityOf((await this.#raw(record.orderId, record.actionId)) ?? {}));
      return { outcome: held.status === 'pending' ? 'in_progress' : held.status, record: held };
    }
  }

  async finish(record: ChannelSyncRecord, claimedUntil: string, timeline: TimelineEntry[], settled?: { refund: Refund }): Promise<void> {
    const stored = withoutClaim(record);
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
                Item: {
                  ...keys.channelSyncAction(record.orderId, record.actionId),
                  [table.entityAttribute]: ENTITY,
                  ...stored,
                  ...(record.status === 'failed' ? keys.channelSyncFailed(record.failedAt ?? record.updatedAt, record.orderId, record.actionId) : {}),
                },
                ConditionExpression: 'claimedUntil = :claim',
                ExpressionAttributeValues: { ':claim': claimedUntil },
              },
            },
            ...timeline.map((entry) => timelinePut(this.#tableName, record.orderId, entry)),
            ...(settled
              ? [
                  {
                    Put: {
                      TableName: this.#tableName,
                      Item: { ...keys.refund(settled.refund.orderId, settled.refund.key), [table.entityAttribute]: 'Refund', ...settled.refund },
                      ConditionExpression: '#status IN (:owed, :refunded)',
                      ExpressionAttributeNames: { '#status': 'status' },
                      ExpressionAttributeValues: { ':owed': 'to_refund_at_channel', ':refunded': 'refunded' },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new ConcurrentModificationError(`Write-back ${record.actionId} of order ${record.orderId} was taken over by another delivery`);
      throw error;
    }
  }

  async retry(record: ChannelSyncRecord, now: string, writes: { timeline: TimelineEntry[]; events: OutboxEvent[] }): Promise<boolean> {
    const next: ChannelSyncRecord = { ...withoutClaim(record), status: 'pending', updatedAt: now };
    delete next.failedAt;
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
                Item: { ...keys.channelSyncAction(record.orderId, record.actionId), [table.entityAttribute]: ENTITY, ...next },
                ConditionExpression: '#status = :failed',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':failed': 'failed' },
              },
            },
            ...writes.timeline.map((entry) => timelinePut(this.#tableName, record.orderId, entry)),
            ...writes.events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailedAt(error, 0)) return false;
      throw error;
    }
  }

  async failed(page: PageRequest): Promise<Page<{ orderId: string; actionId: string; failedAt: string }>> {
    return queryIndexPage(this.#db, {
      ...page,
      tableName: this.#tableName,
      index: FAILED_INDEX,
      partition: keys.channelSyncFailedPartition,
      newestFirst: true,
      parse: (entity) => {
        const parsed = ChannelSyncRecord.parse(entity);
        return { orderId: parsed.orderId, actionId: parsed.actionId, failedAt: parsed.failedAt ?? parsed.updatedAt };
      },
      itemKey: (sortKey) => {
        const match = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)#([^#]+)#(.+)$/.exec(sortKey);
        if (!match) return undefined;
        const [, failedAt, orderId, actionId] = match as unknown as [string, string, string, string];
        return { ...keys.channelSyncAction(orderId, actionId), ...keys.channelSyncFailed(failedAt, orderId, actionId) };
      },
    });
  }

  async #raw(orderId: string, actionId: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.channelSyncAction(orderId, actionId), ConsistentRead: true }));
    return result.Item;
  }
}

/** The record as stored once a call is over: no lease. */
function withoutClaim<T extends { claimedUntil?: unknown }>(record: T): T {
  const copy = { ...record };
  delete copy.claimedUntil;
  return copy;
}
