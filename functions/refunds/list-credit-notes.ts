import { refundDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { creditNotesOfOrder } from '#shared/use-cases/refunds.ts';

const deps = refundDeps();

export const handler = httpHandler(operations.listCreditNotes, async ({ query }) => ({ status: 200, body: { items: await creditNotesOfOrder(deps, query.orderId) } }));
