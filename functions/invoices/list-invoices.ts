import { invoiceRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { invoicesOfOrder } from '#shared/use-cases/invoices.ts';
import { getOrder } from '#shared/use-cases/orders.ts';

const deps = { invoices: invoiceRepository(), orders: orderRepository() };

export const handler = httpHandler(operations.listInvoices, async ({ query }) => {
  await getOrder(deps, query.orderId);
  return { status: 200, body: { items: await invoicesOfOrder(deps, query.orderId) } };
});
