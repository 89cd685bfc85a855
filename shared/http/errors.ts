import { OmsError } from '#shared/domain/errors.ts';

/** Errors that exist only at the HTTP edge. Domain errors live in shared/domain/errors.ts. */

export class MalformedRequestError extends OmsError {
  readonly code = 'malformed_request';
}

export class UnauthorizedError extends OmsError {
  readonly code = 'unauthorized';
}

export class PayloadTooLargeError extends OmsError {
  readonly code = 'payload_too_large';
}

export class RouteNotFoundError extends OmsError {
  readonly code = 'route_not_found';
}
