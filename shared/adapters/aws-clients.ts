import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/**
 * The one place that states how every AWS SDK v3 client of the OMS retries
 * and times out (docs/operations.md, "AWS SDK clients"). Each client is built
 * as `new XClient(awsClientConfig('x'))`; test/unit/aws-clients.test.ts fails
 * if one under shared/ is built without it.
 *
 * - `retryMode: 'standard'`: exponential back-off with full jitter, a longer
 *   base for throttling errors, and the SDK's retry quota (a token bucket per
 *   client) that stops retrying when most calls fail, so an outage does not
 *   become a retry storm.
 * - `maxAttempts`: the first call plus retries. DynamoDB gets one more than
 *   the other services: its throttles are short-lived and partition-local.
 * - `connectionTimeout` / `requestTimeout` (milliseconds): without them the
 *   SDK waits on a dead socket until the Lambda's own timeout, and the
 *   invocation dies with nothing logged and nothing retried. With them, the
 *   worst case of all attempts stays well under the API functions' 29–30 s.
 *
 * `OMS_AWS_REQUEST_TIMEOUT_MS` raises every request timeout: the local
 * runtime sets it, because DynamoDB Local on a laptop under hundreds of
 * concurrent transactions answers in seconds where DynamoDB answers in
 * milliseconds.
 */
export type AwsService = 'dynamodb' | 'sesv2' | 'sns' | 'sqs' | 's3' | 'scheduler' | 'lambda' | 'secrets-manager';

export interface AwsClientSettings {
  maxAttempts: number;
  retryMode: 'standard';
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

const settings: Record<AwsService, { maxAttempts: number; connectionTimeout: number; requestTimeout: number }> = {
  // Single-digit-millisecond calls: 3 s is a stuck request, not a slow one. 4 × 3 s + back-off < 29 s.
  dynamodb: { maxAttempts: 4, connectionTimeout: 1_000, requestTimeout: 3_000 },
  sesv2: { maxAttempts: 3, connectionTimeout: 1_000, requestTimeout: 5_000 },
  sns: { maxAttempts: 3, connectionTimeout: 1_000, requestTimeout: 5_000 },
  // The reconciler reading the capture dead-letter queue (short polls).
  sqs: { maxAttempts: 3, connectionTimeout: 1_000, requestTimeout: 5_000 },
  // Label PDFs of a few hundred kilobytes, in and out.
  s3: { maxAttempts: 3, connectionTimeout: 1_000, requestTimeout: 8_000 },
  scheduler: { maxAttempts: 3, connectionTimeout: 1_000, requestTimeout: 5_000 },
  // Invoke with InvocationType Event only: Lambda answers once the event is queued.
  lambda: { maxAttempts: 3, connectionTimeout: 1_000, requestTimeout: 5_000 },
  'secrets-manager': { maxAttempts: 3, connectionTimeout: 1_000, requestTimeout: 5_000 },
};

export function awsClientConfig(service: AwsService, env: Record<string, string | undefined> = process.env): AwsClientSettings {
  const chosen = settings[service];
  const floor = Number(env['OMS_AWS_REQUEST_TIMEOUT_MS'] ?? '');
  const requestTimeout = Number.isInteger(floor) && floor > chosen.requestTimeout ? floor : chosen.requestTimeout;
  return {
    maxAttempts: chosen.maxAttempts,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: chosen.connectionTimeout, requestTimeout },
  };
}

/** Error names AWS services use for "slow down" (DynamoDB's three, and the generic ones of the others). */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);

/** Client-side timeouts (the request handler's) and dropped connections. */
const TRANSIENT_CLIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']);

/**
 * Is `error` an AWS failure that the same call later will likely not meet:
 * throttling, a 5xx of the service, a transaction DynamoDB cancelled only
 * because one of its items was throttled, a timed-out or dropped connection?
 * The SDK has already retried it `maxAttempts` times. The HTTP API answers
 * these with 503 and Retry-After (shared/http/error-response.ts); asynchronous
 * work lets them fail the invocation so its queue, Lambda's async retry or
 * the workflow's Retry runs it again.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof TransactionCanceledException || error.name === 'TransactionCanceledException') {
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    // Throttled, and no condition failed: the transaction did not lose on its merits.
    return reasons.some((r) => r.Code === 'ThrottlingError' || r.Code === 'ProvisionedThroughputExceeded') && !reasons.some((r) => r.Code === 'ConditionalCheckFailed');
  }
  if (THROTTLING.has(error.name) || TRANSIENT_CLIENT.has(error.name)) return true;
  const meta = error as { $fault?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean }; code?: string };
  if (meta.$retryable?.throttling) return true;
  if (meta.$fault === 'server' && (meta.$metadata?.httpStatusCode ?? 500) >= 500) return true;
  if (meta.$metadata && (meta.$metadata.httpStatusCode ?? 0) >= 500) return true;
  return typeof meta.code === 'string' && TRANSIENT_CODES.has(meta.code);
}
