import { invoiceRepository, orderRepository, sellerName } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { acceptsHtml } from '#shared/http/headers.ts';
import { operations } from '#shared/http/operations.ts';
import { invoicesDocument, invoicesOfOrder } from '#shared/use-cases/invoices.ts';

const deps = { invoices: invoiceRepository(), orders: orderRepository(), sellerName: sellerName() };

export const handler = httpHandler(operations.listInvoices, async ({ query, headers }) => {
  if (acceptsHtml(headers)) return { status: 200, raw: { contentType: 'text/html; charset=utf-8', body: await invoicesDocument(deps, query.orderId) } };
  return { status: 200, body: { items: await invoicesOfOrder(deps, query.orderId) } };
});
