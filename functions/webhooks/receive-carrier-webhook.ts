import { carrierWebhookSecret, carriers, trackingDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { receiveCarrierWebhook } from '#shared/use-cases/tracking.ts';

const deps = { ...trackingDeps(), carrierIds: carriers().carrierIds(), secret: carrierWebhookSecret() };

export const handler = httpHandler(operations.receiveCarrierWebhook, async ({ params, headers, rawBody }) => ({
  status: 200,
  body: await receiveCarrierWebhook(deps, { carrierId: params.carrierId, rawBody, signature: headers['x-carrier-signature'] }),
}));
