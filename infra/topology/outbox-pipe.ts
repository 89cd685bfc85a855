import { OUTBOX_ENTITY } from '#shared/store/outbox.ts';
import { table } from '#shared/store/table.ts';
import type { FunctionName } from './functions.ts';

/**
 * The transactional outbox's publisher: table stream → filter (outbox
 * INSERTs only) → enrichment function → event bus. In AWS an EventBridge
 * Pipe; locally the stream pump (infra/local/stream-pump.ts) with the same
 * filter, batch size, enrichment and retry budget.
 */
export const outboxPipe = {
  filter: {
    eventName: ['INSERT'],
    dynamodb: { NewImage: { [table.entityAttribute]: { S: [OUTBOX_ENTITY] } } },
  },
  enrichment: 'publishOutboxEvents' satisfies FunctionName,
  batchSize: 10,
  retryAttempts: 10,
  /** The bus entry fields the pipe reads from the enrichment output. */
  target: { detailTypePath: '$.detailType', sourcePath: '$.source', inputTemplate: '<$.detail>' },
} as const;
