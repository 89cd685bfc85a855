import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { OutboxEvent } from '#events/define.ts';
import { keys } from './keys.ts';
import { table } from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Outbox items are published within seconds; TTL removes them after this long. */
export const OUTBOX_RETENTION_SECONDS = 3 * 24 * 3600;

/**
 * The outbox half of a state change: written in the same TransactWriteItems as
 * the change, so an event exists if and only if the change committed. The
 * table's stream carries the INSERT to the outbox pipe (EventBridge Pipes in
 * AWS, the stream pump locally), which publishes it to the bus.
 */
export function outboxPut(tableName: string, event: OutboxEvent): TransactItem {
  const occurredAt = Date.parse(event.detail.metadata.occurredAt);
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.outboxEvent(event.eventId),
        [table.entityAttribute]: OUTBOX_ENTITY,
        source: event.source,
        detailType: event.detailType,
        // A JSON string keeps the detail byte-exact through DynamoDB's type system.
        detail: JSON.stringify(event.detail),
        [table.ttlAttribute]: Math.floor(occurredAt / 1000) + OUTBOX_RETENTION_SECONDS,
      },
      ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
    },
  };
}

export const OUTBOX_ENTITY = 'OutboxEvent';
