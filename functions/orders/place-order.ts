import { channelRepository, idempotencyRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { parseJson } from '#shared/domain/json.ts';
import { requireChannel } from '#shared/domain/identity.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { idempotencyKey } from '#shared/http/idempotency-key.ts';
import { operations } from '#shared/http/operations.ts';
import { placeApiOrder } from '#shared/use-cases/orders.ts';

const deps = { orders: orderRepository(), channels: channelRepository(), idempotency: idempotencyRepository(), clock: systemClock };

export const handler = httpHandler(operations.placeOrder, async ({ body, rawBody, declaredHeaders, correlationId, principal }) => {
  requireChannel(principal, body.channelId);
  const result = await placeApiOrder(deps, {
    input: body,
    rawBody: parseJson(rawBody.toString('utf8')),
    idempotencyKey: idempotencyKey(declaredHeaders['idempotency-key']),
    actor: principal.id,
    correlationId,
  });
  // The JSON text as first sent: a replay answers the same bytes.
  return { status: result.status, raw: { contentType: 'application/json', body: result.json } };
});
