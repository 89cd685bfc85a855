import { COMPLIANCE_ENTITY } from '#shared/store/compliance-repository.ts';
import { INBOX_ENTITY } from '#shared/store/inbox-repository.ts';
import { POSITION_ENTITY } from '#shared/store/inventory-repository.ts';
import { OUTBOX_ENTITY } from '#shared/store/outbox.ts';
import { table } from '#shared/store/table.ts';
import type { FunctionName } from './functions.ts';
import type { QueueName } from './queues.ts';

/**
 * EventBridge Pipes reading the table's stream. In AWS each is a pipe; locally
 * the stream pump (infra/local/stream-pump.ts) applies the same filter, batch
 * size, transformation and retry budget.
 */
export interface PipeSpec {
  description: string;
  /** Pipes filter (event-pattern syntax) on the stream record. */
  filter: Record<string, unknown>;
  batchSize: number;
  retryAttempts: number;
  /** Optional enrichment function between filter and target. */
  enrichment?: FunctionName;
  target:
    | { bus: true; detailTypePath: string; sourcePath: string; inputTemplate: string }
    | { queue: QueueName; inputTemplate: string };
}

const inserted = (entity: string) => ({
  eventName: ['INSERT'],
  dynamodb: { NewImage: { [table.entityAttribute]: { S: [entity] } } },
});

export const pipes = {
  /** The transactional outbox's publisher: outbox items → validated bus entries → the bus. */
  outbox: {
    description: 'Transactional outbox: publishes outbox items from the table stream to the bus',
    filter: inserted(OUTBOX_ENTITY),
    batchSize: 10,
    retryAttempts: 10,
    enrichment: 'publishOutboxEvents',
    target: { bus: true, detailTypePath: '$.detailType', sourcePath: '$.source', inputTemplate: '<$.detail>' },
  },
  /** Channel deliveries stored by webhooks and polls → the capture queue (keys only: bodies can exceed a message). */
  inbox: {
    description: 'Inbox: hands stored channel deliveries to the capture queue',
    filter: inserted(INBOX_ENTITY),
    batchSize: 10,
    retryAttempts: 10,
    target: {
      queue: 'capture',
      inputTemplate: `{"PK": "<$.dynamodb.Keys.${table.partitionKey}.S>", "SK": "<$.dynamodb.Keys.${table.sortKey}.S>"}`,
    },
  },
  /** Stock positions that changed → AvailabilityChanged on the bus (derived: no write path can forget it). */
  stock: {
    description: 'Stock changes: publishes AvailabilityChanged for every position whose available quantity moved',
    filter: { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { [table.entityAttribute]: { S: [POSITION_ENTITY] } } } },
    batchSize: 10,
    retryAttempts: 10,
    enrichment: 'publishStockChanges',
    target: { bus: true, detailTypePath: '$.detailType', sourcePath: '$.source', inputTemplate: '<$.detail>' },
  },
  /**
   * Compliance requests stored by the Shopify webhook → the compliance queue: when new, and each time a shop
   * redaction saves its position (in progress), so every page of its orders is a run of its own.
   */
  compliance: {
    description: 'Compliance: hands new and continuing Shopify privacy requests to the compliance queue',
    filter: {
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { [table.entityAttribute]: { S: [COMPLIANCE_ENTITY] }, status: { S: ['received', 'in_progress'] } } },
    },
    batchSize: 1,
    retryAttempts: 10,
    target: {
      queue: 'compliance',
      inputTemplate: `{"PK": "<$.dynamodb.Keys.${table.partitionKey}.S>", "SK": "<$.dynamodb.Keys.${table.sortKey}.S>"}`,
    },
  },
} as const satisfies Record<string, PipeSpec>;

export type PipeName = keyof typeof pipes;
