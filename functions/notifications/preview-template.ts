import { messageSettings } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { previewTemplate } from '#shared/use-cases/notifications.ts';

const settings = messageSettings();

export const handler = httpHandler(operations.previewNotificationTemplate, async ({ params, query }) => ({
  status: 200,
  body: previewTemplate(settings, params.type, query.locale),
}));
