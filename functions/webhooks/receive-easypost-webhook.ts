import { carrierRecordRepository, easypostWebhookSecret, trackingDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { receiveEasyPostWebhook } from '#shared/use-cases/easypost-tracking.ts';

const deps = { ...trackingDeps(), records: carrierRecordRepository(), secret: easypostWebhookSecret() };

export const handler = httpHandler(operations.receiveEasyPostWebhook, async ({ headers, rawBody }) => ({
  status: 200,
  body: await receiveEasyPostWebhook(deps, { rawBody, signature: headers['x-hmac-signature'] }),
}));
