import { returnDeps } from '#shared/adapters/dependencies.ts';
import { parseJson } from '#shared/domain/json.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { idempotencyKey } from '#shared/http/idempotency-key.ts';
import { operations } from '#shared/http/operations.ts';
import { requestReturn } from '#shared/use-cases/returns.ts';

const deps = returnDeps();

export const handler = httpHandler(operations.requestReturn, async ({ params, body, rawBody, declaredHeaders, correlationId, principal }) => {
  const result = await requestReturn(deps, {
    orderId: params.orderId,
    input: body,
    rawBody: parseJson(rawBody.toString('utf8')),
    idempotencyKey: idempotencyKey(declaredHeaders['idempotency-key']),
    actor: principal.id,
    correlationId,
  });
  // The JSON text as first sent: a replay answers the same bytes.
  return { status: result.status, raw: { contentType: 'application/json', body: result.json } };
});
