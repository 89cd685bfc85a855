import { notificationRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listNotifications } from '#shared/use-cases/notifications.ts';

const deps = { notifications: notificationRepository(), orders: orderRepository() };

export const handler = httpHandler(operations.listNotifications, async ({ query }) => ({ status: 200, body: { items: await listNotifications(deps, query.orderId) } }));
