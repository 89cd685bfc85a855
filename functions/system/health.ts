import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';

export const handler = httpHandler(operations.getHealth, async () => ({ status: 200, body: { status: 'ok' } }));
