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
export const metrics = new Metrics({
  namespace: 'OMS',
  serviceName: 'oms',
  // Metrics reports "no application metrics to publish" on every invocation that adds none; that is normal here.
  logger: {
    debug: (...args: unknown[]) => logger.debug(String(args[0]), ...args.slice(1).map((extra) => ({ extra }))),
    info: (...args: unknown[]) => logger.info(String(args[0]), ...args.slice(1).map((extra) => ({ extra }))),
    warn: (...args: unknown[]) =>
      String(args[0]).startsWith('No application metrics to publish')
        ? logger.debug(String(args[0]))
        : logger.warn(String(args[0]), ...args.slice(1).map((extra) => ({ extra }))),
    error: (...args: unknown[]) => logger.error(String(args[0]), ...args.slice(1).map((extra) => ({ extra }))),
  },
});
export const tracer = new Tracer({ serviceName: 'oms' });

export { CORRELATION_HEADER } from '#shared/http/headers.ts';

/** Every log line from now on carries this correlation id (until the next invocation resets it). */
export function setCorrelationId(correlationId: string): void {
  logger.setCorrelationId(correlationId);
  tracer.putAnnotation('correlationId', correlationId);
}
