import { returnDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { approveReturn } from '#shared/use-cases/returns.ts';

const deps = returnDeps();

export const handler = httpHandler(operations.approveReturn, async ({ params, body, correlationId, principal }) => ({
  status: 200,
  body: await approveReturn(deps, { returnId: params.returnId, note: body.note, actor: principal.id, correlationId }),
}));
