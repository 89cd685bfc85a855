import { httpHandler } from '#shared/http/handler.ts';
import { buildOpenApi } from '#shared/http/openapi.ts';
import { operations } from '#shared/http/operations.ts';

const document = buildOpenApi(Object.values(operations), { title: 'Serverless OMS', version: '1' });

export const handler = httpHandler(operations.getOpenApi, async () => ({
  status: 200,
  body: document,
  headers: { 'cache-control': 'public, max-age=300' },
}));
