import { httpHandler } from '#shared/http/handler.ts';
import { RouteNotFoundError } from '#shared/http/errors.ts';
import { operations } from '#shared/http/operations.ts';

/** API Gateway's `$default` route: unknown paths get the OMS error body instead of the gateway's own. */
export const handler = httpHandler(operations.routeNotFound, async ({ event }) => {
  throw new RouteNotFoundError(`No route for ${event.requestContext.http.method} ${event.rawPath}`);
});
