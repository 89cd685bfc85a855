import { returnDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { receiveReturn } from '#shared/use-cases/returns.ts';

const deps = returnDeps();

export const handler = httpHandler(operations.receiveReturn, async ({ params, body, correlationId, principal }) => ({
  status: 200,
  body: await receiveReturn(deps, { returnId: params.returnId, input: body, actor: principal.id, correlationId }),
}));
