import { documentStore, returnRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getReturn } from '#shared/use-cases/returns.ts';

const deps = { returns: returnRepository(), documents: documentStore() };

export const handler = httpHandler(operations.getReturn, async ({ params }) => {
  const record = await getReturn(deps, params.returnId);
  return { status: 200, body: record, headers: etag(record.version) };
});
