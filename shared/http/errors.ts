import { OmsError } from '#shared/domain/errors.ts';

/** Errors that exist only at the HTTP edge; the others live in shared/domain/errors.ts. */
export class RouteNotFoundError extends OmsError {
  readonly code = 'route_not_found';
}
