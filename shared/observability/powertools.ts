import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Logger, metrics and tracer, created once per process and shared by every
 * handler and adapter. Configured through the standard Powertools variables
 * (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE,
 * POWERTOOLS_TRACE_ENABLED, POWERTOOLS_METRICS_DISABLED) that the Lambda
 * construct and the local runtime set.
 */
export const logger = new Logger({ serviceName: 'oms' });
export const metrics = new Metrics({ namespace: 'OMS', serviceName: 'oms' });
export const tracer = new Tracer({ serviceName: 'oms' });

/** Header that carries the correlation id in and out of the HTTP API. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** Every log line from now on carries this correlation id (until the next invocation resets it). */
export function setCorrelationId(correlationId: string): void {
  logger.appendKeys({ correlationId });
  tracer.putAnnotation('correlationId', correlationId);
}
