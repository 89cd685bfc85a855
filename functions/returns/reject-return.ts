import { returnDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { rejectReturn } from '#shared/use-cases/returns.ts';

const deps = returnDeps();

export const handler = httpHandler(operations.rejectReturn, async ({ params, body, correlationId, principal }) => ({
  status: 200,
  body: await rejectReturn(deps, { returnId: params.returnId, reason: body.reason, actor: principal.id, correlationId }),
}));
