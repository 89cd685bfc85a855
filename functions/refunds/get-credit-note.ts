import { refundDeps, sellerName } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { acceptsHtml } from '#shared/http/headers.ts';
import { operations } from '#shared/http/operations.ts';
import { creditNoteDocument, getCreditNote } from '#shared/use-cases/refunds.ts';

const deps = { ...refundDeps(), sellerName: sellerName() };

export const handler = httpHandler(operations.getCreditNote, async ({ params, headers }) => {
  if (acceptsHtml(headers)) {
    return { status: 200, raw: { contentType: 'text/html; charset=utf-8', body: await creditNoteDocument(deps, params.creditNoteId) } };
  }
  return { status: 200, body: await getCreditNote(deps, params.creditNoteId) };
});
