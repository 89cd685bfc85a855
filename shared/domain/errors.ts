/**
 * Domain errors. They say what went wrong in the OMS's own words; the HTTP
 * layer maps them to status codes by class (see shared/http/error-response.ts),
 * async consumers let them fail the invocation so the platform retries or
 * dead-letters the message.
 */

/** One problem with one input field, e.g. `{ path: 'address.country', message: 'Expected ISO 3166-1 alpha-2' }`. */
export interface ErrorDetail {
  /** Where the field came from. */
  in?: 'body' | 'path' | 'query' | 'header';
  /** Dotted path of the field inside its source (`lines.0.sku`); empty for the whole value. */
  path: string;
  message: string;
  /** Machine-readable reason (zod issue code or an OMS code). */
  code?: string;
}

export abstract class OmsError extends Error {
  abstract readonly code: string;
  readonly details: ErrorDetail[];

  constructor(message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** Input is well-formed but breaks the schema or a business rule about its shape. */
export class ValidationError extends OmsError {
  readonly code = 'validation_failed';
}

/** The resource the caller names does not exist. */
export class NotFoundError extends OmsError {
  readonly code = 'not_found';
}

/** The request contradicts the current state (e.g. changing an immutable field). */
export class ConflictError extends OmsError {
  readonly code: string;
  constructor(message: string, code = 'conflict', details: ErrorDetail[] = []) {
    super(message, details);
    this.code = code;
  }
}

/** The caller's precondition (If-Match version) no longer holds. */
export class PreconditionFailedError extends OmsError {
  readonly code = 'precondition_failed';
}

/**
 * A conditional write lost a race with another writer. Use cases retry it a
 * bounded number of times; if it escapes, the caller gets a 409.
 */
export class ConcurrentModificationError extends ConflictError {
  constructor(message: string) {
    super(message, 'concurrent_modification');
  }
}

/** The payload is not parseable at all (not JSON, truncated). */
export class MalformedRequestError extends OmsError {
  readonly code = 'malformed_request';
}

/** Missing or wrong credentials: a bearer token, or a channel's webhook signature. */
export class UnauthorizedError extends OmsError {
  readonly code = 'unauthorized';
}

/** Valid credentials without the right to do this: a missing scope, or a channel or location outside the key's limits. */
export class ForbiddenError extends OmsError {
  readonly code = 'forbidden';
}

export class PayloadTooLargeError extends OmsError {
  readonly code = 'payload_too_large';
}

/** The body is not in a format the operation takes (a JSON operation sent a form, text, XML). */
export class UnsupportedMediaTypeError extends OmsError {
  readonly code = 'unsupported_media_type';
}

/**
 * An inventory change was refused by one of its conditions: a movement id
 * already applied (`duplicate`), a position that no longer has the stock or
 * the value it was read with (`position`), a reservation record or order that
 * moved on (`reservation`, `order`), or a lost race between transactions
 * (`contention`).
 */
export class InventoryConflictError extends ConflictError {
  readonly kind: 'duplicate' | 'position' | 'reservation' | 'order' | 'fulfillment' | 'contention';
  readonly change: { sku: string; locationId: string; shard: number; requires: Record<string, unknown> } | undefined;
  constructor(kind: InventoryConflictError['kind'], change?: InventoryConflictError['change']) {
    super(
      `Inventory change refused (${kind}${change ? ` at ${change.sku} @ ${change.locationId}#${change.shard}` : ''})`,
      kind === 'position' ? 'insufficient_stock' : 'concurrent_modification',
    );
    this.kind = kind;
    this.change = change;
  }
}

/**
 * A payment provider refused or failed a call. `retryable` false: it refused
 * for good (a decline a retry gets again — the capture is already refunded at
 * the provider, the amount is too large, the reference is unknown); the HTTP
 * layer answers 502. `retryable` true: the provider could not be reached, was
 * busy, or another call with the same idempotency key is still running — the
 * same call later may succeed; the HTTP layer answers 503.
 */
export class PaymentProviderError extends OmsError {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, options: { retryable: boolean; details?: ErrorDetail[] }) {
    super(message, options.details ?? []);
    this.code = code;
    this.retryable = options.retryable;
  }
}
