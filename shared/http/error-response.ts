import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import {
  ConflictError,
  ForbiddenError,
  MalformedRequestError,
  NotFoundError,
  OmsError,
  PayloadTooLargeError,
  PaymentProviderError,
  PreconditionFailedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '#shared/domain/errors.ts';
import { isTransientAwsError } from '#shared/adapters/aws-clients.ts';
import { CORRELATION_HEADER, logger } from '#shared/observability/powertools.ts';
import { RouteNotFoundError } from './errors.ts';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable machine-readable code, e.g. `validation_failed`.' }),
      message: z.string(),
      details: z.array(
        z.object({
          in: z.enum(['body', 'path', 'query', 'header']).optional(),
          path: z.string(),
          message: z.string(),
          code: z.string().optional(),
        }),
      ),
      correlationId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Status for each error class; checked in order, so subclasses come before their parents. */
const statusByClass: [new (...args: never[]) => OmsError, number][] = [
  [MalformedRequestError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [RouteNotFoundError, 404],
  [ConflictError, 409],
  [PreconditionFailedError, 412],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [ValidationError, 422],
];

export function statusOf(error: unknown): number {
  // A provider's refusal is the provider's answer (502); a provider that could not answer now is worth a retry (503).
  if (error instanceof PaymentProviderError) return error.retryable ? 503 : 502;
  // DynamoDB throttling, an AWS 5xx or timeout that outlived the SDK's retries: nothing was written, the same request later will do.
  if (isTransientAwsError(error)) return 503;
  for (const [errorClass, status] of statusByClass) if (error instanceof errorClass) return status;
  return 500;
}

/** Retry-After of a 503 for AWS throttling or a 5xx: DynamoDB throttles clear in about a second (adaptive capacity), so a short wait. */
export const TRANSIENT_RETRY_AFTER_SECONDS = 2;

/**
 * The one mapping from errors to HTTP responses. Known errors keep their
 * message and details; AWS throttling and 5xx that outlived the SDK's retries
 * are a 503 `service_unavailable` with Retry-After (logged as a warning);
 * anything else is a bug: logged with its stack and the correlation id, and
 * answered with a generic 500 that leaks nothing.
 */

export function errorResponse(error: unknown, correlationId: string): APIGatewayProxyStructuredResultV2 {
  const status = statusOf(error);
  const known = error instanceof OmsError && status !== 500;
  const transient = !known && status === 503;
  if (transient) logger.warn('AWS busy or unavailable after the SDK retries', { error: error as Error });
  else if (!known) logger.error('Unhandled error', { error: error as Error });
  const body = known
    ? { code: error.code, message: error.message, details: error.details, correlationId }
    : transient
      ? {
          code: 'service_unavailable',
          message: `The OMS is busy and could not complete the request now. Send the same request again after ${TRANSIENT_RETRY_AFTER_SECONDS} seconds.`,
          details: [],
          correlationId,
        }
      : {
          code: 'internal_error',
          message: 'The OMS could not complete the request. It has been logged; quote the correlation id.',
          details: [],
          correlationId,
        };
  return {
    statusCode: status,
    headers: {
      'content-type': 'application/json',
      [CORRELATION_HEADER]: correlationId,
      ...(status === 401 ? { 'www-authenticate': 'Bearer realm="oms"' } : {}),
      ...(status === 503 ? { 'retry-after': transient ? String(TRANSIENT_RETRY_AFTER_SECONDS) : '30' } : {}),
    },
    body: JSON.stringify({ error: body }),
  };
}
