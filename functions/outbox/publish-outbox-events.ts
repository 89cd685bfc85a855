import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { findEvent } from '#events/catalog.ts';
import { logger, metrics } from '#shared/observability/powertools.ts';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { taskHandler } from '#shared/tasks/handler.ts';

/**
 * Enrichment step of the outbox pipe (DynamoDB stream → EventBridge Pipes →
 * bus). The pipe has already filtered the batch to outbox INSERTs; this turns
 * each stored item into the entry the bus publishes: `source`, `detailType`
 * and `detail` (the pipe's target parameters read them by JSON path).
 * Every detail is checked against its event module, so the bus never carries
 * an event that breaks its published schema; a bad one fails the batch, which
 * the pipe retries and then dead-letters.
 */
const StreamRecord = z.object({
  eventID: z.string(),
  eventName: z.literal('INSERT'),
  dynamodb: z.object({ NewImage: z.record(z.string(), z.unknown()) }),
});

const StoredEvent = z.object({ source: z.string(), detailType: z.string(), detail: z.string() });

export const handler = taskHandler(z.array(StreamRecord), async (records) => {
  const entries = records.map((record) => {
    const stored = StoredEvent.parse(unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>));
    const definition = findEvent(stored.source, stored.detailType);
    if (!definition) throw new Error(`Outbox item ${record.eventID} holds an unknown event ${stored.source}/${stored.detailType}`);
    const detail = definition.parse(JSON.parse(stored.detail));
    return { source: stored.source, detailType: stored.detailType, detail };
  });
  metrics.addMetric('OutboxEventsPublished', MetricUnit.Count, entries.length);
  logger.debug('Publishing outbox events', { count: entries.length });
  return entries;
});
