import { refundDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { refundsOfOrder } from '#shared/use-cases/refunds.ts';

const deps = refundDeps();

export const handler = httpHandler(operations.listRefunds, async ({ params }) => ({ status: 200, body: { items: await refundsOfOrder(deps, params.orderId) } }));
