import * as z from 'zod';
import { paymentDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { cancelUnpaidOrder } from '#shared/use-cases/payments.ts';
import { StepInput, correlationOf, stepActor } from './step-input.ts';

const deps = paymentDeps();

/** fulfillOrder workflow, after a decline: cancel the order (its stock is released by the OrderCancelled rule). */
export const handler = taskHandler(StepInput.extend({ payment: z.object({ declineCode: z.string().optional() }) }), (input) =>
  cancelUnpaidOrder(deps, { orderId: input.orderId, declineCode: input.payment.declineCode, ...stepActor('fulfillOrder', input) }),
  { correlationId: correlationOf },
);
