import { paymentDeps } from '#shared/adapters/dependencies.ts';
import { taskHandler } from '#shared/tasks/handler.ts';
import { confirmPayment } from '#shared/use-cases/payments.ts';
import { StepInput, correlationOf, stepActor } from './step-input.ts';

const deps = paymentDeps();

/** fulfillOrder workflow: authorize with the provider, or record the channel's payment. */
export const handler = taskHandler(StepInput, (input) => confirmPayment(deps, { orderId: input.orderId, ...stepActor('fulfillOrder', input) }), { correlationId: correlationOf });
