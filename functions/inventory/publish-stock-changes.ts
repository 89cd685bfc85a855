import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { availabilityChange } from '#shared/use-cases/availability.ts';
import { taskHandler } from '#shared/tasks/handler.ts';

/**
 * Enrichment of the stock pipe (stock-position changes on the table stream →
 * bus): one AvailabilityChanged per position whose available quantity moved,
 * whatever moved it. Derived from the stream, so no change is missed; the
 * event id is the stream record's, so a retried batch publishes the same ids.
 */
const StreamRecord = z.object({
  eventID: z.string(),
  eventName: z.enum(['INSERT', 'MODIFY']),
  dynamodb: z.object({
    NewImage: z.record(z.string(), z.unknown()),
    OldImage: z.record(z.string(), z.unknown()).optional(),
    ApproximateCreationDateTime: z.number().optional(),
  }),
});
const Position = z.object({ sku: z.string(), locationId: z.string(), shard: z.number(), available: z.number(), onHand: z.number(), reserved: z.number() });

export const handler = taskHandler(z.array(StreamRecord), async (records) =>
  records.flatMap((record) => {
    const now = Position.parse(unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>));
    const before = record.dynamodb.OldImage ? Position.partial().parse(unmarshall(record.dynamodb.OldImage as Record<string, AttributeValue>)) : undefined;
    const event = availabilityChange(now, before, {
      occurredAt: record.dynamodb.ApproximateCreationDateTime ? new Date(record.dynamodb.ApproximateCreationDateTime * 1000) : new Date(),
      eventId: `stream:${record.eventID}`,
    });
    return event ? [{ source: event.source, detailType: event.detailType, detail: event.detail }] : [];
  }),
);
