import type { FunctionName } from './functions.ts';

/**
 * SQS queues with their consumer. The stateful stack creates each queue and
 * its dead-letter queue; the stateless stack connects the consumer; the local
 * runtime runs the same consumer with the same batch size and receive count.
 */
export interface QueueSpec {
  description: string;
  consumer: FunctionName;
  batchSize: number;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** At least six times the consumer's timeout (AWS guidance for Lambda consumers). */
  visibilityTimeoutSeconds: number;
  /** Concurrent consumer invocations at most: protects the table during bursts. */
  maxConcurrency: number;
}

export const queues = {
  capture: {
    description: 'Stored channel deliveries waiting to be captured as orders',
    consumer: 'captureDeliveries',
    batchSize: 10,
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 180,
    maxConcurrency: 20,
  },
} as const satisfies Record<string, QueueSpec>;

export type QueueName = keyof typeof queues;
