import { invoiceRepository, sellerName } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { acceptsHtml } from '#shared/http/headers.ts';
import { operations } from '#shared/http/operations.ts';
import { getInvoice, invoiceDocument } from '#shared/use-cases/invoices.ts';

const deps = { invoices: invoiceRepository(), sellerName: sellerName() };

export const handler = httpHandler(operations.getInvoice, async ({ params, headers }) => {
  if (acceptsHtml(headers)) {
    return { status: 200, raw: { contentType: 'text/html; charset=utf-8', body: await invoiceDocument(deps, params.invoiceId) } };
  }
  return { status: 200, body: await getInvoice(deps, params.invoiceId) };
});
