import { WRITEBACK_DELIVERIES } from '#shared/domain/channel-writeback.ts';
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
  /** How long the poller gathers messages before invoking (coalescing bursts); 0 = at once. */
  maxBatchingWindowSeconds: number;
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
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 180,
    maxConcurrency: 20,
  },
  availability: {
    description: 'SKUs whose available-to-sell figure may have changed, to push to the channels that list them',
    consumer: 'pushAvailability',
    // A burst of changes to a SKU within the window becomes one push per channel.
    batchSize: 100,
    maxBatchingWindowSeconds: 2,
    // About 1.5 hours of redeliveries (visibility timeout) before a channel outage dead-letters a push.
    maxReceiveCount: 8,
    visibilityTimeoutSeconds: 720,
    maxConcurrency: 5,
  },
  mailFeedback: {
    description: 'SES bounces and complaints, delivered by the SES feedback topic\'s subscription',
    consumer: 'receiveSesFeedback',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    // A notice the OMS cannot read does not heal: three receives, then the dead-letter queue (with its alarm).
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: 60,
    maxConcurrency: 2,
  },
  writeback: {
    description: 'Shipments, cancellations and refunds to tell the channels their orders came from (whole events)',
    consumer: 'writeBack',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    // Each delivery retries 429/5xx a few times with back-off itself; then the queue redelivers every 12 minutes, and on the
    // 10th delivery (about 2 hours of a channel outage) the action is recorded failed: alarmed, listed, retried by a person.
    maxReceiveCount: WRITEBACK_DELIVERIES,
    visibilityTimeoutSeconds: 720,
    maxConcurrency: 5,
  },
  compliance: {
    description: 'Shopify compliance requests (privacy webhooks) to act on; a shop redaction comes back once per page of orders',
    consumer: 'handleComplianceRequests',
    // One request per invocation: a customer redaction erases a few orders, a shop redaction's page up to 100.
    batchSize: 1,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 720,
    maxConcurrency: 2,
  },
} as const satisfies Record<string, QueueSpec>;

export type QueueName = keyof typeof queues;
