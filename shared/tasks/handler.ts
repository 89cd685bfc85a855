import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { logger, metrics, setCorrelationId, tracer } from '#shared/observability/powertools.ts';

/**
 * Wraps a handler that is not behind HTTP: a workflow task, a scheduled job,
 * an event consumer. Its input is parsed with zod; a bad input or a failure
 * is thrown, never swallowed, so Step Functions, EventBridge or the pipe
 * retries it and finally dead-letters it.
 */
export function taskHandler<S extends z.ZodType, R>(
  input: S,
  run: (input: z.output<S>, context: Context) => Promise<R>,
  options: { correlationId?: (input: z.output<S>) => string | undefined } = {},
) {
  return middy<unknown, R>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .handler(async (event: unknown, context: Context) => {
      const parsed = input.parse(event);
      const correlationId = options.correlationId?.(parsed);
      if (correlationId) setCorrelationId(correlationId);
      return run(parsed, context);
    });
}

/** An SQS record as a consumer sees it (ApproximateReceiveCount: this delivery's number, from 1). */
export interface QueueRecord {
  messageId: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string } | undefined;
}

/**
 * An SQS consumer: each record is handled on its own; the failed ones are
 * reported back (ReportBatchItemFailures) so only they are retried, and after
 * the queue's maxReceiveCount they move to its dead-letter queue.
 */
export function queueHandler(run: (body: string, record: QueueRecord) => Promise<void>) {
  return middy<{ Records: QueueRecord[] }, { batchItemFailures: { itemIdentifier: string }[] }>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const batchItemFailures: { itemIdentifier: string }[] = [];
      for (const record of event.Records) {
        try {
          await run(record.body, record);
        } catch (error) {
          logger.error('Queue message failed; it will be retried', { messageId: record.messageId, error: error as Error });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    });
}

/**
 * An SQS consumer that handles the whole batch at once (to coalesce what
 * the messages ask for); `run` returns the ids of the messages to retry.
 */
export function queueBatchHandler(run: (records: { messageId: string; body: string }[]) => Promise<string[]>) {
  return middy<{ Records: { messageId: string; body: string }[] }, { batchItemFailures: { itemIdentifier: string }[] }>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics))
    .handler(async (event) => ({ batchItemFailures: (await run(event.Records)).map((itemIdentifier) => ({ itemIdentifier })) }));
}
