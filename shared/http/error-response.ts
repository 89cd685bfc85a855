import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import {
  ConflictError,
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
  for (const [errorClass, status] of statusByClass) if (error instanceof errorClass) return status;
  return 500;
}

/**
 * The one mapping from errors to HTTP responses. Known errors keep their
 * message and details; anything else is a bug: logged with its stack and the
 * correlation id, and answered with a generic 500 that leaks nothing.
 */
export function errorResponse(error: unknown, correlationId: string): APIGatewayProxyStructuredResultV2 {
  const status = statusOf(error);
  const known = error instanceof OmsError && status !== 500;
  if (!known) logger.error('Unhandled error', { error: error as Error });
  const body = known
    ? { code: error.code, message: error.message, details: error.details, correlationId }
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
      ...(status === 503 ? { 'retry-after': '30' } : {}),
    },
    body: JSON.stringify({ error: body }),
  };
}
