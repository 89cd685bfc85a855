import { describe, expect, it } from 'vitest';
import { ConcurrentModificationError, ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '#shared/domain/errors.ts';
import { statusOf } from '#shared/http/error-response.ts';
import { RouteNotFoundError } from '#shared/http/errors.ts';
import { MalformedRequestError, PayloadTooLargeError, PaymentProviderError, UnauthorizedError } from '#shared/domain/errors.ts';

describe('statusOf', () => {
  it.each([
    [new MalformedRequestError('x'), 400],
    [new UnauthorizedError('x'), 401],
    [new NotFoundError('x'), 404],
    [new RouteNotFoundError('x'), 404],
    [new ConflictError('x'), 409],
    [new ConcurrentModificationError('x'), 409],
    [new PreconditionFailedError('x'), 412],
    [new PayloadTooLargeError('x'), 413],
    [new ValidationError('x'), 422],
    [new PaymentProviderError('amount_too_large', 'x', { retryable: false }), 502],
    [new PaymentProviderError('idempotency_key_in_use', 'x', { retryable: true }), 503],
    [new Error('x'), 500],
    ['not even an error', 500],
  ])('%s → %i', (error, status) => {
    expect(statusOf(error)).toBe(status);
  });
});
